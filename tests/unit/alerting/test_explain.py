"""Why it fired, why not: ``explain`` walks the query over the update the index matched,
and agrees with the index on every update of the development stream."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from services.alerting.backtest import Pipeline, trial_subscription
from services.alerting.explain import describe, explain
from services.alerting.index import SubscriptionIndex
from services.alerting.query import parse
from services.ingest.replay import load_archive
from services.stories.stream import index_from
from services.tagger.matcher import Matcher
from services.tagger.watchlist import load_watchlist
from shared.records import StoryUpdate
from shared.settings import ROOT, Settings

from .conftest import UpdateFactory

WALL = datetime(2026, 12, 1, tzinfo=UTC)


def why(query: str, update: StoryUpdate) -> tuple[bool, list[str], str | None]:
    result = explain(parse(query), update)
    return result.matched, [describe(h) for h in result.held], result.failed


def test_every_kind_of_part(update: UpdateFactory) -> None:
    u = update(
        entities=("elon_musk",),
        title="Musk sues over the Roadster",
        text="The neural-net lawsuit, filed Monday.",
        lang="de-AT",
        source="Business Punk",
        article_count=4,
    )
    matched, held, failed = why(
        '@elon_musk roadster "neural net" lang:de source:"business punk" size>=3 NOT recall', u
    )
    assert matched and failed is None
    assert held == [
        '@elon_musk (1x, text: "… elon musk said …")',
        'roadster (title: "Musk sues over the Roadster")',
        '"neural net" (text: "The neural-net lawsuit, filed Monday.")',
        "lang:de (saw de-AT)",
        'source:"business punk" (saw Business Punk)',
        "size>=3 (saw 4)",
        "NOT recall",
    ]
    held_parts = explain(parse('"neural net"'), u).held
    assert (held_parts[0].field, held_parts[0].text) == ("text", "neural-net")


@pytest.mark.parametrize(
    ("query", "failed"),
    [
        ("@elon_musk @sam_altman", "@sam_altman: not mentioned"),
        ("@elon_musk lawsuit", "lawsuit: not in the title or text"),
        ("@elon_musk lang:en", "lang:en: the article's language is 'de'"),
        ("@elon_musk source:reuters", "source:\"reuters\": the article's source is 'Wire'"),
        ("@elon_musk size>3", "size>3: the story has 2 article(s)"),
        (
            "@elon_musk NOT roadster",
            "NOT roadster: roadster held (roadster in the title: 'Roadster')",
        ),
        (
            "(@openai OR lawsuit) @elon_musk",
            "@openai OR lawsuit: none of its parts held (@openai: not mentioned)",
        ),
    ],
)
def test_the_first_part_that_failed(update: UpdateFactory, query: str, failed: str) -> None:
    u = update(
        entities=("elon_musk",), title="Musk's Roadster", lang="de", source="Wire", article_count=2
    )
    result = explain(parse(query), u)
    assert not result.matched
    assert result.failed == failed


def test_an_or_lists_only_the_parts_that_held(update: UpdateFactory) -> None:
    u = update(entities=("sam_altman",), text="OpenAI's board met.")
    matched, held, _ = why("@elon_musk OR @sam_altman OR openai", u)
    assert matched
    assert held == [
        '@sam_altman (1x, text: "… sam altman said …")',
        'openai (text: "OpenAI\'s board met.")',
    ]


QUERY_PARTS = [
    "@elon_musk",
    "@sam_altman",
    "@openai",
    "@tesla_roadster",
    "lang:de",
    "lang:en",
    "size>=2",
    "size<3",
    "regierung",
    '"künstliche intelligenz"',
    "trump",
    "source:tagesschau",
    "source:reuters",
    "sturm",
]


def random_query(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 2 or roll < 0.4:
        term = rng.choice(QUERY_PARTS)
        return f"NOT {term}" if rng.random() < 0.2 else term
    op = rng.choice((" AND ", " OR ", " "))
    items = [random_query(rng, depth + 1) for _ in range(rng.randint(2, 3))]
    return "(" + op.join(items) + ")"


@pytest.fixture(scope="module")
def devstream_updates() -> list[StoryUpdate]:
    settings = Settings()
    pipeline = Pipeline(
        Matcher(load_watchlist(settings.watchlist_file)), index_from(settings), WALL
    )
    articles = load_archive(ROOT / "tests" / "data" / "stories" / "devstream.jsonl", WALL)
    return [u for u, _ in pipeline.run(articles)]


def test_explain_agrees_with_the_index_on_random_queries(
    devstream_updates: list[StoryUpdate],
) -> None:
    rng = random.Random(17)
    queries = [random_query(rng) for _ in range(60)]
    index = SubscriptionIndex(trial_subscription(q, sub_id=f"q{n}") for n, q in enumerate(queries))
    matched_some = 0
    for update in devstream_updates:
        matched = {s.id for s in index.match(update)}
        for n, query in enumerate(queries):
            result = explain(parse(query), update)
            assert result.matched == (f"q{n}" in matched), (query, update.article.article.id)
            assert (result.failed is None) == result.matched
            if result.matched:
                assert result.held, query  # a match always says why
        matched_some += bool(matched)
    assert matched_some > 100  # the queries do match: the comparison is not vacuous
