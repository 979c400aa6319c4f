"""The dashboard's read models: plain values in, plain values out, no Kafka, no clock.

Each model is bounded, so a dashboard that runs for months holds the same memory as one
that runs for an hour:

- ``StoryBoard``: the live stories by last update, i.e. by when wirewatch last saw an
  article join them (at most ``max_stories``; stories without an update for longer
  than ``dormant_after`` drop out). A story's own ``last_seen`` is the publication time
  of its newest article, which for an archive replay can be months ago;
- ``MentionTimeline``: mentions per entity per 5-minute bucket (by the time ingest saw
  the article), for the last ``keep`` hours;
- ``AlertFeed``: the latest ``limit`` alerts raised.

``Dashboard`` feeds one ``StoryUpdate`` to the first two (each article counted once,
even when Kafka redelivers it) and one ``Alert`` to the third.
"""

from __future__ import annotations

from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.records import Alert, StoryUpdate

BUCKET = timedelta(minutes=5)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class StoryView:
    """One live story as the page shows it."""

    id: str
    headline: str
    lang: str
    size: int
    sources: int
    revision: int
    languages: tuple[str, ...]
    entities: tuple[str, ...]
    first_seen: datetime
    last_seen: datetime
    updated: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "headline": self.headline,
            "lang": self.lang,
            "size": self.size,
            "sources": self.sources,
            "revision": self.revision,
            "languages": list(self.languages),
            "entities": list(self.entities),
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "updated": _iso(self.updated),
        }


class StoryBoard:
    """Live stories keyed by id; the newest revision of each wins."""

    def __init__(
        self, max_stories: int = 500, dormant_after: timedelta = timedelta(days=3)
    ) -> None:
        self.max_stories = max_stories
        self.dormant_after = dormant_after
        self._stories: dict[str, StoryView] = {}

    def __len__(self) -> int:
        return len(self._stories)

    def apply(self, update: StoryUpdate) -> StoryView:
        story = update.story
        old = self._stories.get(story.id)
        article = update.article.article
        langs = {story.lang, article.lang} | set(old.languages if old else ())
        updated = max(article.fetched, old.updated) if old else article.fetched
        if old is not None and old.revision > story.revision:
            # A late, older revision: keep the newer summary, remember the language only.
            view = StoryView(
                **{**_fields(old), "languages": tuple(sorted(langs)), "updated": updated}
            )
        else:
            view = StoryView(
                id=story.id,
                headline=story.headline,
                lang=story.lang,
                size=story.article_count,
                sources=story.source_count,
                revision=story.revision,
                languages=tuple(sorted(langs)),
                entities=tuple(story.entities),
                first_seen=story.first_seen,
                last_seen=story.last_seen,
                updated=updated,
            )
        self._stories[story.id] = view
        if len(self._stories) > self.max_stories:
            oldest = min(self._stories.values(), key=lambda s: (s.updated, s.id))
            del self._stories[oldest.id]
        return view

    def expire(self, now: datetime) -> int:
        """Drop stories without an update for ``dormant_after``; returns how many."""
        cutoff = now - self.dormant_after
        gone = [sid for sid, s in self._stories.items() if s.updated < cutoff]
        for sid in gone:
            del self._stories[sid]
        return len(gone)

    def latest(self, limit: int = 100) -> list[StoryView]:
        ordered = sorted(self._stories.values(), key=lambda s: (s.updated, s.id), reverse=True)
        return ordered[: max(0, limit)]


def _fields(view: StoryView) -> dict[str, Any]:
    return {name: getattr(view, name) for name in StoryView.__slots__}


@dataclass(frozen=True, slots=True)
class MentionSeries:
    """Counts per entity for consecutive buckets starting at ``start``."""

    start: datetime
    bucket: timedelta
    length: int
    counts: dict[str, list[int]]

    def to_json(self) -> dict[str, Any]:
        return {
            "bucket_seconds": int(self.bucket.total_seconds()),
            "buckets": [_iso(self.start + i * self.bucket) for i in range(self.length)],
            "series": [
                {"entity": entity, "counts": counts, "total": sum(counts)}
                for entity, counts in self.counts.items()
            ],
        }


class MentionTimeline:
    """Mentions per entity per bucket, kept for ``keep``."""

    def __init__(self, bucket: timedelta = BUCKET, keep: timedelta = timedelta(hours=24)) -> None:
        if bucket <= timedelta(0) or keep < bucket:
            raise ValueError("bucket must be positive and keep at least one bucket")
        self.bucket = bucket
        self.keep = keep
        self._buckets: dict[int, Counter[str]] = {}

    def _index(self, at: datetime) -> int:
        return int(at.timestamp() // self.bucket.total_seconds())

    def add(self, at: datetime, entities: Counter[str], now: datetime) -> None:
        """Count ``entities`` at ``at`` (clamped to ``now``: no future buckets)."""
        if not entities:
            return
        index = self._index(min(at, now))
        if index < self._index(now - self.keep):
            return
        self._buckets.setdefault(index, Counter()).update(entities)
        self.prune(now)

    def prune(self, now: datetime) -> None:
        first = self._index(now - self.keep)
        for index in [i for i in self._buckets if i < first]:
            del self._buckets[index]

    def series(self, now: datetime, hours: float, top: int = 10) -> MentionSeries:
        """The last ``hours`` (at most ``keep``) as one count list per entity, the
        ``top`` entities by total first; buckets without mentions count 0."""
        span = min(timedelta(hours=hours), self.keep)
        last = self._index(now)
        first = self._index(now - span) + 1 if span >= self.bucket else last
        totals: Counter[str] = Counter()
        for index in range(first, last + 1):
            totals.update(self._buckets.get(index, Counter()))
        entities = [e for e, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
        counts = {
            e: [self._buckets.get(i, Counter()).get(e, 0) for i in range(first, last + 1)]
            for e in entities
        }
        start = datetime.fromtimestamp(first * self.bucket.total_seconds(), UTC)
        return MentionSeries(
            start=start, bucket=self.bucket, length=last - first + 1, counts=counts
        )


@dataclass(frozen=True, slots=True)
class AlertView:
    id: str
    subscription: str
    kind: str
    story_id: str
    headline: str
    revision: int
    size: int
    article_title: str
    article_url: str
    entities: tuple[str, ...]
    created: datetime

    @classmethod
    def of(cls, alert: Alert) -> AlertView:
        return cls(
            id=alert.id,
            subscription=alert.subscription,
            kind=alert.kind,
            story_id=alert.story_id,
            headline=alert.story_headline,
            revision=alert.story_revision,
            size=alert.story_size,
            article_title=alert.article_title,
            article_url=alert.article_url,
            entities=tuple(alert.entities),
            created=alert.created,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subscription": self.subscription,
            "kind": self.kind,
            "story_id": self.story_id,
            "headline": self.headline,
            "revision": self.revision,
            "size": self.size,
            "article_title": self.article_title,
            "article_url": self.article_url,
            "entities": list(self.entities),
            "created": _iso(self.created),
        }


class AlertFeed:
    """The latest ``limit`` alerts, newest first; a redelivered alert (same id, the
    idempotency key) is kept once."""

    def __init__(self, limit: int = 50) -> None:
        self.limit = limit
        self._alerts: OrderedDict[str, AlertView] = OrderedDict()

    def __len__(self) -> int:
        return len(self._alerts)

    def add(self, alert: Alert) -> bool:
        if alert.id in self._alerts:
            return False
        self._alerts[alert.id] = AlertView.of(alert)
        if len(self._alerts) > self.limit:
            oldest = min(self._alerts.values(), key=lambda a: (a.created, a.id))
            del self._alerts[oldest.id]
        return True

    def latest(self) -> list[AlertView]:
        return sorted(self._alerts.values(), key=lambda a: (a.created, a.id), reverse=True)


@dataclass
class RecentIds:
    """The last ``size`` ids seen, to count a redelivered article once."""

    size: int = 50_000
    _ids: deque[str] = field(default_factory=deque)
    _set: set[str] = field(default_factory=set)

    def add(self, ident: str) -> bool:
        """True when ``ident`` is new."""
        if ident in self._set:
            return False
        self._ids.append(ident)
        self._set.add(ident)
        if len(self._ids) > self.size:
            self._set.discard(self._ids.popleft())
        return True


@dataclass
class Dashboard:
    """Everything the page shows, fed one record at a time."""

    stories: StoryBoard = field(default_factory=StoryBoard)
    mentions: MentionTimeline = field(default_factory=MentionTimeline)
    alerts: AlertFeed = field(default_factory=AlertFeed)
    articles: RecentIds = field(default_factory=RecentIds)

    def apply_update(self, update: StoryUpdate, now: datetime) -> bool:
        """Apply a story update; True when its article was new (its mentions counted)."""
        self.stories.apply(update)
        self.stories.expire(now)
        tagged = update.article
        if not self.articles.add(tagged.article.id):
            return False
        counts = Counter(m.entity for m in tagged.mentions)
        self.mentions.add(tagged.article.fetched, counts, now)
        return True

    def apply_alert(self, alert: Alert) -> bool:
        return self.alerts.add(alert)
