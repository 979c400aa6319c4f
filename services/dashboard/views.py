"""The dashboard's read models: plain values in, plain values out, no Kafka, no clock.

Each model is bounded, so a dashboard that runs for months holds the same memory as one
that runs for an hour:

- ``StoryBoard``: the live stories by last update, i.e. by when wirewatch last saw an
  article join them (at most ``max_stories``; stories without an update for longer
  than ``dormant_after`` drop out). A story's own ``last_seen`` is the publication time
  of its newest article, which for an archive replay can be months ago;
- ``MentionTimeline``: mentions per entity per 5-minute bucket (by the time ingest saw
  the article), for the last ``keep`` hours;
- ``AlertFeed``: the latest ``limit`` alerts raised, each marked ``retrying`` once an
  attempt failed and ``dead-lettered`` once given up (a raised alert is not known to
  be delivered: delivery outcomes are not on Kafka).

``Dashboard`` feeds one ``StoryUpdate`` to the first two (each article counted once,
even when Kafka redelivers it) and one ``Alert`` to the third.
"""

from __future__ import annotations

from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from services.alerting.explain import describe
from shared import topics
from shared.records import Alert, DeadLetter, Digest, RetryEnvelope, StoryUpdate

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
    links: tuple[str, ...] = ()

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
            "links": list(self.links),
        }


@dataclass(frozen=True, slots=True)
class ArticleView:
    """One article of a story, as the story's page shows it."""

    id: str
    title: str
    url: str
    source: str
    lang: str
    published: datetime
    mentions: tuple[tuple[str, str], ...]  # (entity, surface text), the first few

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "lang": self.lang,
            "published": _iso(self.published),
            "mentions": [{"entity": e, "text": t} for e, t in self.mentions],
        }


MENTIONS_SHOWN = 12


class StoryBoard:
    """Live stories keyed by id; the newest revision of each wins."""

    def __init__(
        self,
        max_stories: int = 500,
        dormant_after: timedelta = timedelta(days=3),
        articles_per_story: int = 20,
    ) -> None:
        self.max_stories = max_stories
        self.dormant_after = dormant_after
        self.articles_per_story = articles_per_story
        self._stories: dict[str, StoryView] = {}
        self._articles: dict[str, OrderedDict[str, ArticleView]] = {}

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
                links=tuple(story.links),
            )
        self._stories[story.id] = view
        self._keep_article(story.id, update)
        if len(self._stories) > self.max_stories:
            oldest = min(self._stories.values(), key=lambda s: (s.updated, s.id))
            self._forget(oldest.id)
        return view

    def _keep_article(self, story_id: str, update: StoryUpdate) -> None:
        article = update.article.article
        kept = self._articles.setdefault(story_id, OrderedDict())
        if article.id in kept:
            return
        mentions = tuple((m.entity, m.text) for m in update.article.mentions[:MENTIONS_SHOWN])
        kept[article.id] = ArticleView(
            article.id,
            article.title,
            article.url,
            article.source,
            article.lang,
            article.published,
            mentions,
        )
        while len(kept) > self.articles_per_story:
            kept.popitem(last=False)

    def _forget(self, story_id: str) -> None:
        self._stories.pop(story_id, None)
        self._articles.pop(story_id, None)

    def get(self, story_id: str) -> StoryView | None:
        return self._stories.get(story_id)

    def detail(self, story_id: str) -> dict[str, Any] | None:
        """A story with its latest articles, their sources and mentions, and the stories
        it is linked to (with their headlines where still live)."""
        view = self._stories.get(story_id)
        if view is None:
            return None
        articles = list(reversed(self._articles.get(story_id, {}).values()))
        sources = Counter(a.source for a in articles)
        mentions = Counter(e for a in articles for e, _ in a.mentions)
        links = []
        for other in view.links:
            linked = self._stories.get(other)
            links.append(
                {
                    "id": other,
                    "headline": linked.headline if linked else None,
                    "lang": linked.lang if linked else None,
                    "size": linked.size if linked else None,
                }
            )
        return {
            **view.to_json(),
            "articles": [a.to_json() for a in articles],
            "article_sources": [{"source": k, "articles": n} for k, n in sources.most_common()],
            "mention_counts": [{"entity": k, "mentions": n} for k, n in mentions.most_common()],
            "linked": links,
        }

    def expire(self, now: datetime) -> int:
        """Drop stories without an update for ``dormant_after``; returns how many."""
        cutoff = now - self.dormant_after
        gone = [sid for sid, s in self._stories.items() if s.updated < cutoff]
        for sid in gone:
            self._forget(sid)
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
    held: tuple[str, ...] = ()  # why it fired: the parts of the query that held
    status: Status = "raised"
    detail: str = ""  # the last error (retrying) or the dead letter's reason

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
            held=tuple(describe(h) for h in alert.held),
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
            "held": list(self.held),
            "status": self.status,
            "detail": self.detail,
        }


# raised: on wirewatch.alerts, no failure seen; retrying: an attempt failed, the next is
# scheduled (wirewatch.alerts-retry); dead-lettered: given up (wirewatch.dead-letters)
Status = Literal["raised", "retrying", "dead-lettered"]
_RANK: dict[str, int] = {"raised": 0, "retrying": 1, "dead-lettered": 2}


class AlertFeed:
    """The latest ``limit`` alerts, newest first; a redelivered alert (same id, the
    idempotency key) is kept once."""

    def __init__(self, limit: int = 50, early_marks: int = 1000) -> None:
        self.limit = limit
        self._alerts: OrderedDict[str, AlertView] = OrderedDict()
        # marks for alerts not seen yet (the topics are read independently)
        self._early: OrderedDict[str, tuple[Status, str]] = OrderedDict()
        self._early_limit = early_marks

    def __len__(self) -> int:
        return len(self._alerts)

    def add(self, alert: Alert) -> bool:
        if alert.id in self._alerts:
            return False
        view = AlertView.of(alert)
        early = self._early.pop(alert.id, None)
        if early is not None:
            view = replace(view, status=early[0], detail=early[1])
        self._alerts[alert.id] = view
        if len(self._alerts) > self.limit:
            oldest = min(self._alerts.values(), key=lambda a: (a.created, a.id))
            del self._alerts[oldest.id]
        return True

    def mark(self, alert_id: str, status: Status, detail: str) -> bool:
        """An alert failed (``retrying``) or was given up (``dead-lettered``); a status
        never goes back (a dead letter re-driven shows as retrying only when it fails
        again). True when the alert is shown."""
        view = self._alerts.get(alert_id)
        if view is None:
            old = self._early.get(alert_id)
            if old is None or _RANK[status] >= _RANK[old[0]]:
                self._early[alert_id] = (status, detail[:500])
                self._early.move_to_end(alert_id)
                while len(self._early) > self._early_limit:
                    self._early.popitem(last=False)
            return False
        if _RANK[status] >= _RANK[view.status]:
            self._alerts[alert_id] = replace(view, status=status, detail=detail[:500])
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

    def apply_retry(self, envelope: RetryEnvelope) -> bool:
        """A failed attempt scheduled again (an envelope without an error is an alert
        queued behind its subscription's failing endpoint: not marked)."""
        alert = envelope.alert
        if isinstance(alert, Digest) or not envelope.last_error:
            return False
        failed = f"attempt {envelope.attempt - 1} failed: {envelope.last_error}"
        return self.alerts.mark(alert.id, "retrying", failed)

    def apply_dead_letter(self, letter: DeadLetter) -> bool:
        """A dead letter of an alert that could not be delivered (others are ignored)."""
        if letter.topic not in _ALERT_TOPICS or not letter.reason.startswith("undeliverable"):
            return False
        try:
            alert = _ALERT_OR_DIGEST.validate_json(letter.value)
        except ValidationError:
            return False
        if isinstance(alert, Digest):
            return False
        return self.alerts.mark(alert.id, "dead-lettered", letter.reason)


_ALERT_TOPICS = frozenset({topics.ALERTS.name, topics.ALERTS_RETRY.name})
_ALERT_OR_DIGEST: TypeAdapter[Alert | Digest] = TypeAdapter(Alert | Digest)
