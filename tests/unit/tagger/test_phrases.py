"""shared.phrases: whole-word hits, offsets into the original text, and agreement with a
slow regex reference over ``normalise`` on arbitrary (hypothesis) text."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.phrases import POSSESSIVE, Phrase, PhraseHit, PhraseIndex, normalise

PHRASES = [
    Phrase("musk", "Musk", suffixes=POSSESSIVE),
    Phrase("elon", "Elon Musk", suffixes=POSSESSIVE),
    ("roadster", "Tesla Roadster"),
    ("openai", "OpenAI"),
    ("strasse", "Strasse"),
    ("fix", "fi x"),
    ("acute", "é"),
    ("dots", "a.b"),
]


def surfaces(index: PhraseIndex, text: str) -> list[tuple[str, str]]:
    return [(h.key, text[h.start : h.end]) for h in index.find(text)]


@pytest.fixture(scope="module")
def index() -> PhraseIndex:
    return PhraseIndex(PHRASES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Musks Plattform", [("musk", "Musks")]),
        ("Musk’s rocket and Musk's car", [("musk", "Musk’s"), ("musk", "Musk's")]),
        ("Muskeln und Muskulatur, musket", []),
        ("Tesla-Roadster-Reservierung", [("roadster", "Tesla-Roadster")]),
        ("Tesla\nRoadster", [("roadster", "Tesla\nRoadster")]),
        ("OpenAI-CEO", [("openai", "OpenAI")]),
        ("OpenAIs Chef", []),
        ("Open AI", []),
        ("ELON MUSK", [("elon", "ELON MUSK"), ("musk", "MUSK")]),
        ("Ｍｕｓｋ", [("musk", "Ｍｕｓｋ")]),
        ("Mus\u00adk", [("musk", "Mus\u00adk")]),
        ("Straße STRASSE", [("strasse", "Straße"), ("strasse", "STRASSE")]),
        ("ﬁ x", [("fix", "ﬁ x")]),
        ("e\u0301 é", [("acute", "e\u0301"), ("acute", "é")]),
        ("a.b a…b", [("dots", "a.b")]),
    ],
)
def test_hits(index: PhraseIndex, text: str, expected: list[tuple[str, str]]) -> None:
    assert surfaces(index, text) == expected


def test_case_sensitive_phrase_and_index() -> None:
    index = PhraseIndex([Phrase("m", "Musk", case_sensitive=True, suffixes=POSSESSIVE)])
    assert surfaces(index, "musk Musk MUSK Musks") == [("m", "Musk"), ("m", "Musks")]
    assert len(PhraseIndex([("a", "Open AI")], case_sensitive=True).find("open AI")) == 0
    assert len(PhraseIndex([("a", "Open AI")], case_sensitive=True).find("Open-AI")) == 1


def test_shared_keys_length_and_order() -> None:
    index = PhraseIndex([("k", "Sam Altman"), ("k", "Altman"), ("o", "OpenAI")])
    assert len(index) == 3
    assert index.find("OpenAI: Sam Altman") == [
        PhraseHit("o", 0, 6),
        PhraseHit("k", 8, 18),
        PhraseHit("k", 12, 18),
    ]


def test_empty_inputs() -> None:
    assert PhraseIndex([]).find("anything") == []
    assert PhraseIndex([("a", "x")]).find("") == []
    with pytest.raises(ValueError, match="empty"):
        PhraseIndex([("a", " - ")])


def test_normalise_maps_offsets_back() -> None:
    text = "Straße „Altman’s“ e\u0301 ﬁ …"
    folded, offsets = normalise(text)
    assert folded == 'strasse "altman\'s" é fi ...'
    assert len(offsets) == len(folded)
    assert text[offsets[folded.index("altman")]] == "A"
    assert offsets[folded.index("é")] == text.index("e\u0301")
    assert offsets[folded.index("fi")] == offsets[folded.index("fi") + 1] == text.index("ﬁ")


# --- agreement with a slow reference --------------------------------------------------


def is_word(char: str) -> bool:
    return char.isalnum() or char == "_" or unicodedata.category(char).startswith("M")


INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"


def reference(phrases: list[Phrase | tuple[str, str]], text: str) -> set[tuple[str, int, int]]:
    """Regex over ``normalise(text)``: what ``find`` must return (case-insensitive)."""
    folded, offsets = normalise(text)
    scan = re.sub(r"[-\s]", " ", folded)
    bounds = [*offsets, len(text)]
    found = set()
    for item in phrases:
        phrase = item if isinstance(item, Phrase) else Phrase(*item)
        pattern = " ".join(re.sub(r"[-\s]", " ", normalise(phrase.text)[0]).split())
        suffix = [normalise(s)[0] for s in phrase.suffixes]
        for match in re.finditer(f"(?=({re.escape(pattern)}))", scan):
            start, end = match.start(1), match.end(1)
            if start and is_word(scan[start - 1]):
                continue
            ends = [
                end + len(sfx)
                for sfx in sorted(suffix, key=len, reverse=True)
                if scan.startswith(sfx, end)
                and (end + len(sfx) == len(scan) or not is_word(scan[end + len(sfx)]))
            ]
            if ends:
                end = ends[0]
            elif end < len(scan) and is_word(scan[end]):
                continue
            if end < len(scan) and offsets[end] == offsets[end - 1]:
                continue  # would end inside one original character's expansion
            stop = bounds[end]
            while text[stop - 1] in INVISIBLE:  # normalise() drops them: not part of a hit
                stop -= 1
            found.add((phrase.key, bounds[start], stop))
    return found


ALPHABET = [
    *"mMuUsSkKeEiItT lLaAoO-.'’\n",
    "ß", "ẞ", "ﬁ", "\u0301", "\u00ad", "é", "Ä", "…", "İ", "\u212a", "\u00a0", "ı", "x", "f",
]  # fmt: skip
WORDS = ["Musk", "musks", "Elon", "Straße", "ﬁ", "x", "Tesla", "Roadster", "OpenAI", "e\u0301"]
texts = st.lists(st.sampled_from(ALPHABET) | st.sampled_from(WORDS), max_size=40).map("".join)


@settings(max_examples=400, deadline=None, database=None)
@given(texts)
def test_find_agrees_with_reference(text: str) -> None:
    index = PhraseIndex(PHRASES)
    got = {(h.key, h.start, h.end) for h in index.find(text)}
    assert got == reference(PHRASES, text)


@settings(max_examples=300, deadline=None, database=None)
@given(texts)
def test_hits_slice_to_phrase(text: str) -> None:
    for hit in PhraseIndex(PHRASES).find(text):
        surface = normalise(text[hit.start : hit.end])[0]
        assert surface.replace("-", " ").split()
        assert 0 <= hit.start < hit.end <= len(text)


@settings(max_examples=300, deadline=None, database=None)
@given(texts)
def test_normal_forms_agree(text: str) -> None:
    index = PhraseIndex(PHRASES)

    def found(form: str) -> list[tuple[str, str]]:
        variant = unicodedata.normalize(form, text)  # type: ignore[arg-type]
        return [(key, normalise(s)[0]) for key, s in surfaces(index, variant)]

    assert found("NFC") == found("NFD") == found("NFKC")
