"""The subscription query language: parse a query once, evaluate it per article.

Grammar (operators are case-insensitive; ``NOT`` binds tighter than ``AND``, which
binds tighter than ``OR``; two terms side by side mean ``AND``)::

    query    := or
    or       := and ( "OR" and )*
    and      := unary ( ["AND"] unary )*          # implicit AND between adjacent terms
    unary    := "NOT" unary | primary
    primary  := "(" or ")" | term
    term     := "@" NAME | "entity:" NAME          # a watched entity (exact id)
              | "lang:" CODE                       # de matches de and de-at
              | "source:" (WORD | '"' TEXT '"')    # article source, case-insensitive
              | "size" (">=" | ">" | "<=" | "<" | "=") DIGITS   # story size in articles
              | WORD | '"' TEXT '"'               # keyword or phrase, whole words, any case

A ``WORD`` runs up to whitespace, a parenthesis or a double quote. A quoted phrase
cannot contain a double quote; ``"and"`` searches for the word *and*. ``name:value``
with an unknown ``name`` is an error (quote it to search for it). ``-word`` is an
error that points at ``NOT``.

Limits against adversarial input: ``MAX_LENGTH`` characters, ``MAX_DEPTH`` levels of
parentheses and ``NOT``, ``MAX_TERMS`` terms. Every error is a ``QueryError`` whose
text ends in ``at position N`` (0-based character offset).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

MAX_LENGTH = 2000
MAX_DEPTH = 32
MAX_TERMS = 100
MAX_SIZE = 1_000_000

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TERMS",
    "And",
    "Entity",
    "Keyword",
    "Lang",
    "MatchContext",
    "Node",
    "Not",
    "Or",
    "Query",
    "QueryError",
    "Size",
    "Source",
    "evaluator",
    "keyword_key",
    "parse",
]


class QueryError(ValueError):
    """A query that does not parse; ``str(e)`` is ``"<message> at position <n>"``."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position


@dataclass(frozen=True, slots=True)
class MatchContext:
    """What a query can see of one article: ``keywords`` holds keys of phrases found."""

    entities: frozenset[str]
    keywords: frozenset[str]
    lang: str
    source: str
    story_size: int


def keyword_key(phrase: str) -> str:
    """The key a keyword is indexed and looked up by: words joined by one space, casefolded."""
    return " ".join(phrase.split()).casefold()


# --- the syntax tree --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entity:
    name: str

    def matches(self, ctx: MatchContext) -> bool:
        return self.name in ctx.entities

    def __str__(self) -> str:
        return f"@{self.name}"


@dataclass(frozen=True, slots=True)
class Keyword:
    key: str

    def matches(self, ctx: MatchContext) -> bool:
        return self.key in ctx.keywords

    def __str__(self) -> str:
        bare = (
            _BARE_KEYWORD.fullmatch(self.key)
            and self.key.upper() not in _OPERATORS
            and not _SIZE.match(self.key)
        )
        return self.key if bare else f'"{self.key}"'


@dataclass(frozen=True, slots=True)
class Lang:
    code: str

    def matches(self, ctx: MatchContext) -> bool:
        lang = ctx.lang.lower()
        return lang == self.code or lang.startswith(self.code + "-")

    def __str__(self) -> str:
        return f"lang:{self.code}"


@dataclass(frozen=True, slots=True)
class Source:
    name: str  # casefolded

    def matches(self, ctx: MatchContext) -> bool:
        return ctx.source.casefold() == self.name

    def __str__(self) -> str:
        return f'source:"{self.name}"'


SizeOp = Literal[">=", ">", "<=", "<", "="]


@dataclass(frozen=True, slots=True)
class Size:
    op: SizeOp
    value: int

    def matches(self, ctx: MatchContext) -> bool:
        n, v = ctx.story_size, self.value
        if self.op == ">=":
            return n >= v
        if self.op == ">":
            return n > v
        if self.op == "<=":
            return n <= v
        if self.op == "<":
            return n < v
        return n == v

    def __str__(self) -> str:
        return f"size{self.op}{self.value}"


@dataclass(frozen=True, slots=True)
class Not:
    item: Node

    def matches(self, ctx: MatchContext) -> bool:
        return not self.item.matches(ctx)

    def __str__(self) -> str:
        return f"NOT {_wrap(self.item, Not)}"


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]

    def matches(self, ctx: MatchContext) -> bool:
        for item in self.items:  # noqa: SIM110 - a plain loop beats all() on the hot path
            if not item.matches(ctx):
                return False
        return True

    def __str__(self) -> str:
        return " AND ".join(_wrap(i, And) for i in self.items)


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]

    def matches(self, ctx: MatchContext) -> bool:
        for item in self.items:  # noqa: SIM110 - a plain loop beats any() on the hot path
            if item.matches(ctx):
                return True
        return False

    def __str__(self) -> str:
        return " OR ".join(_wrap(i, Or) for i in self.items)


Node = Entity | Keyword | Lang | Source | Size | Not | And | Or
Term = Entity | Keyword | Lang | Source | Size


def _wrap(node: Node, parent: type) -> str:
    if isinstance(node, Or) or (isinstance(node, And) and parent is Not):
        return f"({node})"
    return str(node)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query. ``str(q)`` is a canonical form that parses back to ``q``."""

    root: Node
    text: str = field(compare=False)

    def matches(self, ctx: MatchContext) -> bool:
        return self.root.matches(ctx)

    def terms(self) -> list[Term]:
        out: list[Term] = []
        stack: list[Node] = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, And | Or):
                stack.extend(reversed(node.items))
            elif isinstance(node, Not):
                stack.append(node.item)
            else:
                out.append(node)
        return out

    @property
    def keywords(self) -> frozenset[str]:
        return frozenset(t.key for t in self.terms() if isinstance(t, Keyword))

    @property
    def entities(self) -> frozenset[str]:
        return frozenset(t.name for t in self.terms() if isinstance(t, Entity))

    def __str__(self) -> str:
        return str(self.root)


# --- the evaluator ---------------------------------------------------------------------------

Evaluator = Callable[[MatchContext], bool]


def evaluator(node: Node) -> Evaluator:
    """A closure equivalent to ``node.matches``, faster on the matching hot path: the
    entity and keyword terms of an AND/OR become one set comparison each."""
    if isinstance(node, Entity):
        name = node.name
        return lambda c: name in c.entities
    if isinstance(node, Keyword):
        key = node.key
        return lambda c: key in c.keywords
    if isinstance(node, Not):
        inner = evaluator(node.item)
        return lambda c: not inner(c)
    if isinstance(node, And | Or):
        return _group(node)
    return node.matches


def _group(node: And | Or) -> Evaluator:
    ents = frozenset(i.name for i in node.items if isinstance(i, Entity))
    kws = frozenset(i.key for i in node.items if isinstance(i, Keyword))
    rest = tuple(evaluator(i) for i in node.items if not isinstance(i, Entity | Keyword))
    if isinstance(node, And):
        if not kws and not rest:
            return lambda c: ents <= c.entities

        def all_(c: MatchContext) -> bool:
            if not (ents <= c.entities and kws <= c.keywords):
                return False
            for f in rest:  # noqa: SIM110 - a plain loop beats all() on the hot path
                if not f(c):
                    return False
            return True

        return all_
    if not kws and not rest:
        return lambda c: not ents.isdisjoint(c.entities)

    def any_(c: MatchContext) -> bool:
        if not (ents.isdisjoint(c.entities) and kws.isdisjoint(c.keywords)):
            return True
        for f in rest:  # noqa: SIM110 - a plain loop beats any() on the hot path
            if f(c):
                return True
        return False

    return any_


# --- the lexer ----------------------------------------------------------------------------

_BARE_KEYWORD = re.compile(r"[^\s()\"@:-][^\s()\":]*")
_NAME = re.compile(r"[\w.-]+")
_LANG = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,8})*", re.IGNORECASE)
_SIZE = re.compile(r"size\s*(>=|<=|>|<|=)", re.IGNORECASE)
_DIGITS = re.compile(r"\s*(\d+)(?![^\s()\"])")
_FIELD = re.compile(r"([A-Za-z]+):")
_WORD = re.compile(r"[^\s()\"]+")
_OPERATORS = {"AND", "OR", "NOT"}
_FILTERS = ("entity", "lang", "source")

TokenKind = Literal["(", ")", "AND", "OR", "NOT", "TERM", "END"]


@dataclass(frozen=True, slots=True)
class _Token:
    kind: TokenKind
    pos: int
    term: Term | None = None
    text: str = ""


def _quoted(text: str, pos: int, what: str) -> tuple[str, int]:
    """The phrase starting with the quote at ``pos`` and the position after it."""
    end = text.find('"', pos + 1)
    if end < 0:
        raise QueryError("unterminated quoted phrase", pos)
    inner = text[pos + 1 : end]
    if not inner.strip():
        raise QueryError(f"empty quoted {what}", pos)
    return inner, end + 1


def _keyword(phrase: str, pos: int) -> Keyword:
    key = keyword_key(phrase)
    if not any(c.isalnum() for c in key):
        raise QueryError(f"unexpected {phrase.strip()!r}", pos)
    return Keyword(key)


def _filter(text: str, pos: int) -> tuple[Term, int]:
    """A ``name:value`` term starting at ``pos``."""
    m = _FIELD.match(text, pos)
    assert m is not None
    name, at = m.group(1).lower(), m.end()
    if name not in _FILTERS:
        raise QueryError(f"unknown filter {m.group(1)!r} (known: entity, lang, source, size)", pos)
    if name == "source":
        if text.startswith('"', at):
            value, end = _quoted(text, at, "source")
        else:
            w = _WORD.match(text, at)
            if w is None:
                raise QueryError("expected a source name after 'source:'", at)
            value, end = w.group(), w.end()
        return Source(" ".join(value.split()).casefold()), end
    w = _WORD.match(text, at)
    value = w.group() if w else ""
    if name == "lang":
        if not _LANG.fullmatch(value):
            raise QueryError("expected a language code like de or pt-br after 'lang:'", at)
        return Lang(value.lower()), at + len(value)
    if not _NAME.fullmatch(value):
        raise QueryError("expected an entity name after 'entity:'", at)
    return Entity(value), at + len(value)


def _term(text: str, i: int) -> tuple[Term | str, int]:
    """The term (or operator word) starting at ``text[i]`` and the position after it."""
    c = text[i]
    if c == '"':
        phrase, end = _quoted(text, i, "phrase")
        return _keyword(phrase, i), end
    if c == "@":
        w = _WORD.match(text, i + 1)
        if w is None:
            raise QueryError("expected an entity name after '@'", i + 1)
        if not _NAME.fullmatch(w.group()):
            raise QueryError(f"invalid entity name {w.group()!r}", i + 1)
        return Entity(w.group()), w.end()
    if (s := _SIZE.match(text, i)) is not None:
        d = _DIGITS.match(text, s.end())
        if d is None:
            raise QueryError(f"expected a whole number after 'size{s.group(1)}'", s.end())
        value = int(d.group(1))
        if value > MAX_SIZE:
            raise QueryError(f"size must be at most {MAX_SIZE}", d.start(1))
        return Size(s.group(1), value), d.end()  # type: ignore[arg-type]  # one of the five ops
    if _FIELD.match(text, i):
        return _filter(text, i)
    w = _WORD.match(text, i)
    assert w is not None
    word = w.group()
    if word.upper() in _OPERATORS:
        return word.upper(), w.end()
    if word.startswith("-") and len(word) > 1:
        raise QueryError("use NOT to exclude a term, not '-'", i)
    return _keyword(word, i), w.end()


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    n, i, terms = len(text), 0, 0
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            out.append(_Token("END", n))
            return out
        c, start = text[i], i
        if c in "()":
            out.append(_Token(c, i))  # type: ignore[arg-type]  # c is "(" or ")"
            i += 1
            continue
        term, i = _term(text, i)
        if isinstance(term, str):
            out.append(_Token(term, start, text=text[start:i]))  # type: ignore[arg-type]
            continue
        terms += 1
        if terms > MAX_TERMS:
            raise QueryError(f"more than {MAX_TERMS} terms", start)
        out.append(_Token("TERM", start, term=term, text=text[start:i]))


# --- the parser -----------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def expected_term(self) -> QueryError:
        tok = self.tok
        found = "end of query" if tok.kind == "END" else repr(tok.text or tok.kind)
        return QueryError(f"expected a term, found {found}", tok.pos)

    def parse(self) -> Node:
        node = self.or_(0)
        if self.tok.kind != "END":
            raise QueryError(f"unexpected {self.tok.text or self.tok.kind!r}", self.tok.pos)
        return node

    def or_(self, depth: int) -> Node:
        items = [self.and_(depth)]
        while self.tok.kind == "OR":
            self.i += 1
            items.append(self.and_(depth))
        return _join(Or, items)

    def and_(self, depth: int) -> Node:
        items = [self.unary(depth)]
        while True:
            kind = self.tok.kind
            if kind == "AND":
                self.i += 1
            elif kind not in ("TERM", "(", "NOT"):
                return _join(And, items)
            items.append(self.unary(depth))

    def unary(self, depth: int) -> Node:
        tok = self.tok
        if tok.kind == "NOT":
            _check_depth(depth, tok.pos)
            self.i += 1
            return Not(self.unary(depth + 1))
        if tok.kind == "(":
            _check_depth(depth, tok.pos)
            self.i += 1
            node = self.or_(depth + 1)
            if self.tok.kind != ")":
                raise QueryError("expected ')'", self.tok.pos)
            self.i += 1
            return node
        if tok.kind == "TERM":
            self.i += 1
            assert tok.term is not None
            return tok.term
        raise self.expected_term()


def _check_depth(depth: int, pos: int) -> None:
    if depth >= MAX_DEPTH:
        raise QueryError(f"nesting deeper than {MAX_DEPTH} levels", pos)


def _join(kind: type[And] | type[Or], items: list[Node]) -> Node:
    if len(items) == 1:
        return items[0]
    flat: list[Node] = []
    for item in items:
        if isinstance(item, kind):
            flat.extend(item.items)
        else:
            flat.append(item)
    return kind(tuple(flat))


def parse(text: str) -> Query:
    """Parse ``text`` or raise ``QueryError`` naming the problem and its position."""
    if len(text) > MAX_LENGTH:
        raise QueryError(f"query longer than {MAX_LENGTH} characters", MAX_LENGTH)
    if not text.strip():
        raise QueryError("empty query", 0)
    for i, c in enumerate(text):
        if not (c.isprintable() or c.isspace()):
            raise QueryError(f"unexpected control character {c!r}", i)
    return Query(_Parser(_tokens(text)).parse(), text)
