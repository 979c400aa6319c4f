"""Preview: the alerts a subscription would have sent over the story updates this worker
holds, answered while the user types (``POST /subscriptions/preview``).

``Recent`` keeps the updates of the last ``hours`` (at most ``max_updates``) compactly:
per update, what matching and the policy read (story id, revision, sizes, the article's
language, source, entities, title and the first ``LEAD`` characters of its text, the
first mention of each entity), plus a posting list per entity. A preview takes the
updates that hold one of the query's anchor terms (``index.anchors``: every match holds
one), rebuilds those as ``StoryUpdate``s and runs them, in order, through the
backtest's ``Trial`` — the real matching and once-per-story policy. Queries with a
keyword anchor scan the kept titles and leads; queries without anchors (``NOT @x``,
``size>=5``) take every update.

Keywords are looked for in the title and the first ``LEAD`` characters of the text (the
live worker looks in the whole text); an entity's mentions are its first one. Pure: the
caller hands in times.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.alerting.backtest import Outcome, Trial, summarize
from services.alerting.index import anchors
from services.alerting.subscriptions import Subscription
from shared.phrases import PhraseIndex
from shared.records import Article, Mention, StorySummary, StoryUpdate, TaggedArticle

__all__ = ["LEAD", "MAX_HOURS", "MAX_UPDATES", "Recent", "run_preview"]

LEAD = 600  # characters of the text kept per update
MAX_HOURS = 24.0
MAX_UPDATES = 1_000_000  # a day at ~11.5 updates/s
MAX_SHOWN = 200  # alerts listed in one answer (the summary counts all)
MAX_MISSES = 20


@dataclass(slots=True)
class _Entry:
    seq: int
    at: float
    story: StorySummary  # members, terms and links dropped
    article: Article  # text cut to LEAD
    mentions: tuple[Mention, ...]  # the first of each entity
    entities: frozenset[str]
    is_new: bool


class Recent:
    """The story updates of the last ``hours``, at most ``max_updates``, in arrival order."""

    def __init__(self, hours: float = MAX_HOURS, max_updates: int = MAX_UPDATES) -> None:
        self.hours = hours
        self.max_updates = max_updates
        self._list: list[_Entry] = []  # held entries are self._list[self._head:]
        self._head = 0
        self._base = 0  # seq of self._list[0]
        self._by_entity: dict[str, deque[int]] = {}
        self._keys: dict[tuple[str, int, str], int] = {}
        self._entity_sets: dict[frozenset[str], frozenset[str]] = {}
        self._seq = 0

    def __len__(self) -> int:
        return len(self._list) - self._head

    @property
    def _entries(self) -> list[_Entry]:
        if self._head:
            del self._list[: self._head]
            self._base += self._head
            self._head = 0
        return self._list

    def add(self, update: StoryUpdate, at: datetime) -> bool:
        """Keep ``update`` (arrived at ``at``); False for one already held (a replay)."""
        story, tagged = update.story, update.article
        key = (story.id, story.revision, tagged.article.id)
        if key in self._keys:
            return False
        self._expire(at.timestamp())
        first: dict[str, Mention] = {}
        for m in tagged.mentions:
            first.setdefault(m.entity, m)
        entities = frozenset(first)
        entities = self._entity_sets.setdefault(entities, entities)
        article = tagged.article
        if len(article.text) > LEAD:
            article = article.model_copy(update={"text": article.text[:LEAD]})
        summary = story.model_copy(update={"members": (), "terms": (), "links": ()})
        entry = _Entry(
            self._seq,
            at.timestamp(),
            summary,
            article,
            tuple(first.values()),
            entities,
            update.is_new,
        )
        self._list.append(entry)
        self._keys[key] = entry.seq
        for entity in entities:
            self._by_entity.setdefault(entity, deque()).append(entry.seq)
        self._seq += 1
        while len(self) > self.max_updates:
            self._evict()
        return True

    def _expire(self, now: float) -> None:
        oldest = now - self.hours * 3600
        while len(self) and self._list[self._head].at < oldest:
            self._evict()

    def _evict(self) -> None:
        entry = self._list[self._head]
        self._head += 1
        if self._head > 1024 and self._head * 2 > len(self._list):
            del self._list[: self._head]
            self._base += self._head
            self._head = 0
        del self._keys[(entry.story.id, entry.story.revision, entry.article.id)]
        for entity in entry.entities:
            postings = self._by_entity[entity]
            postings.popleft()  # postings are in arrival order: this entry is first
            if not postings:
                del self._by_entity[entity]
        if len(self._entity_sets) > 4 * len(self) + 1024:
            live = {e.entities for e in self._entries}
            self._entity_sets = {s: s for s in live}

    def _entry(self, seq: int) -> _Entry:
        return self._list[seq - self._base]

    def candidates(self, sub: Subscription, since: float) -> Iterator[_Entry]:
        """The held updates from ``since`` that may match ``sub`` (a superset), in order."""
        entries = self._entries
        if not entries:
            return iter(())
        terms = anchors(sub.compiled.root)
        window = (e for e in entries if e.at >= since)
        if terms is None:
            return window
        seqs: set[int] = set()
        keywords = sorted(name for kind, name in terms if kind == "keyword")
        for kind, name in terms:
            if kind == "entity":
                seqs.update(self._by_entity.get(name, ()))
        if keywords:
            phrases = PhraseIndex((k, k) for k in keywords)
            for e in entries:
                if e.at >= since and e.seq not in seqs:
                    text = f"{e.article.title}\n|\n{e.article.text}"
                    if phrases.hits(text):
                        seqs.add(e.seq)
        return (e for e in map(self._entry, sorted(seqs)) if e.at >= since)


def _update(entry: _Entry) -> StoryUpdate:
    tagged = TaggedArticle.model_construct(
        article=entry.article, mentions=entry.mentions, watchlist_version=""
    )
    return StoryUpdate.model_construct(story=entry.story, article=tagged, is_new=entry.is_new)


def run_preview(
    recent: Recent, sub: Subscription, hours: float, now: datetime, *, digest_unit_s: float = 60.0
) -> dict[str, Any]:
    """The preview's answer: the alerts (at most ``MAX_SHOWN`` listed), a summary, and the
    stories among the candidates that did not alert, with the first part that failed."""
    since = now - timedelta(hours=min(hours, recent.hours))
    trial = Trial(sub, digest_unit_s=digest_unit_s, explain_misses=True)
    outcomes: list[Outcome] = []
    candidates = 0
    for entry in recent.candidates(sub, since.timestamp()):
        candidates += 1
        at = datetime.fromtimestamp(entry.at, UTC)
        outcomes += trial.step(_update(entry), at)
    outcomes += trial.finish()
    summary = summarize(outcomes, since, now, candidates).to_json()
    summary["held_updates"] = len(recent)
    return {
        "alerts": [o.to_json() for o in outcomes[:MAX_SHOWN]],
        "summary": summary,
        "misses": [
            {"story": m.update.story.id, "headline": m.update.story.headline, "failed": m.failed}
            for m in trial.misses()[:MAX_MISSES]
        ],
    }
