"""The subscription query language: what parses to what, what fails with which error."""

from __future__ import annotations

import random

import pytest

from services.alerting.query import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_TERMS,
    And,
    Entity,
    Keyword,
    Lang,
    MatchContext,
    Not,
    Or,
    QueryError,
    Size,
    Source,
    evaluator,
    keyword_key,
    parse,
)


def ctx(
    entities: tuple[str, ...] = (),
    keywords: tuple[str, ...] = (),
    lang: str = "en",
    source: str = "Reuters",
    size: int = 1,
) -> MatchContext:
    return MatchContext(frozenset(entities), frozenset(keywords), lang, source, size)


# --- what parses to what --------------------------------------------------------------------

PARSED = [
    ("@elon_musk AND @sam_altman", And((Entity("elon_musk"), Entity("sam_altman")))),
    ("entity:elon_musk", Entity("elon_musk")),
    ("ENTITY:elon_musk", Entity("elon_musk")),
    ("@elon_musk @sam_altman", And((Entity("elon_musk"), Entity("sam_altman")))),
    ("a OR b c", Or((Keyword("a"), And((Keyword("b"), Keyword("c")))))),
    ("a b OR c", Or((And((Keyword("a"), Keyword("b"))), Keyword("c")))),
    ("(a OR b) c", And((Or((Keyword("a"), Keyword("b"))), Keyword("c")))),
    ("NOT a b", And((Not(Keyword("a")), Keyword("b")))),
    ("NOT (a b)", Not(And((Keyword("a"), Keyword("b"))))),
    ("not not a", Not(Not(Keyword("a")))),
    ("a and b or c", Or((And((Keyword("a"), Keyword("b"))), Keyword("c")))),
    ('"Sam  Altman"', Keyword("sam altman")),
    ('"and"', Keyword("and")),
    ("Tesla", Keyword("tesla")),
    ("U.S.", Keyword("u.s.")),
    ("Zürich", Keyword("zürich")),
    ("lang:DE", Lang("de")),
    ("lang:pt-BR", Lang("pt-br")),
    ('source:"Business  Punk"', Source("business punk")),
    ("source:Reuters", Source("reuters")),
    ("size>=3", Size(">=", 3)),
    ("size >= 3", Size(">=", 3)),
    ("SIZE<10", Size("<", 10)),
    ("size=1", Size("=", 1)),
    ("size", Keyword("size")),
    ("sizeable", Keyword("sizeable")),
    ("10:30", Keyword("10:30")),
    ("((a))", Keyword("a")),
    ("a AND (b AND c)", And((Keyword("a"), Keyword("b"), Keyword("c")))),
    ("@x.y-z", Entity("x.y-z")),
]


@pytest.mark.parametrize(("text", "tree"), PARSED)
def test_parses_to(text: str, tree: object) -> None:
    assert parse(text).root == tree


# --- exact errors ---------------------------------------------------------------------------

ERRORS = [
    ("", "empty query at position 0"),
    ("   ", "empty query at position 0"),
    ("(@elon_musk AND x", "expected ')' at position 17"),
    ("a )", "unexpected ')' at position 2"),
    ("()", "expected a term, found ')' at position 1"),
    ("a AND", "expected a term, found end of query at position 5"),
    ("a OR OR b", "expected a term, found 'OR' at position 5"),
    ("AND a", "expected a term, found 'AND' at position 0"),
    ("NOT", "expected a term, found end of query at position 3"),
    ('"open ai', "unterminated quoted phrase at position 0"),
    ('a ""', "empty quoted phrase at position 2"),
    ("@", "expected an entity name after '@' at position 1"),
    ("@musk:x", "invalid entity name 'musk:x' at position 1"),
    ("entity:", "expected an entity name after 'entity:' at position 7"),
    ("lang:german", "expected a language code like de or pt-br after 'lang:' at position 5"),
    ("source:", "expected a source name after 'source:' at position 7"),
    ('source:""', "empty quoted source at position 7"),
    ("size>=", "expected a whole number after 'size>=' at position 6"),
    ("size>=3x", "expected a whole number after 'size>=' at position 6"),
    ("size>=9999999", "size must be at most 1000000 at position 6"),
    ("http://x", "unknown filter 'http' (known: entity, lang, source, size) at position 0"),
    ("a -b", "use NOT to exclude a term, not '-' at position 2"),
    ("a && b", "unexpected '&&' at position 2"),
    ("a\x00b", "unexpected control character '\\x00' at position 1"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_error(text: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse(text)
    assert str(info.value) == message
    assert info.value.position == int(message.rsplit(" ", 1)[1])


def test_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="position"):
        parse("(")


# --- adversarial input ----------------------------------------------------------------------


def test_too_long() -> None:
    with pytest.raises(QueryError) as info:
        parse("a " * 1001)
    assert str(info.value) == f"query longer than {MAX_LENGTH} characters at position {MAX_LENGTH}"


def test_longest_allowed_length_parses() -> None:
    word = "x" * (MAX_LENGTH - 2)
    assert parse(f'"{word}"').root == Keyword(word)


def test_deep_parentheses() -> None:
    ok = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert parse(ok).root == Keyword("a")
    deep = "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(QueryError) as info:
        parse(deep)
    assert str(info.value) == f"nesting deeper than {MAX_DEPTH} levels at position {MAX_DEPTH}"


def test_deep_not_chain() -> None:
    with pytest.raises(QueryError) as info:
        parse("NOT " * 400 + "a")
    assert str(info.value) == f"nesting deeper than {MAX_DEPTH} levels at position {4 * MAX_DEPTH}"


def test_unbalanced_flood_does_not_recurse() -> None:
    with pytest.raises(QueryError) as info:
        parse("(" * MAX_LENGTH)
    assert str(info.value) == f"nesting deeper than {MAX_DEPTH} levels at position {MAX_DEPTH}"


def test_too_many_terms() -> None:
    text = " ".join(f"w{i}" for i in range(MAX_TERMS + 1))
    with pytest.raises(QueryError) as info:
        parse(text)
    position = text.index(f"w{MAX_TERMS}")
    assert str(info.value) == f"more than {MAX_TERMS} terms at position {position}"
    assert len(parse(" OR ".join(f"w{i}" for i in range(MAX_TERMS))).terms()) == MAX_TERMS


def test_operator_flood() -> None:
    with pytest.raises(QueryError, match="expected a term, found 'OR' at position 5"):
        parse("a OR " + "OR " * 600)


# --- evaluation -----------------------------------------------------------------------------


def test_musk_and_altman() -> None:
    q = parse("@elon_musk AND @sam_altman")
    assert q.matches(ctx(entities=("elon_musk", "sam_altman", "x")))
    assert not q.matches(ctx(entities=("elon_musk",)))


def test_filters() -> None:
    q = parse('@a lang:de source:"Business Punk" size>=3')
    good = ctx(entities=("a",), lang="de", source="business punk", size=3)
    assert q.matches(good)
    assert q.matches(ctx(entities=("a",), lang="de-AT", source="Business Punk", size=9))
    assert not q.matches(ctx(entities=("a",), lang="dem", source="Business Punk", size=3))
    assert not q.matches(ctx(entities=("a",), lang="de", source="Business", size=3))
    assert not q.matches(ctx(entities=("a",), lang="de", source="Business Punk", size=2))


@pytest.mark.parametrize(
    ("op", "results"),
    [
        (">=", (False, True, True)),
        (">", (False, False, True)),
        ("<=", (True, True, False)),
        ("<", (True, False, False)),
        ("=", (False, True, False)),
    ],
)
def test_size_operators(op: str, results: tuple[bool, bool, bool]) -> None:
    q = parse(f"size{op}3")
    assert tuple(q.matches(ctx(size=n)) for n in (2, 3, 4)) == results


def test_keywords_and_not() -> None:
    q = parse('"Sam Altman" NOT (@microsoft OR openai)')
    assert q.keywords == {"sam altman", "openai"}
    assert q.entities == {"microsoft"}
    assert q.matches(ctx(keywords=("sam altman",)))
    assert not q.matches(ctx(keywords=("sam altman", "openai")))
    assert not q.matches(ctx(entities=("microsoft",), keywords=("sam altman",)))


def test_keyword_key_normalises() -> None:
    assert keyword_key("  Sam\n ALTMAN ") == "sam altman"


# --- canonical form round-trips ---------------------------------------------------------------

ATOMS = [
    "@a",
    "@b_c",
    "entity:d",
    "musk",
    '"open ai"',
    '"and"',
    '"size"',
    "lang:de",
    'source:"Business Punk"',
    "size>=3",
    "size<2",
    "Zürich",
]


def random_query(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 4 or roll < 0.35:
        return rng.choice(ATOMS)
    if roll < 0.5:
        return "NOT " + random_query(rng, depth + 1)
    op = rng.choice([" AND ", " OR ", " "])
    parts = [random_query(rng, depth + 1) for _ in range(rng.randint(2, 3))]
    return "(" + op.join(parts) + ")"


def evaluate_reference(text: str, c: MatchContext) -> bool:
    """Evaluate with Python's own operator precedence (not > and > or) as an oracle."""

    def atom(tok: str) -> str:
        q = parse(tok)
        return str(q.matches(c))

    out, i = [], 0
    toks = []
    buf = ""
    while i < len(text):
        ch = text[i]
        if ch == '"':
            j = text.index('"', i + 1)
            buf += text[i : j + 1]
            i = j + 1
            continue
        if ch in "() ":
            if buf:
                toks.append(buf)
                buf = ""
            if ch != " ":
                toks.append(ch)
        else:
            buf += ch
        i += 1
    if buf:
        toks.append(buf)
    prev_operand = False
    for tok in toks:
        if tok in ("AND", "OR", "NOT"):
            if tok == "NOT" and prev_operand:
                out.append("and")
            out.append(tok.lower())
            prev_operand = False
        elif tok == "(":
            if prev_operand:
                out.append("and")
            out.append("(")
            prev_operand = False
        elif tok == ")":
            out.append(")")
            prev_operand = True
        else:
            if prev_operand:
                out.append("and")
            out.append(atom(tok))
            prev_operand = True
    return bool(eval(" ".join(out)))  # only True/False/and/or/not/() in here


def test_random_queries_round_trip_and_agree_with_python_precedence() -> None:
    rng = random.Random(7)
    contexts = [
        ctx(
            entities=tuple(rng.sample(["a", "b_c", "d"], rng.randint(0, 3))),
            keywords=tuple(
                rng.sample(["musk", "open ai", "and", "size", "zürich"], rng.randint(0, 5))
            ),
            lang=rng.choice(["de", "en"]),
            source=rng.choice(["Business Punk", "x"]),
            size=rng.randint(1, 5),
        )
        for _ in range(20)
    ]
    for _ in range(300):
        text = random_query(rng)
        q = parse(text)
        assert parse(str(q)) == q, text
        fast = evaluator(q.root)
        for c in contexts:
            assert q.matches(c) == evaluate_reference(text, c), (text, c)
            assert fast(c) == q.matches(c), (text, c)
