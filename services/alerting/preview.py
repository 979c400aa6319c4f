"""Preview: the alerts a subscription would have sent over the story updates this worker
holds, answered while the user types (``POST /subscriptions/preview``).

``Recent`` keeps the updates of the last ``hours`` (at most ``max_updates``) compactly:
per update, what matching and the policy read (story id, revision, sizes, the article's
language, source, entities, title and the first ``LEAD`` characters of its text, the
first mention of each entity), about 1 KB each, plus a posting list per entity. A preview takes the
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

import sys
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from services.alerting.backtest import Outcome, Trial, summarize
from services.alerting.index import anchors
from services.alerting.query import And, Entity, Keyword, Lang, Node, Not, Size, Source
from services.alerting.subscriptions import Subscription
from shared.phrases import PhraseIndex
from shared.records import Article, Mention, StorySummary, StoryUpdate, TaggedArticle

__all__ = ["LEAD", "MAX_HOURS", "MAX_UPDATES", "Recent", "run_preview"]

LEAD = 300  # characters of the text kept per update
SNIPPET = 160  # characters of a mention's snippet kept
MAX_HOURS = 24.0
MAX_UPDATES = 100_000  # ~1.1 KB each (~110 MB): a day at ~1.2 updates/s, 2.8 h at 10/s
MAX_SHOWN = 200  # alerts listed in one answer (the summary counts all)
MAX_MISSES = 20

_MentionRow = tuple[str, str, str, Literal["title", "text"], int, int, str]


@dataclass(slots=True)
class _Entry:
    """One held update, without pydantic models: about 1 KB."""

    seq: int
    at: float
    story_id: str
    story_lang: str
    headline: str
    revision: int
    size: int  # the story's article count
    sources: int  # the story's source count
    first_seen: float
    last_seen: float
    is_new: bool
    article_id: str
    url: str
    title: str
    lead: str  # the first LEAD characters of the text
    lang: str
    source: str
    feed: str
    published: float
    fetched: float
    entities: frozenset[str]
    mentions: tuple[_MentionRow, ...]  # the first of each entity, snippet cut
    story_entities: tuple[str, ...]


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
        self._tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
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
        article = tagged.article
        key = (story.id, story.revision, article.id)
        if key in self._keys:
            return False
        self._expire(at.timestamp())
        first: dict[str, _MentionRow] = {}
        for m in tagged.mentions:
            if m.entity not in first:
                snippet = m.snippet if len(m.snippet) <= SNIPPET else m.snippet[:SNIPPET] + "…"
                first[m.entity] = (m.entity, m.alias, m.text, m.field, m.start, m.end, snippet)
        entities = frozenset(first)
        entities = self._entity_sets.setdefault(entities, entities)
        entry = _Entry(
            self._seq,
            at.timestamp(),
            sys.intern(story.id),
            sys.intern(story.lang),
            sys.intern(story.headline),
            story.revision,
            story.article_count,
            story.source_count,
            story.first_seen.timestamp(),
            story.last_seen.timestamp(),
            update.is_new,
            article.id,
            article.url,
            article.title,
            article.text[:LEAD],
            sys.intern(article.lang),
            sys.intern(article.source),
            sys.intern(article.feed),
            article.published.timestamp(),
            article.fetched.timestamp(),
            entities,
            tuple(first.values()),
            self._tuples.setdefault(story.entities, story.entities),
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
        del self._keys[(entry.story_id, entry.revision, entry.article_id)]
        for entity in entry.entities:
            postings = self._by_entity[entity]
            postings.popleft()  # postings are in arrival order: this entry is first
            if not postings:
                del self._by_entity[entity]
        if max(len(self._entity_sets), len(self._tuples)) > 4 * len(self) + 1024:
            live = {e.entities for e in self._entries}
            self._entity_sets = {s: s for s in live}
            kept = {e.story_entities for e in self._entries}
            self._tuples = {t: t for t in kept}

    def oldest(self) -> datetime:
        """When the oldest held update arrived (the preview cannot look further back)."""
        return datetime.fromtimestamp(self._list[self._head].at, UTC)

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
                    text = f"{e.title}\n|\n{e.lead}"
                    if phrases.hits(text):
                        seqs.add(e.seq)
        return (e for e in map(self._entry, sorted(seqs)) if e.at >= since)


_Known = Callable[[_Entry], bool | None]


def _known(node: Node) -> _Known:
    """``node`` over what an entry knows for sure (entities, language, source, size);
    keywords are unknown (None). False: the update cannot match, it need not be built."""
    if isinstance(node, Entity):
        name = node.name
        return lambda e: name in e.entities
    if isinstance(node, Keyword):
        return lambda e: None
    if isinstance(node, Lang):
        code, prefix = node.code, node.code + "-"
        return lambda e: (lang := e.lang.lower()) == code or lang.startswith(prefix)
    if isinstance(node, Source):
        source = node.name
        return lambda e: e.source.casefold() == source
    if isinstance(node, Size):
        size = node
        return lambda e: size.matches(_SizeOnly(e.size))  # type: ignore[arg-type]
    if isinstance(node, Not):
        inner = _known(node.item)

        def not_(e: _Entry) -> bool | None:
            v = inner(e)
            return None if v is None else not v

        return not_
    items = [_known(i) for i in node.items]
    if isinstance(node, And):
        ents = frozenset(i.name for i in node.items if isinstance(i, Entity))
        rest = [f for i, f in zip(node.items, items, strict=True) if not isinstance(i, Entity)]

        def and_(e: _Entry) -> bool | None:
            if not ents <= e.entities:
                return False
            out: bool | None = True
            for f in rest:
                v = f(e)
                if v is False:
                    return False
                if v is None:
                    out = None
            return out

        return and_

    def or_(e: _Entry) -> bool | None:
        out: bool | None = False
        for f in items:
            v = f(e)
            if v:
                return True
            if v is None:
                out = None
        return out

    return or_


@dataclass(frozen=True, slots=True)
class _SizeOnly:
    story_size: int


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


_M = TypeVar("_M", bound=BaseModel)


def _made(cls: type[_M], **values: Any) -> _M:
    """``cls.model_construct(**values)`` with every field given, about 4x faster (what
    pydantic's own does, without looking up defaults); a unit test holds it to
    ``model_construct``."""
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", set(values))
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


def _update(e: _Entry) -> StoryUpdate:
    """The held update as a ``StoryUpdate`` (built without validation: it was valid)."""
    story = _made(
        StorySummary,
        id=e.story_id,
        lang=e.story_lang,
        headline=e.headline,
        revision=e.revision,
        article_count=e.size,
        source_count=e.sources,
        first_seen=_utc(e.first_seen),
        last_seen=_utc(e.last_seen),
        entities=e.story_entities,
        terms=(),
        members=(),
        links=(),
    )
    article = _made(
        Article,
        v=1,
        id=e.article_id,
        url=e.url,
        title=e.title,
        text=e.lead,
        lang=e.lang,
        published=_utc(e.published),
        fetched=_utc(e.fetched),
        source=e.source,
        feed=e.feed,
    )
    mentions = tuple(
        _made(
            Mention,
            entity=m[0],
            alias=m[1],
            text=m[2],
            field=m[3],
            start=m[4],
            end=m[5],
            snippet=m[6],
        )
        for m in e.mentions
    )
    tagged = _made(TaggedArticle, v=1, article=article, mentions=mentions, watchlist_version="")
    return _made(StoryUpdate, v=1, story=story, article=tagged, is_new=e.is_new)


def run_preview(
    recent: Recent, sub: Subscription, hours: float, now: datetime, *, digest_unit_s: float = 60.0
) -> dict[str, Any]:
    """The preview's answer: the alerts (at most ``MAX_SHOWN`` listed), a summary, and the
    stories among the candidates that did not alert, with the first part that failed."""
    since = now - timedelta(hours=min(hours, recent.hours))
    full = None if sub.mode == "digest" else MAX_SHOWN  # a digest lists every story
    trial = Trial(sub, digest_unit_s=digest_unit_s, explain_misses=True, max_full=full)
    outcomes: list[Outcome] = []
    candidates = 0
    known = _known(sub.compiled.root)
    for entry in recent.candidates(sub, since.timestamp()):
        if known(entry) is False:  # cannot match: a miss, explained only if listed
            trial.note_miss(entry.story_id, partial(_update, entry))
            continue
        candidates += 1
        at = datetime.fromtimestamp(entry.at, UTC)
        outcomes += trial.step(_update(entry), at)
    outcomes += trial.finish()
    summary = summarize(outcomes, since, now, candidates).to_json()
    summary["held_updates"] = len(recent)
    summary["held_since"] = recent.oldest().isoformat() if len(recent) else None
    return {
        "alerts": [o.to_json() for o in outcomes[:MAX_SHOWN]],
        "summary": summary,
        "misses": [
            {"story": m.update.story.id, "headline": m.update.story.headline, "failed": m.failed}
            for m in trial.misses(MAX_MISSES)
        ],
    }
