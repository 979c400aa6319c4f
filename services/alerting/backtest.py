"""Backtest: the alerts one subscription would have sent over what already happened.

Pure, in two stages that call the very steps the services call, in their order:

- ``Pipeline`` (archives): each article through the tagger's step (``Matcher.tag``) and
  the stories worker's (``StoryIndex.assign``, with that worker's per-language event-time
  clock and its answer to an article it has seen before), giving the ``StoryUpdate`` the
  worker would have sent, and the event time it was made at;
- ``Trial``: each update through the alerting worker's matching step
  (``SubscriptionIndex.match`` then ``once_per_story.react``, the once-per-story policy,
  with an in-memory ``alerts-sent``), and, in digest mode, through ``digest.add``/``build`` with
  windows closed by event time as the worker's ticks close them by the clock.

``Outcome`` is one alert (or digest) with the time it would have been raised;
``summarize`` gives the totals. No Kafka, no clock: times are handed in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from services.alerting import digest, once_per_story
from services.alerting.explain import explain
from services.alerting.index import SubscriptionIndex
from services.alerting.subscriptions import Subscription, validate
from services.stories.clustering import StoryIndex
from services.stories.stream import StreamClock, repeat_update
from services.tagger.matcher import Matcher
from shared.records import Alert, Article, Digest, StoryUpdate, TaggedArticle

__all__ = [
    "Miss",
    "Outcome",
    "Pipeline",
    "Summary",
    "Trial",
    "summarize",
    "trial_subscription",
]

TRIAL_CHANNEL = {"type": "email", "to": ["backtest@wirewatch.invalid"]}  # never sent to


def trial_subscription(
    query: str,
    *,
    sub_id: str = "backtest",
    every_articles: int | None = None,
    every_sources: int | None = None,
    mode: Literal["realtime", "digest"] = "realtime",
    digest_minutes: int | None = None,
) -> Subscription:
    """A subscription to try: the query and policy given, a channel nothing is sent to.
    Raises ``SubscriptionError`` (naming the field and, for the query, the position)."""
    raw: dict[str, Any] = {
        "id": sub_id,
        "query": query,
        "channel": TRIAL_CHANNEL,
        "mode": mode,
        "updates": {"every_articles": every_articles, "every_sources": every_sources},
    }
    if digest_minutes is not None:
        raw["digest_minutes"] = digest_minutes
    return validate(raw)


class Pipeline:
    """Tagger then stories, in-process, one article at a time, with the stories
    worker's own clock and repeat (``services/stories/stream.py``)."""

    def __init__(self, matcher: Matcher, index: StoryIndex, wall: datetime) -> None:
        self.matcher = matcher
        self.index = index
        self.wall = wall  # the wall clock the worker caps event time with
        self._clock = StreamClock()
        self._assigned: dict[str, tuple[str, int]] = {}  # article id -> (story id, revision)

    def stream_time(self, lang: str, published: datetime) -> datetime:
        return self._clock.at(lang, published, self.wall)

    def tag(self, article: Article) -> TaggedArticle:
        return self.matcher.tag(article)

    def assign(self, tagged: TaggedArticle) -> tuple[StoryUpdate, datetime]:
        """The update the stories worker sends for ``tagged``, and its event time."""
        lang, article_id = tagged.article.lang, tagged.article.id
        again = repeat_update(self.index, self._assigned.get(article_id), tagged)
        if again is not None:  # seen before: the same revision again
            return again, self._clock.current(lang, tagged.article.published)
        at = self.stream_time(lang, tagged.article.published)
        summary, is_new = self.index.assign(tagged, at)
        self._assigned[article_id] = (summary.id, summary.revision)
        return StoryUpdate(story=summary, article=tagged, is_new=is_new), at

    def run(self, articles: Iterable[Article]) -> Iterator[tuple[StoryUpdate, datetime]]:
        for article in articles:
            yield self.assign(self.tag(article))


@dataclass(frozen=True, slots=True)
class Outcome:
    """One alert (or digest) the subscription would have been sent, at ``at``."""

    at: datetime
    alert: Alert | Digest

    @property
    def kind(self) -> str:
        return self.alert.kind

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), **once_per_story.render(self.alert)["data"]}


@dataclass(frozen=True, slots=True)
class Miss:
    """A story that never alerted: its latest update and the first part that failed."""

    update: StoryUpdate
    failed: str
    near: bool  # some part of the query held


class Trial:
    """One subscription's alerting over a sequence of story updates."""

    def __init__(
        self,
        sub: Subscription,
        *,
        digest_unit_s: float = 60.0,
        explain_misses: bool = False,
        max_full: int | None = None,
    ) -> None:
        self.sub = sub
        self.max_full = max_full  # alerts built in full; later ones only counted
        self.raised = 0
        self.index = SubscriptionIndex([sub])
        self.sent: dict[str, dict[str, Any]] = {}
        self.seconds = (sub.digest_minutes or 0) * digest_unit_s
        self._window: digest.State | None = None
        self._explain = explain_misses
        self._alerted: set[str] = set()
        # story id -> its latest update (or how to make it), for the stories not alerted
        self._missed: dict[str, StoryUpdate | Callable[[], StoryUpdate]] = {}
        self.updates = 0

    @property
    def digesting(self) -> bool:
        return self.sub.mode == "digest" and self.seconds > 0

    def step(self, update: StoryUpdate, at: datetime) -> list[Outcome]:
        """The outcomes of one update made at ``at`` (event time)."""
        self.updates += 1
        out = self._tick(at)
        matched = self.index.match(update)
        light = self.max_full is not None and self.raised >= self.max_full
        build = once_per_story.count_alert if light else None
        raised, writes = once_per_story.react(matched, update, self.sent.get, at, build)
        self.raised += len(raised)
        self.sent.update(writes)
        story_id = update.story.id
        if matched:
            self._alerted.add(story_id)
            self._missed.pop(story_id, None)
        elif self._explain and story_id not in self._alerted:
            self._missed[story_id] = update  # explained in misses(), once per story
        for alert in raised:
            if not self.digesting:
                out.append(Outcome(at, alert))
                continue
            self._window, closed = digest.add(
                self._window, alert, seconds=self.seconds, partition=0, now=at
            )
            if closed is not None:
                out.append(Outcome(closed.window_end, closed))
        return out

    def note_miss(self, story_id: str, update: Callable[[], StoryUpdate]) -> None:
        """An update known not to match (a caller's pre-filter): a miss of its story
        unless that story alerted already (explain_misses only)."""
        if self._explain and story_id not in self._alerted:
            self._missed[story_id] = update

    def _tick(self, at: datetime) -> list[Outcome]:
        if self._window is not None and digest.due(self._window, at):
            end = _window_end(self._window)
            closed = digest.build(self.sub.id, self._window, end)
            self._window = None
            return [Outcome(end, closed)]
        return []

    def finish(self) -> list[Outcome]:
        """The digest window still open at the end, closed at its end."""
        if self._window is None:
            return []
        end = _window_end(self._window)
        closed = digest.build(self.sub.id, self._window, end)
        self._window = None
        return [Outcome(end, closed)]

    def misses(self, limit: int | None = None) -> list[Miss]:
        """Stories that never alerted (explain_misses only), each with the first part of
        the query that failed on its latest update: near misses (some part held) first,
        by story id; at most ``limit``, explaining no more stories than it needs."""
        near: list[Miss] = []
        far: list[Miss] = []
        for story_id in sorted(self._missed):
            if limit is not None and len(near) >= limit:
                break
            held = self._missed[story_id]
            update = held if isinstance(held, StoryUpdate) else held()
            why = explain(self.sub.compiled, update)
            (near if why.held else far).append(Miss(update, why.failed or "", bool(why.held)))
        return (near + far)[:limit]

    def run(self, updates: Iterable[tuple[StoryUpdate, datetime]]) -> Iterator[Outcome]:
        for update, at in updates:
            yield from self.step(update, at)
        yield from self.finish()


def _window_end(state: digest.State) -> datetime:
    return datetime.fromisoformat(state["window"]) + timedelta(seconds=state["seconds"])


@dataclass(frozen=True, slots=True)
class Summary:
    alerts: int
    stories: int
    days: float
    per_day: float
    by_date: tuple[tuple[str, int], ...]
    busiest: tuple[str, str, int] | None  # story id, headline, alerts
    updates: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "alerts": self.alerts,
            "stories": self.stories,
            "updates": self.updates,
            "days": round(self.days, 3),
            "alerts_per_day": round(self.per_day, 3),
            "by_date": dict(self.by_date),
            "busiest": None
            if self.busiest is None
            else {"story": self.busiest[0], "headline": self.busiest[1], "alerts": self.busiest[2]},
        }


def _stories_of(outcome: Outcome) -> list[tuple[str, str]]:
    alert = outcome.alert
    if isinstance(alert, Digest):
        return [(a.story_id, a.story_headline) for a in alert.alerts]
    return [(alert.story_id, alert.story_headline)]


def summarize(
    outcomes: list[Outcome], start: datetime | None, end: datetime | None, updates: int = 0
) -> Summary:
    """Totals over ``outcomes``; alerts per day over ``start``–``end`` (at least a day)."""
    counts: Counter[str] = Counter()
    headlines: dict[str, str] = {}
    for outcome in outcomes:
        for story_id, headline in _stories_of(outcome):
            counts[story_id] += 1
            headlines[story_id] = headline
    span = (end - start).total_seconds() / 86400 if start and end else 0.0
    days = max(span, 1.0)
    by_date = Counter(o.at.astimezone(UTC).date().isoformat() for o in outcomes)
    busiest = None
    if counts:
        story_id, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        busiest = (story_id, headlines[story_id], n)
    return Summary(
        alerts=len(outcomes),
        stories=len(counts),
        days=span,
        per_day=len(outcomes) / days,
        by_date=tuple(sorted(by_date.items())),
        busiest=busiest,
        updates=updates,
    )
