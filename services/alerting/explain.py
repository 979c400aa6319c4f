"""Why a query fired, or why not: which parts held for one story update, with what the
article showed (an entity's mentions, a keyword's field and snippet, the language, source
or size seen), and for an update it did not match, the first part that failed.

Pure: an update and a parsed query in, plain values out. The matching itself is
``index.SubscriptionIndex``; this walks the same query over the same update to say why,
and is only called for the few updates that alert (or when asked: backtest, preview).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from services.alerting.query import And, Entity, Keyword, Lang, Node, Not, Or, Query, Size, Source
from services.tagger.matcher import snippet
from shared.phrases import PhraseIndex
from shared.records import Held, StoryUpdate

__all__ = ["Explainer", "Explanation", "describe", "explain", "explainer"]


@dataclass(frozen=True, slots=True)
class Explanation:
    """``held``: the parts that held (for a match: why it fired; otherwise what held on
    the way to the part that failed). ``failed``: for an update the query does not
    match, the first part that failed and why."""

    matched: bool
    held: tuple[Held, ...]
    failed: str | None


@dataclass(frozen=True, slots=True)
class _Found:
    count: int
    field: str
    text: str
    snippet: str


class Explainer:
    """One query, its keywords compiled once into a ``PhraseIndex``."""

    def __init__(self, root: Node) -> None:
        self.root = root
        keys = sorted(Query(root, "").keywords)
        self._phrases = PhraseIndex((k, k) for k in keys) if keys else None

    def _keywords(self, update: StoryUpdate) -> dict[str, _Found]:
        if self._phrases is None:
            return {}
        article = update.article.article
        counts: dict[str, int] = {}
        first: dict[str, tuple[str, str, int, int]] = {}
        for field, value in (("title", article.title), ("text", article.text)):
            for start, end, key in sorted(self._phrases.hits(value)):
                counts[key] = counts.get(key, 0) + 1
                first.setdefault(key, (field, value, start, end))
        return {
            key: _Found(counts[key], f, v[s:e], snippet(v, s, e))
            for key, (f, v, s, e) in first.items()
        }

    def explain(self, update: StoryUpdate) -> Explanation:
        walk = _Walk(update, self._keywords(update))
        holds, held, failed = walk.node(self.root)
        unique = tuple({h.term: h for h in held}.values())
        return Explanation(holds, unique, None if holds else failed)


@lru_cache(maxsize=4096)
def explainer(root: Node) -> Explainer:
    """The ``Explainer`` of a query root, built once per distinct query."""
    return Explainer(root)


def explain(query: Query, update: StoryUpdate) -> Explanation:
    return explainer(query.root).explain(update)


_Result = tuple[bool, list[Held], str | None]


class _Walk:
    def __init__(self, update: StoryUpdate, keywords: dict[str, _Found]) -> None:
        self.update = update
        self.keywords = keywords
        article = update.article
        self.entities = article.entities
        self.lang = article.article.lang
        self.source = article.article.source
        self.size = update.story.article_count

    def node(self, node: Node) -> _Result:
        if isinstance(node, And):
            held: list[Held] = []
            failed = None
            for item in node.items:
                ok, parts, why = self.node(item)
                held += parts
                if not ok and failed is None:
                    failed = why
            return failed is None, held, failed
        if isinstance(node, Or):
            results = [self.node(item) for item in node.items]
            held = [h for ok, parts, _ in results if ok for h in parts]
            if any(ok for ok, _, _ in results):
                return True, held, None
            return False, [], f"{node}: none of its parts held ({results[0][2]})"
        if isinstance(node, Not):
            ok, parts, _ = self.node(node.item)
            if ok:
                seen = "; ".join(_said(h) for h in parts) or str(node.item)
                return False, [], f"{node}: {node.item} held ({seen})"
            return True, [Held(term=str(node), kind="not", seen=f"no {node.item}")], None
        if isinstance(node, Entity):
            return self.entity(node)
        if isinstance(node, Keyword):
            return self.keyword(node)
        if isinstance(node, Lang):
            if _lang(node, self.lang):
                return True, [Held(term=str(node), kind="lang", seen=self.lang)], None
            return False, [], f"{node}: the article's language is {self.lang!r}"
        if isinstance(node, Source):
            if self.source.casefold() == node.name:
                return True, [Held(term=str(node), kind="source", seen=self.source)], None
            return False, [], f"{node}: the article's source is {self.source!r}"
        assert isinstance(node, Size)
        if _size(node, self.size):
            return True, [Held(term=str(node), kind="size", seen=str(self.size))], None
        return False, [], f"{node}: the story has {self.size} article(s)"

    def entity(self, node: Entity) -> _Result:
        mine = [m for m in self.update.article.mentions if m.entity == node.name]
        if not mine:
            return False, [], f"{node}: not mentioned"
        first = mine[0]
        held = Held(
            term=str(node),
            kind="entity",
            count=len(mine),
            field=first.field,
            text=first.text,
            snippet=first.snippet,
        )
        return True, [held], None

    def keyword(self, node: Keyword) -> _Result:
        found = self.keywords.get(node.key)
        if found is None:
            return False, [], f"{node}: not in the title or text"
        held = Held(
            term=str(node),
            kind="keyword",
            count=found.count,
            field="title" if found.field == "title" else "text",
            text=found.text,
            snippet=found.snippet,
        )
        return True, [held], None


def _lang(node: Lang, lang: str) -> bool:
    lang = lang.lower()
    return lang == node.code or lang.startswith(node.code + "-")


def _size(node: Size, n: int) -> bool:
    v = node.value
    return {
        ">=": n >= v,
        ">": n > v,
        "<=": n <= v,
        "<": n < v,
        "=": n == v,
    }[node.op]


def _said(held: Held) -> str:
    if held.kind in ("entity", "keyword"):
        return f"{held.term} in the {held.field}: {held.text!r}"
    return f"{held.term}: {held.seen}"


def describe(held: Held) -> str:
    """One line for a part that held, as the CLI, email and Apprise text show it."""
    if held.kind == "entity":
        return f'{held.term} ({held.count}x, {held.field}: "{held.snippet}")'
    if held.kind == "keyword":
        return f'{held.term} ({held.field}: "{held.snippet}")'
    if held.kind == "not":
        return held.term
    return f"{held.term} (saw {held.seen})"
