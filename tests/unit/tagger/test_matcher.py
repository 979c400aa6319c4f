"""Matcher rules on small watchlists, snippets, and properties of offsets on any text."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from services.tagger.matcher import Matcher, snippet
from services.tagger.watchlist import parse_watchlist
from shared.phrases import normalise

RULES = b"""
entities:
  - id: car
    name: Car
    type: product
    aliases:
      - Tesla Roadster
      - text: Roadster
        require: {any: [Tesla], within: 20}
        exclude: {before: [Mazda], after: [Spider]}
  - id: boss
    name: Boss
    type: person
    aliases:
      - text: Boss
        case_sensitive: true
        inflect: false
    aliases_de: [Chefin]
"""


def found(matcher: Matcher, text: str, lang: str | None = None) -> list[tuple[str, str]]:
    return [(m.entity, m.text) for m in matcher.find_mentions("", text, lang)]


def test_require_within_and_exclude() -> None:
    m = Matcher(parse_watchlist(RULES))
    assert found(m, "Tesla zeigt den Roadster") == [("car", "Roadster")]
    assert found(m, "Tesla. " + "x" * 40 + " Roadster") == []
    assert found(m, "Tesla und der Mazda Roadster") == []
    assert found(m, "Tesla und der Mazda-Roadster") == []
    assert found(m, "Tesla: Roadster Spider") == []
    assert found(m, "Tesla Roadster") == [("car", "Tesla Roadster")]  # longest wins


def test_case_inflect_and_language() -> None:
    m = Matcher(parse_watchlist(RULES))
    assert found(m, "the boss, the Boss, the Bosss") == [("boss", "Boss")]
    assert found(m, "Die Chefin kommt", "de") == [("boss", "Chefin")]
    assert found(m, "Die Chefin kommt", "de-AT") == [("boss", "Chefin")]
    assert found(m, "Die Chefin kommt", None) == [("boss", "Chefin")]
    assert found(m, "The Chefin arrives", "en") == []


def test_fields_order_and_version(matcher: Matcher) -> None:
    mentions = matcher.find_mentions("OpenAI und Musk", "Sam Altman sagte", "de")
    assert [(m.field, m.entity, m.start) for m in mentions] == [
        ("title", "openai", 0),
        ("title", "elon_musk", 11),
        ("text", "sam_altman", 0),
    ]
    assert mentions[2].alias == "Sam Altman"
    assert len(matcher.version) == 12


def test_overlap_keeps_longest_per_entity(matcher: Matcher) -> None:
    mentions = matcher.find_mentions("", "OpenAI CEO Sam Altman and Elon Musk", "en")
    assert [(m.entity, m.text) for m in mentions] == [
        ("openai", "OpenAI"),
        ("sam_altman", "OpenAI CEO"),
        ("sam_altman", "Sam Altman"),
        ("elon_musk", "Elon Musk"),
    ]


def test_snippet_is_the_sentence() -> None:
    text = "Erster Satz. Dann sprach Musk lange.\nNeue Zeile."
    start = text.index("Musk")
    assert snippet(text, start, start + 4) == "Dann sprach Musk lange."
    long = "Wort " * 200 + "Musk " + "Wort " * 200
    start = long.index("Musk")
    cut = snippet(long, start, start + 4)
    assert len(cut) <= 300
    assert "Musk" in cut
    assert cut.startswith("…")
    assert cut.endswith("…")


# --- properties ------------------------------------------------------------------------

FRAGMENTS = [
    "Elon Musk", "Musks", "Musk’s", "Muskeln", "Sam Altman", "Altman", "Altmann", "Robert",
    "OpenAI", "Open AI", "open air", "Tesla", "Roadster", "Mazda", "-", " ", "\n", "„", "“",
    "é", "e\u0301", "ß", "Ｍｕｓｋ", "\u00a0", "KI", ".", "’s", "s",
]  # fmt: skip
texts = st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join)
spaces = st.text(alphabet=" \n\t\u00a0", max_size=5)


@settings(max_examples=200, deadline=None, database=None)
@given(texts, texts)
def test_offsets_always_slice(matcher: Matcher, title: str, text: str) -> None:
    for m in matcher.find_mentions(title, text, None):
        value = title if m.field == "title" else text
        assert value[m.start : m.end] == m.text
        assert m.text.strip() == m.text
        assert len(m.snippet) <= 300


@settings(max_examples=200, deadline=None, database=None)
@given(texts, spaces, spaces)
def test_surrounding_whitespace_changes_nothing(
    matcher: Matcher, text: str, before: str, after: str
) -> None:
    plain = [(m.entity, m.text) for m in matcher.find_mentions("", text)]
    padded = [(m.entity, m.text) for m in matcher.find_mentions("", before + text + after)]
    assert padded == plain


@settings(max_examples=200, deadline=None, database=None)
@given(texts)
def test_normal_form_changes_nothing(matcher: Matcher, text: str) -> None:
    def tagged(form: str) -> list[tuple[str, str]]:
        variant = unicodedata.normalize(form, text)  # type: ignore[arg-type]
        return [(m.entity, normalise(m.text)[0]) for m in matcher.find_mentions("", variant)]

    assert tagged("NFC") == tagged("NFD")
