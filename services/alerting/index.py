"""The subscription index: which subscriptions an update matches, fast.

``SubscriptionIndex.match`` is fast with 100,000 subscriptions because each
subscription is filed under its *anchors*: a set of entity/keyword terms at least one
of which every matching article must contain (for ``a AND b`` the cheaper side, for
``a OR b`` both sides). An update only looks at the subscriptions filed under a term it
contains, plus the few that have no anchor (pure ``NOT``/filter queries); under each
anchor, queries are kept as precompiled conjuncts checked in bulk (see "the matching
plan" below).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from services.alerting.query import (
    And,
    Entity,
    Evaluator,
    Keyword,
    Lang,
    MatchContext,
    Node,
    Not,
    Or,
    Source,
    evaluator,
)
from services.alerting.subscriptions import Subscription
from shared.phrases import PhraseIndex
from shared.records import StoryUpdate

__all__ = ["AnchorTerm", "SubscriptionIndex", "anchors"]

AnchorTerm = tuple[Literal["entity", "keyword"], str]


def anchors(node: Node) -> frozenset[AnchorTerm] | None:
    """Terms at least one of which is present whenever ``node`` matches; None if no such set.

    ``a AND b``: the smaller of the sides' sets (ties: fewer keywords, then by name);
    ``a OR b``: the union, or None if any side has none; NOT and filters: None.
    """
    if isinstance(node, Entity):
        return frozenset({("entity", node.name)})
    if isinstance(node, Keyword):
        return frozenset({("keyword", node.key)})
    if isinstance(node, Or):
        sides = [anchors(item) for item in node.items]
        return None if None in sides else frozenset().union(*sides)  # type: ignore[arg-type]
    if isinstance(node, And):
        options = [a for a in map(anchors, node.items) if a is not None]
        return min(options, key=_anchor_cost) if options else None
    return None  # Not, Lang, Source, Size: no positive term required


def _anchor_cost(terms: frozenset[AnchorTerm]) -> tuple[int, int, list[AnchorTerm]]:
    return len(terms), sum(kind == "keyword" for kind, _ in terms), sorted(terms)


# --- the matching plan ----------------------------------------------------------------------
#
# Beyond its anchors, each subscription is compiled to a disjunction of conjuncts
# (negations pushed down to the terms): every conjunct is "these terms present, these
# absent, these other conditions hold", where terms are entities, keywords and the
# ``lang:``/``source:`` filters (an article "contains" ``lang:de`` when its language is de
# or de-*; ``source:x`` when its source is x). Every conjunct contains one of the
# subscription's anchors (see ``anchors``: an AND takes the anchors of one side, whose
# conjuncts are in every conjunct of the AND; an OR with a side lacking anchors has none),
# so each conjunct is filed under one anchor it contains and is only checked for articles
# that contain that anchor. Under its anchor a conjunct is one of:
#
# - *direct*: nothing else to check (``@a``; ``@a OR "x y"`` under either side);
# - *pair*: one more term required (``@a AND @b``, ``@a lang:de``): a dict from that term
#   to ids, looked up against the article's terms in bulk;
# - *general*: required terms (a frozenset ``<=`` test), forbidden terms (``isdisjoint``)
#   and other conditions (``size``, compiled by ``evaluator``).
#
# A subscription that matches through several conjuncts is reported once. Queries whose
# normal form would exceed ``_MAX_CONJUNCTS`` are filed as one general entry with the
# query's own evaluator.

TermKind = Literal["entity", "keyword", "lang", "source"]
TermKey = tuple[TermKind, str]
_Conjunct = tuple[frozenset[TermKey], frozenset[TermKey], frozenset[Node]]
_MAX_CONJUNCTS = 32
_NONE: frozenset[Any] = frozenset()
_TRUE: _Conjunct = (_NONE, _NONE, _NONE)


def _term_key(node: Node) -> TermKey | None:
    if isinstance(node, Entity):
        return ("entity", node.name)
    if isinstance(node, Keyword):
        return ("keyword", node.key)
    if isinstance(node, Lang):
        return ("lang", node.code)
    if isinstance(node, Source):
        return ("source", node.name)
    return None


def _conjuncts(node: Node, negated: bool = False) -> list[_Conjunct] | None:
    """``node`` (or NOT ``node``) as a disjunction of conjuncts; None if too many."""
    key = _term_key(node)
    if key is not None:
        one = frozenset({key})
        return [(_NONE, one, _NONE)] if negated else [(one, _NONE, _NONE)]
    if isinstance(node, Not):
        return _conjuncts(node.item, not negated)
    if isinstance(node, And | Or):
        parts = [_conjuncts(item, negated) for item in node.items]
        if any(p is None for p in parts):
            return None
        if isinstance(node, Or) != negated:  # OR, or NOT of AND: the union
            out = list(dict.fromkeys(c for p in parts for c in p or ()))
        else:  # AND, or NOT of OR: the product, dropping contradictions
            out = [_TRUE]
            for p in parts:
                out = list(
                    dict.fromkeys(
                        (pos, neg, a[2] | b[2])
                        for a in out
                        for b in p or ()
                        if (pos := a[0] | b[0]).isdisjoint(neg := a[1] | b[1])
                    )
                )
                if len(out) > _MAX_CONJUNCTS:
                    return None
        if len(out) > _MAX_CONJUNCTS:
            return None
        return _absorb(out)
    return [(_NONE, _NONE, frozenset({Not(node) if negated else node}))]  # size


def _absorb(conjuncts: list[_Conjunct]) -> list[_Conjunct]:
    """Drop every conjunct implied by another (``a OR (a AND b)`` is ``a``)."""
    if len(conjuncts) < 2:
        return conjuncts
    return [
        c
        for c in conjuncts
        if not any(
            d is not c and d[0] <= c[0] and d[1] <= c[1] and d[2] <= c[2] and d != c
            for d in conjuncts
        )
    ]


def _rest_evaluator(rest: frozenset[Node]) -> Evaluator | None:
    if not rest:
        return None
    items = sorted(rest, key=str)
    return evaluator(items[0] if len(items) == 1 else And(tuple(items)))


_Entry = tuple[str, frozenset[int], frozenset[int], Evaluator | None]


class _Bucket:
    """The conjuncts filed under one anchor term (see the comment above)."""

    __slots__ = ("direct", "general", "keyed", "pairs")

    def __init__(self) -> None:
        self.direct: dict[str, None] = {}
        self.pairs: dict[int, dict[str, None]] = {}
        # general entries that need one more term: by that term, then (id, n) ->
        # (id, the other required terms, forbidden terms, other conditions or None)
        self.keyed: dict[int, dict[tuple[str, int], _Entry]] = {}
        # general entries that need no other term (forbidden terms, conditions)
        self.general: dict[tuple[str, int], _Entry] = {}

    def __bool__(self) -> bool:
        return bool(self.direct or self.pairs or self.keyed or self.general)


# where one conjunct was filed: (anchor id, "direct" | "pair" | "keyed" | "general",
# the pair's or key's term id, the conjunct's number)
_Placement = tuple[int, str, int, int]
# which terms anchor a conjunct first: entities, keywords, then the filters (an article
# has one source and one language, shared with many others)
_KIND_ORDER: dict[str, int] = {"entity": 0, "keyword": 1, "source": 2, "lang": 3}


def _term_order(key: TermKey) -> tuple[int, str]:
    return _KIND_ORDER[key[0]], key[1]


class SubscriptionIndex:
    """All subscriptions, filed by anchor term; one ``PhraseIndex`` over all keywords."""

    def __init__(self, subs: Iterable[Subscription] = ()) -> None:
        self._subs: dict[str, Subscription] = {}
        self._filed: dict[str, frozenset[AnchorTerm] | None] = {}
        self._by_entity: dict[str, set[str]] = {}
        self._by_keyword: dict[str, set[str]] = {}
        self._always: set[str] = set()
        self._keyword_refs: Counter[str] = Counter()
        self._phrases: PhraseIndex | None = None
        self._phrases_stale = False
        # the matching plan: terms as small ints, conjuncts in buckets by anchor id
        self._term_ids: dict[TermKind, dict[str, int]] = {
            "entity": {},
            "keyword": {},
            "lang": {},
            "source": {},
        }
        self._term_refs: dict[int, int] = {}
        self._next_term = 0
        self._buckets: dict[int, _Bucket] = {}
        self._placed: dict[str, tuple[list[_Placement], list[TermKey]]] = {}
        self._always_eval: dict[str, Evaluator] = {}  # id -> evaluator, for self._always
        for sub in subs:
            self.upsert(sub)

    def __len__(self) -> int:
        return len(self._subs)

    def __iter__(self) -> Iterator[Subscription]:
        return iter(list(self._subs.values()))

    def get(self, sub_id: str) -> Subscription | None:
        return self._subs.get(sub_id)

    def upsert(self, sub: Subscription) -> None:
        self.remove(sub.id)
        self._subs[sub.id] = sub
        for key in sub.compiled.keywords:
            self._keyword_refs[key] += 1
            if self._keyword_refs[key] == 1:
                self._phrases_stale = True
        if sub.paused:
            return
        root = sub.compiled.root
        terms = anchors(root)
        self._filed[sub.id] = terms
        if terms is None:
            self._always.add(sub.id)
            # no entity or keyword anchor; a lang:/source: term in every conjunct will do
            conjuncts = _conjuncts(root)
            if conjuncts is None or not self._plan(sub.id, conjuncts, None):
                self._always_eval[sub.id] = evaluator(root)
            return
        for kind, name in terms:
            table = self._by_entity if kind == "entity" else self._by_keyword
            table.setdefault(name, set()).add(sub.id)
        conjuncts = _conjuncts(root)
        if conjuncts is None or not self._plan(sub.id, conjuncts, sorted(terms)):
            # too many conjuncts: the whole query under each anchor
            whole = frozenset({root})
            self._plan(sub.id, [(frozenset({t}), _NONE, whole) for t in terms], sorted(terms))

    def _plan(self, sub_id: str, conjuncts: list[_Conjunct], order: list[TermKey] | None) -> bool:
        """File each conjunct under the first term of ``order`` it contains (None: any
        term it contains); False (nothing filed) if a conjunct contains none."""
        if order is None:
            order = sorted({k for c in conjuncts for k in c[0]}, key=_term_order)
        else:
            order.sort(key=_term_order)
        filed: list[tuple[TermKey, _Conjunct]] = []
        for c in conjuncts:
            anchor = next((t for t in order if t in c[0]), None)
            if anchor is None:
                return False
            filed.append((anchor, c))
        placed: list[_Placement] = []
        used: list[TermKey] = []

        def term(key: TermKey) -> int:
            used.append(key)
            return self._ref(key)

        for n, (anchor, (pos, neg, rest)) in enumerate(filed):
            aid = term(anchor)
            bucket = self._buckets.get(aid)
            if bucket is None:
                bucket = self._buckets[aid] = _Bucket()
            others = sorted(pos - {anchor}, key=_term_order)
            forbidden = frozenset(term(k) for k in neg)
            check = _rest_evaluator(rest)
            if not others and not forbidden and check is None:
                bucket.direct[sub_id] = None
                placed.append((aid, "direct", 0, n))
            elif len(others) == 1 and not forbidden and check is None:
                other = term(others[0])
                bucket.pairs.setdefault(other, {})[sub_id] = None
                placed.append((aid, "pair", other, n))
            elif others:
                key = term(others[0])
                required = frozenset(term(k) for k in others[1:])
                entry = (sub_id, required, forbidden, check)
                bucket.keyed.setdefault(key, {})[(sub_id, n)] = entry
                placed.append((aid, "keyed", key, n))
            else:
                bucket.general[(sub_id, n)] = (sub_id, _NONE, forbidden, check)
                placed.append((aid, "general", 0, n))
        self._placed[sub_id] = (placed, used)
        return True

    def _ref(self, key: TermKey) -> int:
        ids = self._term_ids[key[0]]
        tid = ids.get(key[1])
        if tid is None:
            tid = ids[key[1]] = self._next_term
            self._next_term += 1
        self._term_refs[tid] = self._term_refs.get(tid, 0) + 1
        return tid

    def _unplan(self, sub_id: str) -> None:
        placed, used = self._placed.pop(sub_id, ([], []))
        for aid, kind, other, n in placed:
            bucket = self._buckets[aid]
            if kind == "direct":
                bucket.direct.pop(sub_id, None)
            elif kind == "pair":
                ids = bucket.pairs.get(other)
                if ids is not None:
                    ids.pop(sub_id, None)
                    if not ids:
                        del bucket.pairs[other]
            elif kind == "keyed":
                entries = bucket.keyed.get(other)
                if entries is not None:
                    entries.pop((sub_id, n), None)
                    if not entries:
                        del bucket.keyed[other]
            else:
                bucket.general.pop((sub_id, n), None)
            if not bucket:
                del self._buckets[aid]
        for kind, name in used:
            table = self._term_ids[kind]
            tid = table[name]
            left = self._term_refs[tid] - 1
            if left:
                self._term_refs[tid] = left
            else:
                del self._term_refs[tid], table[name]

    def remove(self, sub_id: str) -> bool:
        sub = self._subs.pop(sub_id, None)
        if sub is None:
            return False
        for key in sub.compiled.keywords:
            self._keyword_refs[key] -= 1
            if self._keyword_refs[key] == 0:
                del self._keyword_refs[key]
                self._phrases_stale = True
        if sub_id not in self._filed:
            return True  # paused: never filed
        terms = self._filed.pop(sub_id)
        self._unplan(sub_id)
        if terms is None:
            self._always.discard(sub_id)
            self._always_eval.pop(sub_id, None)
            return True
        for kind, name in terms:
            table = self._by_entity if kind == "entity" else self._by_keyword
            ids = table[name]
            ids.discard(sub_id)
            if not ids:
                del table[name]
        return True

    def _phrase_index(self) -> PhraseIndex | None:
        if self._phrases_stale:
            keys = sorted(self._keyword_refs)
            self._phrases = PhraseIndex((k, k) for k in keys) if keys else None
            self._phrases_stale = False
        return self._phrases

    def context(self, update: StoryUpdate) -> MatchContext:
        """What the queries see of ``update``: its entities, keywords found, lang, source, size."""
        tagged = update.article
        article = tagged.article
        phrases = self._phrase_index()
        if phrases is None:
            found: frozenset[str] = frozenset()
        else:
            # "|" keeps a phrase from spanning the end of the title and the start of the text
            text = f"{article.title}\n|\n{article.text}"
            found = frozenset([hit[2] for hit in phrases.hits(text)])
        return MatchContext(
            entities=tagged.entities,
            keywords=found,
            lang=article.lang,
            source=article.source,
            story_size=update.story.article_count,
        )

    def candidates(self, ctx: MatchContext) -> set[str]:
        """Ids of the subscriptions that may match ``ctx`` (a superset of the matches)."""
        out = set(self._always)
        for name in ctx.entities:
            ids = self._by_entity.get(name)
            if ids:
                out |= ids
        for key in ctx.keywords:
            ids = self._by_keyword.get(key)
            if ids:
                out |= ids
        return out

    def _terms(self, ctx: MatchContext) -> set[int]:
        """The ids of the terms ``ctx`` contains (entities, keywords, lang:, source:)."""
        ids = self._term_ids
        terms = {*map(ids["entity"].get, ctx.entities), *map(ids["keyword"].get, ctx.keywords)}
        langs = ids["lang"]
        if langs:
            lang = ctx.lang.lower()
            terms.add(langs.get(lang))
            at = lang.find("-")
            while at > 0:  # lang:de matches de-at
                terms.add(langs.get(lang[:at]))
                at = lang.find("-", at + 1)
        sources = ids["source"]
        if sources:
            terms.add(sources.get(ctx.source.casefold()))
        terms.discard(None)
        return terms  # type: ignore[return-value]  # None discarded

    def match(self, update: StoryUpdate) -> list[Subscription]:
        """The unpaused subscriptions whose query matches ``update``, sorted by id."""
        ctx = self.context(update)
        terms = self._terms(ctx)
        out: list[str] = []
        extend, append = out.extend, out.append
        buckets = self._buckets
        n_terms = len(terms)
        for t in terms:
            bucket = buckets.get(t)
            if bucket is None:
                continue
            if bucket.direct:
                extend(bucket.direct)
            pairs = bucket.pairs
            if pairs:
                if len(pairs) <= n_terms:
                    for other, ids in pairs.items():
                        if other in terms:
                            extend(ids)
                else:
                    for other in terms:
                        found = pairs.get(other)
                        if found is not None:
                            extend(found)
            keyed = bucket.keyed
            if keyed:
                if len(keyed) <= n_terms:
                    present = [e for k, e in keyed.items() if k in terms]
                else:
                    present = [e for k in terms if (e := keyed.get(k)) is not None]
                for entries in present:
                    for sub_id, required, forbidden, check in entries.values():
                        if (
                            required <= terms
                            and terms.isdisjoint(forbidden)
                            and (check is None or check(ctx))
                        ):
                            append(sub_id)
            for sub_id, _, forbidden, check in bucket.general.values():
                if terms.isdisjoint(forbidden) and (check is None or check(ctx)):
                    append(sub_id)
        for sub_id, evaluate in self._always_eval.items():
            if evaluate(ctx):
                append(sub_id)
        subs = self._subs
        return [subs[i] for i in sorted(set(out))]
