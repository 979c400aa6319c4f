"""SubscriptionIndex: anchors, keyword matching through the shared PhraseIndex, and
agreement with a brute-force evaluation on random subscriptions."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

from services.alerting.index import SubscriptionIndex, anchors
from services.alerting.query import MatchContext, parse
from services.alerting.subscriptions import Subscription, validate
from shared.records import StoryUpdate

SubDict = Callable[..., dict[str, Any]]
Update = Callable[..., StoryUpdate]


def sub(sub_dict: SubDict, sub_id: str, query: str, **extra: Any) -> Subscription:
    return validate(sub_dict(sub_id, query, **extra))


def ids(subs: list[Subscription]) -> list[str]:
    return [s.id for s in subs]


def test_anchors() -> None:
    def a(text: str) -> set[tuple[str, str]] | None:
        found = anchors(parse(text).root)
        return None if found is None else set(found)

    assert a("@b AND @a") == {("entity", "a")}  # tie: by name
    assert a("kw AND @z") == {("entity", "z")}  # tie: entities before keywords
    assert a("(@a OR @b) AND kw") == {("keyword", "kw")}  # the smaller set
    assert a("@a OR kw") == {("entity", "a"), ("keyword", "kw")}
    assert a("@a OR NOT kw") is None
    assert a("NOT @a") is None
    assert a("lang:de size>=3") is None
    assert a("lang:de @a") == {("entity", "a")}
    assert a("(@a lang:de) OR (@b NOT @c)") == {("entity", "a"), ("entity", "b")}


def test_match_musk_and_altman(sub_dict: SubDict, update: Update) -> None:
    index = SubscriptionIndex(
        [sub(sub_dict, "both", "@elon_musk AND @sam_altman"), sub(sub_dict, "musk", "@elon_musk")]
    )
    assert ids(index.match(update(entities=("elon_musk", "sam_altman")))) == ["both", "musk"]
    assert ids(index.match(update(entities=("elon_musk",)))) == ["musk"]
    assert index.match(update(entities=("sam_altman",))) == []


def test_keywords_whole_word_any_case_title_or_text(sub_dict: SubDict, update: Update) -> None:
    index = SubscriptionIndex([sub(sub_dict, "ai", '"Sam Altman" OR OpenAI')])
    assert ids(index.match(update(title="SAM ALTMAN speaks"))) == ["ai"]
    assert ids(index.match(update(text="a deal for OpenAI’s chips"))) == ["ai"]
    assert ids(index.match(update(text="a deal with openai."))) == ["ai"]
    assert index.match(update(text="the OpenAIX project")) == []
    # a phrase does not span the end of the title and the start of the text
    assert index.match(update(title="Interview with Sam", text="Altman and others")) == []


def test_filters_and_size(sub_dict: SubDict, update: Update) -> None:
    index = SubscriptionIndex(
        [
            sub(sub_dict, "de-big", '@a lang:de source:"Business Punk" size>=3'),
            sub(sub_dict, "firehose-de", "lang:de NOT @a"),
        ]
    )
    u = update(entities=("a",), lang="de", source="Business Punk", article_count=3)
    assert ids(index.match(u)) == ["de-big"]
    u = update(entities=("a",), lang="de", source="Business Punk", article_count=2)
    assert index.match(u) == []
    assert ids(index.match(update(lang="de"))) == ["firehose-de"]
    assert index.match(update(lang="en")) == []


def test_paused_upsert_remove(sub_dict: SubDict, update: Update) -> None:
    index = SubscriptionIndex([sub(sub_dict, "s", "openai")])
    u = update(text="OpenAI news")
    assert ids(index.match(u)) == ["s"]
    index.upsert(sub(sub_dict, "s", "openai", paused=True))
    assert index.match(u) == []
    assert len(index) == 1 and index.get("s") is not None and index.get("s").paused  # type: ignore[union-attr]
    index.upsert(sub(sub_dict, "s", "anthropic"))
    assert index.match(u) == []
    assert ids(index.match(update(text="Anthropic news"))) == ["s"]
    assert index.remove("s") is True
    assert index.remove("s") is False
    assert len(index) == 0 and list(index) == [] and index.get("s") is None
    assert index.match(update(text="Anthropic news")) == []


def test_keyword_dropped_from_phrase_index(sub_dict: SubDict, update: Update) -> None:
    index = SubscriptionIndex([sub(sub_dict, "a", "openai"), sub(sub_dict, "b", "openai OR xai")])
    assert index.context(update(text="openai xai")).keywords == {"openai", "xai"}
    index.remove("b")
    assert index.context(update(text="openai xai")).keywords == {"openai"}
    index.remove("a")
    assert index.context(update(text="openai xai")).keywords == frozenset()


def test_context(sub_dict: SubDict, update: Update) -> None:
    index = SubscriptionIndex([sub(sub_dict, "a", '"neural net"')])
    ctx = index.context(
        update(
            entities=("x", "y"),
            text="A neural-net chip",
            lang="de",
            source="Heise",
            article_count=7,
        )
    )
    assert ctx == MatchContext(frozenset({"x", "y"}), frozenset({"neural net"}), "de", "Heise", 7)


# --- random subscriptions vs brute force ------------------------------------------------------

ENTITIES = [f"e{i}" for i in range(12)]
WORDS = [f"w{i}" for i in range(15)]
PHRASES = ["alpha beta", "beta gamma"]


def random_query(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth >= 3 or roll < 0.4:
        kind = rng.random()
        if kind < 0.45:
            return "@" + rng.choice(ENTITIES)
        if kind < 0.8:
            return rng.choice(WORDS)
        if kind < 0.88:
            return f'"{rng.choice(PHRASES)}"'
        if kind < 0.94:
            return f"lang:{rng.choice(['de', 'en'])}"
        return f"size>={rng.randint(1, 4)}"
    if roll < 0.5:
        return "NOT " + random_query(rng, depth + 1)
    op = rng.choice([" AND ", " OR ", " "])
    return "(" + op.join(random_query(rng, depth + 1) for _ in range(rng.randint(2, 3))) + ")"


def brute_force(subs: dict[str, Subscription], u: StoryUpdate) -> list[str]:
    """Every unpaused subscription evaluated; keywords found with a plain regex."""
    art = u.article.article
    keys = {k for s in subs.values() for k in s.compiled.keywords}
    found = {
        k
        for k in keys
        if any(
            re.search(rf"(?<!\w){re.escape(k)}(?!\w)", part.lower())
            for part in (art.title, art.text)
        )
    }
    ctx = MatchContext(
        u.article.entities, frozenset(found), art.lang, art.source, u.story.article_count
    )
    return sorted(i for i, s in subs.items() if not s.paused and s.compiled.matches(ctx))


def random_update(rng: random.Random, update: Update) -> StoryUpdate:
    words = rng.sample(WORDS, rng.randint(0, 5)) + rng.sample(["alpha", "beta", "gamma", "x"], 2)
    rng.shuffle(words)
    return update(
        entities=tuple(rng.sample(ENTITIES, rng.randint(0, 4))),
        title=" ".join(words[:2]),
        text=" ".join(words[2:]),
        lang=rng.choice(["de", "en"]),
        article_count=rng.randint(1, 5),
    )


def test_index_agrees_with_brute_force(sub_dict: SubDict, update: Update) -> None:
    rng = random.Random(20251125)
    subs = {
        f"s{i}": sub(sub_dict, f"s{i}", random_query(rng), paused=rng.random() < 0.05)
        for i in range(1500)
    }
    index = SubscriptionIndex(subs.values())
    updates = [random_update(rng, update) for _ in range(200)]
    total = 0
    for n, u in enumerate(updates):
        if n % 20 == 0:  # churn: replace and remove some subscriptions between updates
            for _ in range(30):
                sid = f"s{rng.randrange(1600)}"
                if rng.random() < 0.3:
                    subs.pop(sid, None)
                    index.remove(sid)
                else:
                    subs[sid] = sub(sub_dict, sid, random_query(rng))
                    index.upsert(subs[sid])
        got = ids(index.match(u))
        assert got == brute_force(subs, u), n
        total += len(got)
    assert len(index) == len(subs)
    assert total > 1000  # the comparison is not vacuous


def test_index_only_evaluates_anchored_candidates(sub_dict: SubDict, update: Update) -> None:
    index = SubscriptionIndex(
        [sub(sub_dict, f"s{i}", f"@e{i} AND w{i}") for i in range(1000)]
        + [sub(sub_dict, "neg", "NOT @e1")]
    )
    ctx = index.context(update(entities=("e1", "e2"), text="w2"))
    assert index.candidates(ctx) == {"s1", "s2", "neg"}
