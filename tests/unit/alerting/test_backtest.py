"""The backtest runs the services' own steps over the seeds: the alerts `make run` prints."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.alerting import once_per_story
from services.alerting.backtest import Outcome, Pipeline, Trial, trial_subscription
from services.alerting.cli import _parser, articles_of, run
from services.alerting.explain import explain
from services.alerting.subscriptions import SubscriptionError
from services.stack.console import line
from services.stories.stream import index_from
from services.tagger.matcher import Matcher
from services.tagger.watchlist import load_watchlist
from shared.records import Alert, Digest
from shared.settings import ROOT, Settings

SEEDS = ROOT / "seeds"
WALL = datetime(2026, 12, 1, tzinfo=UTC)
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def matcher(settings: Settings) -> Matcher:
    return Matcher(load_watchlist(settings.watchlist_file))


def backtest(matcher: Matcher, settings: Settings, query: str, **policy_: object) -> list[Outcome]:
    sub = trial_subscription(query, **policy_)  # type: ignore[arg-type]
    pipeline = Pipeline(matcher, index_from(settings), WALL)
    trial = Trial(sub, digest_unit_s=settings.digest_unit_s)
    return list(trial.run(pipeline.run(articles_of([SEEDS], WALL))))


def test_seeds_give_the_alerts_make_run_prints(matcher: Matcher, settings: Settings) -> None:
    outcomes = backtest(matcher, settings, "@elon_musk AND @sam_altman", sub_id="musk-and-altman")
    printed = [ln for ln in README.splitlines() if ln.startswith("ALERT ")]
    assert len(printed) == 2
    assert [line(once_per_story.render(o.alert)) for o in outcomes] == printed


def test_alerts_are_timed_by_event_time_and_say_why(matcher: Matcher, settings: Settings) -> None:
    outcomes = backtest(matcher, settings, '@elon_musk "roadster" lang:de')
    assert [o.at for o in outcomes] == [datetime(2025, 10, 20, 7, 30, tzinfo=UTC)]
    alert = outcomes[0].alert
    assert isinstance(alert, Alert)
    held = {h.term: h for h in alert.held}
    assert set(held) == {"@elon_musk", "roadster", "lang:de"}
    assert held["roadster"].field == "title" and held["roadster"].text == "Roadster"
    assert "Roadster" in held["roadster"].snippet
    assert held["lang:de"].seen == "de"
    assert held["@elon_musk"].count > 1


def test_updates_follow_the_subscription_policy(matcher: Matcher, settings: Settings) -> None:
    # the German follow-up (seed 002) joins the seed's story: an update once 1 more article
    outcomes = backtest(matcher, settings, "@elon_musk", every_articles=1)
    kinds = [(o.kind, o.alert.story_id) for o in outcomes if isinstance(o.alert, Alert)]
    assert kinds == [
        ("new", "st_f93949158ff7"),
        ("new", "st_e58ef623339b"),
        ("update", "st_f93949158ff7"),
    ]
    without = backtest(matcher, settings, "@elon_musk")
    assert [o.kind for o in without] == ["new", "new"]


def test_digest_mode_collects_by_event_time(matcher: Matcher, settings: Settings) -> None:
    outcomes = backtest(matcher, settings, "@elon_musk", mode="digest", digest_minutes=1440)
    digests = [o.alert for o in outcomes]
    assert all(isinstance(d, Digest) for d in digests)
    assert [len(d.alerts) for d in digests if isinstance(d, Digest)] == [2]
    assert outcomes[0].at == datetime(2025, 10, 21, tzinfo=UTC)  # the window's end


def test_an_article_seen_twice_is_answered_with_its_revision(
    matcher: Matcher, settings: Settings
) -> None:
    articles = list(articles_of([SEEDS], WALL))
    pipeline = Pipeline(matcher, index_from(settings), WALL)
    updates = list(pipeline.run([*articles, articles[0]]))
    first, again = updates[0][0], updates[-1][0]
    assert (again.story.id, again.story.revision, again.is_new) == (first.story.id, 1, True)
    trial = Trial(trial_subscription("@elon_musk AND @sam_altman"))
    alerts = list(trial.run(updates))
    # the repeat raises the same alert again (same id): the receiver drops it
    assert [o.alert.id for o in alerts] == [
        alerts[0].alert.id,
        alerts[1].alert.id,
        alerts[0].alert.id,
    ]


QUERIES = [
    "@elon_musk AND @sam_altman",
    "@sam_altman NOT Bundesbank",
    '"Tesla Roadster" OR @openai',
    "lang:en size>=1 NOT @elon_musk",
    'source:"Business Punk" OR Bundesbank',
    "NOT (@elon_musk OR @sam_altman)",
]


@pytest.mark.parametrize("query", QUERIES)
def test_explain_agrees_with_the_index(matcher: Matcher, settings: Settings, query: str) -> None:
    sub = trial_subscription(query)
    trial = Trial(sub)
    pipeline = Pipeline(matcher, index_from(settings), WALL)
    seen = 0
    for update, _ in pipeline.run(articles_of([SEEDS], WALL)):
        why = explain(sub.compiled, update)
        assert why.matched == bool(trial.index.match(update)), (query, update.story.headline)
        assert (why.failed is None) == why.matched
        seen += why.matched
    assert seen > 0


def test_cli_json_and_explain(settings: Settings) -> None:
    args = _parser().parse_args(
        ["@sam_altman AND roadster", str(SEEDS), "--json", "--explain", "--id", "t"]
    )
    out = io.StringIO()
    assert run(args, settings, out, WALL) == 0
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    alerts = [r for r in rows if "kind" in r]
    assert [a["story"]["id"] for a in alerts] == ["st_f93949158ff7", "st_e58ef623339b"]
    assert {h["term"] for h in alerts[0]["held"]} == {"@sam_altman", "roadster"}
    summary = next(r["summary"] for r in rows if "summary" in r)
    assert (summary["alerts"], summary["stories"], summary["updates"]) == (2, 2, 6)
    misses = {r["miss"]["headline"]: r["miss"]["failed"] for r in rows if "miss" in r}
    assert misses["Robert Altman retrospective opens with a restored print of Nashville"] == (
        "@sam_altman: not mentioned"
    )
    assert misses["Mazda gives the MX-5 Roadster a lighter special edition"] == (
        "@sam_altman: not mentioned"
    )


def test_cli_text_and_windows(settings: Settings) -> None:
    args = _parser().parse_args(
        ["@elon_musk", str(SEEDS), "--from", "2025-10-20T12:00:00Z", "--explain"]
    )
    out = io.StringIO()
    assert run(args, settings, out, WALL) == 0
    text = out.getvalue()
    assert text.startswith("new     2025-10-20 15:10:00  story st_e58ef623339b (rev 1, 1 articles)")
    assert "why: @elon_musk (4x, title:" in text
    # the seed's story was founded before the window: its first alert in it is "new", rev 2
    assert "new     2025-10-21 09:05:00  story st_f93949158ff7 (rev 2, 2 articles)" in text
    assert "summary: 2 alerts, 2 distinct stories, 5 story updates" in text
    assert "busiest story: st_e58ef623339b" in text
    mazda = "st_9fa18da6175c «Mazda gives the MX-5 Roadster a lighter special edition»"
    assert f"{mazda}: @elon_musk: not mentioned" in text


def test_a_bad_query_is_refused_with_its_position() -> None:
    with pytest.raises(SubscriptionError, match="at position 14"):
        trial_subscription("@elon_musk AND")


def test_a_jsonl_archive(tmp_path: Path, matcher: Matcher, settings: Settings) -> None:
    archive = tmp_path / "a.jsonl"
    rows = [
        {
            "id": "x1",
            "title": "Musk and Altman again",
            "text": "Sam Altman of OpenAI and Elon Musk.",
            "lang": "en",
            "published": "2025-11-01T10:00:00Z",
            "source": "Wire",
        },
        {
            "id": "x2",
            "title": "Weather",
            "text": "Rain.",
            "lang": "en",
            "published": "2025-11-01T11:00:00Z",
            "source": "Wire",
        },
    ]
    archive.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    pipeline = Pipeline(matcher, index_from(settings), WALL)
    trial = Trial(trial_subscription("@elon_musk AND @sam_altman"))
    outcomes = list(trial.run(pipeline.run(articles_of([archive], WALL))))
    assert [
        (o.kind, o.alert.article_id if isinstance(o.alert, Alert) else "") for o in outcomes
    ] == [("new", "x1")]


def test_cli_digest(settings: Settings) -> None:
    digest = ["--mode", "digest", "--digest-minutes", "1440", "--updates-every", "1"]
    args = _parser().parse_args(["@elon_musk", str(SEEDS), *digest])
    out = io.StringIO()
    assert run(args, settings, out, WALL) == 0
    lines = out.getvalue().splitlines()
    digests = [ln for ln in lines if ln.startswith("digest  ")]
    assert [d.split()[1:3] for d in digests] == [
        ["2025-10-21", "00:00:00"],
        ["2025-10-22", "00:00:00"],
    ]
    assert "2 stories  window 2025-10-20 00:00:00 – 2025-10-21 00:00:00" in digests[0]
    assert any(
        ln.startswith("  update  2025-10-21 09:05:00  story st_f93949158ff7") for ln in lines
    )
