"""The preview answers what the backtest answers, over the updates a worker holds."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from services.alerting.api import ROUTES, ApiRequest, SubscriptionsApi
from services.alerting.backtest import Pipeline, Trial, trial_subscription
from services.alerting.cli import articles_of
from services.alerting.preview import LEAD, Recent, run_preview
from services.alerting.store import SubscriptionStore
from services.alerting.subscriptions import Subscription
from services.stories.stream import index_from
from services.tagger.matcher import Matcher
from services.tagger.watchlist import load_watchlist
from shared.records import StoryUpdate
from shared.settings import ROOT, Settings

from .conftest import UpdateFactory

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
PREVIEW = next(r for r in ROUTES if r.handler == "preview")


@pytest.fixture(scope="module")
def seed_updates() -> list[StoryUpdate]:
    settings = Settings()
    pipeline = Pipeline(Matcher(load_watchlist(settings.watchlist_file)), index_from(settings), NOW)
    return [u for u, _ in pipeline.run(articles_of([ROOT / "seeds"], NOW))]


def held(updates: list[StoryUpdate], start: datetime = NOW - timedelta(hours=1)) -> Recent:
    recent = Recent()
    for n, update in enumerate(updates):
        recent.add(update, start + timedelta(seconds=n))
    return recent


QUERIES = ["@elon_musk AND @sam_altman", "roadster", "NOT @elon_musk", '"Tesla Roadster" lang:en']


@pytest.mark.parametrize("query", QUERIES)
def test_preview_gives_the_backtests_alerts(seed_updates: list[StoryUpdate], query: str) -> None:
    sub = trial_subscription(query, sub_id="s1", every_articles=1)
    answer = run_preview(held(seed_updates), sub, 24, NOW)
    start = NOW - timedelta(hours=1)
    trial = Trial(sub)
    expected = list(
        trial.run((u, start + timedelta(seconds=n)) for n, u in enumerate(seed_updates))
    )
    assert [(a["kind"], a["id"], a["story"]["id"]) for a in answer["alerts"]] == [
        (o.kind, o.alert.id, o.alert.story_id) for o in expected
    ]
    assert answer["alerts"], query
    assert answer["summary"]["alerts"] == len(expected)
    json.dumps(answer)


def test_why_and_why_not(seed_updates: list[StoryUpdate]) -> None:
    sub = trial_subscription("@sam_altman roadster")
    answer = run_preview(held(seed_updates), sub, 24, NOW)
    first = answer["alerts"][0]
    assert {h["term"]: h["kind"] for h in first["held"]} == {
        "@sam_altman": "entity",
        "roadster": "keyword",
    }
    # candidates hold an anchor (here @sam_altman): the stories that did not alert among
    # them are near misses, with the first part that failed
    sub = trial_subscription("roadster NOT @elon_musk")
    answer = run_preview(held(seed_updates), sub, 24, NOW)
    assert [a["story"]["headline"] for a in answer["alerts"]] == [
        "Mazda gives the MX-5 Roadster a lighter special edition"
    ]
    assert answer["alerts"][0]["held"] == [
        {
            "term": "roadster",
            "kind": "keyword",
            "count": 3,
            "field": "title",
            "text": "Roadster",
            "snippet": "Mazda gives the MX-5 Roadster a lighter special edition",
        },
        {"term": "NOT @elon_musk", "kind": "not", "seen": "no @elon_musk"},
    ]
    misses = {m["story"]: m["failed"] for m in answer["misses"]}
    assert set(misses) == {"st_f93949158ff7", "st_e58ef623339b"}
    assert misses["st_e58ef623339b"].startswith(
        "NOT @elon_musk: @elon_musk held (@elon_musk in the title: 'Musk')"
    )


def test_hours_and_bounds(update: UpdateFactory) -> None:
    recent = Recent(hours=2, max_updates=3)
    for n in range(5):
        u = update(entities=("elon_musk",), story_id=f"st_{n}", article_id=f"a{n}")
        assert recent.add(u, NOW - timedelta(minutes=50 - 10 * n))
    assert len(recent) == 3  # bounded
    assert recent.oldest() == NOW - timedelta(minutes=30)
    assert not recent.add(u, NOW)  # a replayed update is held once
    sub = trial_subscription("@elon_musk")
    stories = [a["story"]["id"] for a in run_preview(recent, sub, 24, NOW)["alerts"]]
    assert stories == ["st_2", "st_3", "st_4"]
    last_15_min = [a["story"]["id"] for a in run_preview(recent, sub, 0.25, NOW)["alerts"]]
    assert last_15_min == ["st_4"]
    recent.add(update(story_id="st_9", article_id="a9"), NOW + timedelta(hours=3))
    assert len(recent) == 1  # older than 2 hours: gone


def test_keywords_are_looked_for_in_the_lead(update: UpdateFactory) -> None:
    recent = Recent()
    recent.add(update(story_id="st_a", article_id="a", text="x " * LEAD + "needle"), NOW)
    recent.add(update(story_id="st_b", article_id="b", text="a needle here"), NOW)
    sub = trial_subscription("needle")
    answer = run_preview(recent, sub, 1, NOW + timedelta(minutes=1))
    assert [a["story"]["id"] for a in answer["alerts"]] == ["st_b"]
    assert answer["alerts"][0]["held"][0]["snippet"] == "a needle here"


def api(recent: Recent | None) -> SubscriptionsApi:
    store = SubscriptionStore(ROOT / "config" / "subscriptions.yaml", [])

    async def publish(*_: object) -> bool:
        raise AssertionError("a preview publishes nothing")

    def preview(sub: Subscription, hours: float) -> dict[str, object]:
        assert recent is not None
        return run_preview(recent, sub, hours, NOW)

    return SubscriptionsApi(store, publish, [], lambda: NOW, preview if recent else None)


def post(target: SubscriptionsApi, body: object) -> tuple[int, dict[str, object]]:
    request = ApiRequest("POST", {}, {}, json.dumps(body).encode())
    answer = asyncio.run(target.handle(PREVIEW, request))
    return answer.status, answer.body


def test_the_route_needs_no_token_and_stores_nothing(seed_updates: list[StoryUpdate]) -> None:
    target = api(held(seed_updates))
    status, body = post(target, {"query": "@elon_musk AND @sam_altman", "hours": 6})
    assert status == 200
    assert body["errors"] == []
    alerts = body["alerts"]
    assert isinstance(alerts, list) and len(alerts) == 2
    assert alerts[0]["subscription"] == "preview"
    status, body = post(target, {"id": "desk", "query": "@elon_musk"})
    assert status == 200 and body["alerts"][0]["subscription"] == "desk"  # type: ignore[index]


def test_query_errors_with_positions(seed_updates: list[StoryUpdate]) -> None:
    target = api(held(seed_updates))
    status, body = post(target, {"query": "@elon_musk AND (roadster"})
    assert status == 422
    assert body["errors"] == [
        {"field": "query", "message": "expected ')'", "position": 24},
    ]
    status, body = post(target, {"query": "@elon_musk", "hours": 48})
    assert status == 422 and "hours" in str(body["error"])
    status, body = post(target, ["not", "an", "object"])
    assert status == 422
    assert post(api(None), {"query": "@elon_musk"})[0] == 404


def test_held_updates_rebuild_as_pydantic_would(seed_updates: list[StoryUpdate]) -> None:
    from services.alerting.preview import _update  # noqa: PLC0415 - the private builder

    recent = held(seed_updates)
    for entry, original in zip(recent._entries, seed_updates, strict=True):
        rebuilt = _update(entry)
        story = original.story.model_copy(update={"members": (), "terms": (), "links": ()})
        assert rebuilt.story == story
        assert rebuilt.article.article.text == original.article.article.text[:LEAD]
        assert (
            rebuilt.article.article.model_dump().keys()
            == original.article.article.model_dump().keys()
        )
        again = StoryUpdate.model_validate(rebuilt.model_dump())  # a valid record
        assert again.article.entities == original.article.entities
        assert (
            rebuilt.model_fields_set
            == StoryUpdate.model_construct(**dict(rebuilt)).model_fields_set
        )
