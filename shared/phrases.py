"""Whole-word phrase search: many phrases, one Aho-Corasick pass over the text.

``PhraseIndex(phrases).find(text)`` returns every whole-word occurrence of every phrase,
with offsets into the *original* text. Matching happens on a normalised copy of the text
(see ``normalise``), so "Altman’s", "ALTMAN" and "Ａｌｔｍａｎ" all match "Altman".

Rules:

- **Whole words only.** A hit must not start or end inside a word (letters, digits, ``_``,
  combining marks):
  "Musk" is not found in "Muskeln", "Altman" not in "Altmann".
- **Hyphens split words** and a phrase's internal space matches a space, a hyphen or a
  line break: "Tesla-Roadster-Reservierung" contains "Tesla Roadster", "OpenAI-CEO"
  contains "OpenAI".
- **Suffixes** (per phrase, opt-in): a hit may be followed by one of the phrase's
  ``suffixes`` (``POSSESSIVE`` = English "'s"/"s'" and German genitive/plural "s"). The
  hit's span then covers name *and* suffix: the span is always the exact surface text
  that matched ("Musks", "Altman’s").
- **Case**: case-insensitive (Unicode casefold) unless the index or the phrase says
  ``case_sensitive``; a case-sensitive phrase must match the text exactly up to Unicode
  compatibility forms, typographic punctuation and space/hyphen (the suffix is free).

Speed: the text is scanned once whatever the number of phrases. Text that needs no
length-changing normalisation (nearly all news text) is folded with a handful of C-level
string operations; only characters that could change a match ("ﬁ", decomposed accents,
soft hyphens, "ß" when a phrase contains "ss", ...) take a slower per-cluster path.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from codecs import charmap_encode as _charmap_encode
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from encodings.cp1252 import encoding_table as _CP1252
from functools import cache

import ahocorasick

__all__ = ["POSSESSIVE", "Phrase", "PhraseHit", "PhraseIndex", "normalise"]

POSSESSIVE: tuple[str, ...] = ("'s", "s'", "s")
"""English possessive ("Musk's", "the Altmans'") and German genitive/plural ("Musks")."""

# Folded before NFKC, one character for one: apostrophes, quotes, dashes, odd spaces.
_FOLD: dict[str, str] = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\u0060\u00b4\uff07", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a\u2033\uff02", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    **dict.fromkeys(
        "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
        "\u2009\u200a\u202f\u205f\u3000",
        " ",
    ),
}
# Invisible characters that only break words apart: removed (soft hyphen, zero widths).
_DELETE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")
# For matching only: a phrase's space matches a hyphen or any whitespace in the text.
_SCAN_SPACE: dict[str, str] = dict.fromkeys("-\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85", " ")
_SCAN_SPACE |= dict.fromkeys("\u2028\u2029", " ")
_SCAN_REPLACE: tuple[tuple[str, str], ...] = tuple(
    (src, _SCAN_SPACE.get(dst, dst)) for src, dst in (_FOLD | _SCAN_SPACE).items()
)
# Wide punctuation and symbols common in news text (euro, bullet, ellipsis, arrows ...).
_WIDE_NON_WORD = "\u20ac\u2022\u2026\u2122\u2192\u2190\u2030\u2020\u2021\u25cf\u25aa\u2606\u2605"
# One character that cp1252 does not encode.
_NOT_CP1252 = re.compile(
    "[^\\x00-\\x7f\\xa0-\\xff"
    + re.escape(bytes(range(0x80, 0xA0)).decode("cp1252", "ignore"))
    + "]"
)
# Planes whose characters can change under NFKC or casefold (the others cannot).
_PLANES = (range(0x80, 0x30000), range(0xE0000, 0xE1000))


@dataclass(frozen=True, slots=True)
class PhraseHit:
    """``text[start:end]`` is the exact surface that matched (suffix included)."""

    key: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Phrase:
    """A phrase with options; a plain ``(key, phrase)`` pair means ``Phrase(key, phrase)``.

    ``case_sensitive=None`` takes the index's default.
    """

    key: str
    text: str
    case_sensitive: bool | None = None
    suffixes: tuple[str, ...] = ()


# --- Unicode tables ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tables:
    unstable: frozenset[str]  # may change length or merge with a neighbour when folded
    glue: frozenset[str]  # combining marks and composing second characters
    uppers: dict[str, tuple[str, ...]]  # casefolded char -> chars that fold to it


@cache
def _tables() -> _Tables:
    unstable: set[str] = set(_DELETE)
    glue: set[str] = set()
    uppers: dict[str, list[str]] = {}
    for cp in (cp for plane in _PLANES for cp in plane):
        char = chr(cp)
        if unicodedata.combining(char):
            glue.add(char)
        decomposition = unicodedata.decomposition(char)
        if decomposition and decomposition[0] != "<":
            parts = decomposition.split()
            if len(parts) == 2 and not unicodedata.combining(second := chr(int(parts[1], 16))):
                glue.add(second)
        folded = char.casefold()
        if char in _FOLD:
            continue
        if unicodedata.normalize("NFKC", char) != char or len(folded) != 1:
            unstable.add(char)
        elif folded != char:
            uppers.setdefault(folded, []).append(char)
    unstable |= glue
    unstable |= set(map(chr, range(0x1161, 0x1176))) | set(map(chr, range(0x11A8, 0x11C3)))
    return _Tables(frozenset(unstable), frozenset(glue), {k: tuple(v) for k, v in uppers.items()})


def _char_class(chars: Iterable[str]) -> re.Pattern[str]:
    """A regex matching runs of ``chars`` (BMP and astral classes kept apart, so that
    the BMP class compiles to a lookup table)."""

    def body(points: list[int]) -> str:
        ranges: list[list[int]] = []
        for cp in points:
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
        return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)

    points = sorted(map(ord, chars))
    parts = [
        f"[{body(group)}]+"
        for group in ([p for p in points if p < 0x10000], [p for p in points if p >= 0x10000])
        if group
    ]
    return re.compile("|".join(parts) or "(?!)")


@cache
def _unstable_folds() -> tuple[tuple[str, str, bool], ...]:
    """(char, its scan fold, whether folding it moves a word boundary) per unstable char."""
    tables = _tables()
    folds = []
    for char in sorted(tables.unstable - tables.glue - _DELETE):
        out = _scan_exact(char)
        moves = not out or {_is_word(c) for c in out} != {_is_word(char)}
        folds.append((char, out, moves))
    return tuple(folds)


@cache
def _unstable_re() -> re.Pattern[str]:
    return _char_class(_tables().unstable)


# --- folding ------------------------------------------------------------------------------

# A piece of folded text: (folded start, original start, folded length, original length).
_Piece = tuple[int, int, int, int]


def _replace_all(text: str, table: Iterable[tuple[str, str]]) -> str:
    for src, dst in table:
        if src in text:
            text = text.replace(src, dst)
    return text


def _exact(text: str) -> str:
    """Typographic fold, invisible characters removed, NFKC, casefold."""
    text = "".join(ch for ch in text if ch not in _DELETE)
    return unicodedata.normalize("NFKC", _replace_all(text, _FOLD.items())).casefold()


def _scan_exact(text: str) -> str:
    return _replace_all(_exact(text), _SCAN_SPACE.items())


def _clusters(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    """Split ``text[start:end]`` before every character that cannot merge with its left."""
    glue = _tables().glue
    left = start
    for i in range(start + 1, end):
        if text[i] not in glue:
            yield left, i
            left = i
    yield left, end


def _fold(
    text: str,
    runs: list[tuple[int, int]],
    gap: Callable[[str], str],
    cluster: Callable[[str], str],
) -> tuple[str, list[_Piece] | None]:
    """Fold ``text``: ``gap`` (length-preserving) between ``runs`` of unstable characters,
    ``cluster`` on each run, cluster by cluster. Pieces map back to ``text``; ``None``
    means the folded text lines up with the original character for character."""
    if not runs:
        return gap(text), None
    parts: list[str] = []
    pieces: list[_Piece] = []
    pos = folded = 0

    def add(out: str, start: int, length: int) -> None:
        nonlocal folded
        if out:
            parts.append(out)
            pieces.append((folded, start, len(out), length))
            folded += len(out)

    for run_start, end in runs:
        start = run_start - 1 if run_start > pos else run_start  # the char before may combine
        if start > pos:
            add(gap(text[pos:start]), pos, start - pos)
        for a, b in _clusters(text, start, end):
            add(cluster(text[a:b]), a, b - a)
        pos = end
    if pos < len(text):
        add(gap(text[pos:]), pos, len(text) - pos)
    return "".join(parts), pieces


def _without(text: str, char: str) -> list[_Piece]:
    """Pieces mapping ``text.replace(char, "")`` back to ``text``."""
    pieces: list[_Piece] = []
    pos = folded = 0
    at = text.find(char)
    while True:
        stop = len(text) if at == -1 else at
        if stop > pos:
            pieces.append((folded, pos, stop - pos, stop - pos))
            folded += stop - pos
        if at == -1:
            return pieces
        pos = at + 1
        at = text.find(char, pos)


def _span_back(pieces: list[_Piece], starts: list[int], start: int, end: int) -> tuple[int, int]:
    """Map a folded span ``[start, end)`` back to the original text."""
    f0, o0, flen, olen = pieces[bisect_right(starts, start) - 1]
    ostart = o0 + (start - f0) if flen == olen else o0
    f0, o0, flen, olen = pieces[bisect_right(starts, end - 1) - 1]
    oend = o0 + (end - f0) if flen == olen else o0 + olen
    return ostart, oend


def normalise(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` for matching: typographic apostrophes, quotes, dashes and odd spaces
    to ASCII, invisible soft hyphens / zero-width characters removed, NFKC, casefold.

    Returns the folded text and, for each folded character, the index of the original
    character it came from. The original span of a folded span ``[s, e)`` is
    ``[offsets[s], offsets[e])`` (``len(text)`` when ``e`` is the end), except that an
    ``e`` falling inside one original character's expansion ("ß" → "ss") maps to the end
    of that character.
    """
    runs = [m.span() for m in _unstable_re().finditer(text)]
    out, pieces = _fold(text, runs, _gap_exact, _exact)
    if pieces is None:
        return out, list(range(len(text)))
    offsets: list[int] = []
    for _, ostart, flen, olen in pieces:
        offsets.extend(range(ostart, ostart + flen) if flen == olen else [ostart] * flen)
    return out, offsets


def _gap_exact(text: str) -> str:
    return _replace_all(text, _FOLD.items()).casefold()


def _ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, at C speed whatever the string's width."""
    if text.isascii():
        return text.lower()
    try:
        return text.encode("latin-1").lower().decode("latin-1")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass").lower()
        return raw.decode("utf-8", "surrogatepass")


def _is_word(char: str) -> bool:
    """Letters, digits, ``_`` and combining marks (which belong to the letter before)."""
    return char.isalnum() or char == "_" or unicodedata.category(char)[0] == "M"


def _cased(text: str) -> str:
    """The case-sensitive comparison form: like matching, but without casefold."""
    text = "".join(ch for ch in text if ch not in _DELETE)
    text = unicodedata.normalize("NFKC", _replace_all(text, _FOLD.items()))
    return " ".join(_replace_all(text, _SCAN_SPACE.items()).split())


# --- the index ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str
    cased: str | None  # comparison form when case-sensitive
    suffixes: tuple[str, ...]  # folded, longest first


# What the automaton reports for one of its words: the phrase (pattern) it stands for and
# how to check and finish a hit. ``off``: from the automaton's end index to the phrase
# start in the scan text; ``verify``: the pattern to compare with the scan text when the
# word does not imply it (``None``: implied); ``generic``: check both boundaries and all
# suffixes by hand (phrases that start or end with punctuation); ``entries``: per key,
# ``(key, cased, cased_fast, checks, fallback)`` where ``checks`` are the suffixes still to
# try, longest first, and ``fallback`` the length past the phrase that the word itself
# proves valid (``None``: none).
_Spec = tuple[str, str | None, bool, tuple[tuple[str, int], ...], int | None]
_Group = tuple[int, int, str | None, bool, tuple[_Spec, ...]]
# What the automaton holds for a word: the keys of its phrases and its groups.
_Payload = tuple[frozenset[str], tuple[_Group, ...]]


@cache
def _non_word_re() -> re.Pattern[str]:
    """One non-word character (not a letter, digit, ``_`` or combining mark)."""
    marks = [
        cp
        for plane in (range(0x300, 0x30000), range(0xE0000, 0xE1000))
        for cp in plane
        if unicodedata.category(chr(cp))[0] == "M"
    ]
    ranges: list[list[int]] = []
    for cp in marks:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)
    return re.compile(f"[^\\w{body}]")


def _bounded(scan: str) -> str:
    """The scan text with every non-word character a space, padded with one space each
    side: ``_bounded(scan)[i + 1] == " "`` iff ``scan[i]`` is not part of a word."""
    return f" {_non_word_re().sub(' ', scan)} "


def _word_prefix(text: str) -> str:
    """The leading run of word characters."""
    n = 0
    while n < len(text) and _is_word(text[n]):
        n += 1
    return text[:n]


class PhraseIndex:
    """An automaton over many ``(key, phrase)`` pairs, compiled once; see the module doc.

    The automaton holds each phrase with a space on both sides, its punctuation turned into
    spaces, once per way its suffixes can begin ("musk" and "musks"), and scans the text
    with every non-word character turned into a space: it reports only hits that start and
    end at word boundaries, so nearly every hit it reports is kept.
    """

    def __init__(
        self, phrases: Iterable[tuple[str, str] | Phrase], *, case_sensitive: bool = False
    ) -> None:
        grouped: dict[str, list[_Entry]] = {}
        count = 0
        for item in phrases:
            phrase = item if isinstance(item, Phrase) else Phrase(*item)
            pattern = " ".join(_scan_exact(phrase.text).split())
            if not pattern:
                raise ValueError(f"phrase {phrase.text!r} (key {phrase.key!r}) is empty")
            sensitive = case_sensitive if phrase.case_sensitive is None else phrase.case_sensitive
            suffixes = sorted({_scan_exact(s) for s in phrase.suffixes} - {""}, key=len)
            grouped.setdefault(pattern, []).append(
                _Entry(
                    phrase.key,
                    _cased(phrase.text) if sensitive else None,
                    tuple(reversed(suffixes)),
                )
            )
            count += 1
        self._count = count
        self._prepare(grouped)
        words: dict[str, list[_Group]] = {}
        for pattern, entries in grouped.items():
            self._add(words, pattern, entries)
            if "ss" in pattern and self._sharp_s_neutral:
                self._add(words, pattern.replace("ss", "ß"), entries)
        self._automaton = ahocorasick.Automaton()
        for word, groups in words.items():
            keys = frozenset(spec[0] for group in groups for spec in group[4])
            self._automaton.add_word(word, (keys, tuple(groups)))
        if words:
            self._automaton.make_automaton()

    @staticmethod
    def _add(words: dict[str, list[_Group]], pattern: str, entries: list[_Entry]) -> None:
        """Add the automaton words for one pattern (see ``_Group``)."""
        bounded = _bounded(pattern)[1:-1]
        core = bounded.strip(" ")
        lead = len(bounded) - len(bounded.lstrip(" "))
        generic = core != bounded  # starts or ends with punctuation
        verify = None if " " not in bounded else pattern  # else the word implies it
        heads = {""} if generic else {"", *(_word_prefix(s) for e in entries for s in e.suffixes)}
        for head in sorted(heads):
            word = f" {core}{head} "
            specs: list[_Spec] = []
            for e in entries:
                cased_fast = e.cased is not None and _cased(e.cased) == e.cased
                if generic:
                    specs.append(
                        (e.key, e.cased, cased_fast, tuple((s, len(s)) for s in e.suffixes), 0)
                    )
                    continue
                checks = tuple(
                    (s, len(s)) for s in e.suffixes if s != head and _word_prefix(s) == head
                )
                fallback = len(head) if head == "" or head in e.suffixes else None
                if checks or fallback is not None:
                    specs.append((e.key, e.cased, cased_fast, checks, fallback))
            if specs:
                group = (len(word) - 1 + lead, len(pattern), verify, generic, tuple(specs))
                words.setdefault(word, []).append(group)

    def _prepare(self, grouped: dict[str, list[_Entry]]) -> None:
        """Decide which unusual characters can change a match, for the fast fold."""
        words = [
            p + s for p, entries in grouped.items() for e in entries for s in ("", *e.suffixes)
        ]
        alphabet = set("".join(words))
        joined = "\0".join(words)
        # "ß" folds to "ss": phrases with "ss" get a "ß" variant, so "ß" can stay as it is
        # unless a suffix makes an "ss" across the end of a phrase.
        self._sharp_s_neutral = all(
            (p + s).count("ss") == p.count("ss")
            for p, entries in grouped.items()
            for e in entries
            for s in e.suffixes
        )
        tables = _tables()
        relevant = set(_DELETE | tables.glue)
        for char, out, moves_boundary in _unstable_folds():
            if moves_boundary:
                relevant.add(char)  # folding would move a word boundary
            elif char == "ß" and self._sharp_s_neutral:
                continue
            elif not alphabet.isdisjoint(out) and not (
                _is_word(char) and len(out) > 1 and out not in joined
            ):
                # A run of letters ("ﬁ" -> "fi") can only matter inside a phrase that
                # contains the whole run: a hit cannot start or end inside a word.
                relevant.add(char)
        self._relevant_re = _char_class(relevant)
        self._bmp_relevant_re = _char_class(c for c in relevant if ord(c) < 0x10000)
        self._latin1_relevant = tuple(sorted(c for c in relevant if ord(c) < 0x100))
        # Common wide characters that cannot change a match become a Latin-1 non-word
        # character, so that most news text stays one byte per character.
        placeholders = tuple(
            (c, "\u00a4") for c in _WIDE_NON_WORD if c not in relevant and c not in alphabet
        )
        self._scan_replace = _SCAN_REPLACE + placeholders
        self._wide = tuple((c, d) for c, d in self._scan_replace if ord(c) > 0xFF)
        self._wide_map = dict(self._wide)
        self._wide_re = re.compile("[" + "".join(re.escape(c) for c, _ in self._wide) + "]")
        self._narrow = tuple((c, d) for c, d in self._scan_replace if ord(c) <= 0xFF)
        # One byte table for text that fits Latin-1: the narrow folds plus ASCII lower case.
        case_pairs = [
            (upper, lower)
            for lower in sorted(c for c in alphabet if not c.isascii())
            for upper in tables.uppers.get(lower, ())
        ]
        table = bytearray(range(256))
        table[ord("A") : ord("Z") + 1] = bytes(range(ord("a"), ord("z") + 1))
        for c, d in self._narrow:
            table[ord(c)] = ord(d)
        self._bytes_table = bytes(table)  # _gap: folds and ASCII lower case
        self._case_pairs = tuple(case_pairs)
        self._cp1252_tables(table, relevant, alphabet)

    def _cp1252_tables(self, table: bytearray, relevant: set[str], alphabet: set[str]) -> None:
        """Byte tables for text that encodes to cp1252 (Latin-1 plus the typographic
        quotes, dashes, "€", "…" of Windows-1252; nearly all Western news text): the scan
        fold and its bounded form (see ``_bounded``), one ``bytes.translate`` each. A byte
        whose character needs the slow fold maps to NUL, so one ``in`` test tells.

        Characters outside Latin-1 become a Latin-1 stand-in of the same kind (word or
        not) that no phrase contains: only phrase characters and word boundaries matter
        to a match."""
        pairs = dict(self._case_pairs)
        for upper, lower in pairs.items():
            if ord(upper) < 0x100 and ord(lower) < 0x100:
                table[ord(upper)] = ord(lower)
        spare = [chr(b) for b in range(0xA0, 0x100) if chr(b) not in alphabet]
        word = next(c for c in spare if _is_word(c) and chr(table[ord(c)]) == c)
        other = next(c for c in spare if not _is_word(c) and chr(table[ord(c)]) == c)
        relevant = set(relevant)
        latin1 = bytearray(table)
        for b in range(0x80, 0xA0):
            try:
                char = bytes([b]).decode("cp1252")
            except UnicodeDecodeError:
                continue  # unused byte: never produced by the encoder
            fold = _replace_all(char, self._scan_replace)
            fold = pairs.get(fold, fold)
            if len(fold) != 1:
                relevant.add(char)
            elif ord(fold) < 0x100:
                table[b] = ord(fold)
            elif fold in alphabet:
                relevant.add(char)  # its fold must stay in the text: the slow way
            else:
                table[b] = ord(word if _is_word(fold) else other)
        for b in range(256):
            if chr(b) in relevant:
                latin1[b] = 0
            if b < 0x80 or b >= 0xA0:
                table[b] = latin1[b]
            elif bytes([b]).decode("cp1252", "replace") in relevant:
                table[b] = 0

        def bounded(fold: bytes) -> bytes:
            return bytes(0 if c == 0 else c if _is_word(chr(c)) else 0x20 for c in fold)

        self._latin1_fold = bytes(latin1)
        self._latin1_bounded = bounded(self._latin1_fold)
        self._cp1252_fold = bytes(table)
        self._cp1252_bounded = bounded(self._cp1252_fold)
        self._ascii_plain = all(ord(c) >= 0x80 for c in relevant)
        # For the few other characters of mostly cp1252 text ("č", "ł", non-breaking
        # hyphen): what ``_outside`` puts in their place (see ``_outside_char``).
        self._relevant = frozenset(relevant)
        self._alphabet = frozenset(alphabet)
        self._pairs = pairs
        # Stand-ins that the cp1252 fold keeps as they are (so not relevant either).
        kept = [
            chr(b)
            for b in range(0xA0, 0x100)
            if self._cp1252_fold[b] == b and chr(b) not in alphabet
        ]
        self._stand_ins = (
            next((c for c in kept if _is_word(c)), ""),
            next((c for c in kept if not _is_word(c)), ""),
        )
        self._outside_chars: dict[str, str] = {}

    def __len__(self) -> int:
        return self._count

    def _gap(self, text: str) -> str:
        """Fold text free of relevant characters (same length)."""
        folded = self._fold_plain(text, check=False)
        assert folded is not None  # without the check there is always a result
        return folded

    def _fold_plain(self, text: str, *, check: bool = True) -> str | None:
        """Fold ``text`` one character for one (folds, ASCII lower case, case pairs), or
        return ``None`` when ``check`` finds a relevant character (slow fold needed)."""
        if not text.isascii() and self._wide_re.search(text):
            text = _replace_all(text, self._wide)
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:
            if check and (
                len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)
                or self._bmp_relevant_re.search(text)
            ):
                return None  # astral or relevant characters: the slow fold sorts them out
            folded = _ascii_lower(_replace_all(text, self._narrow))
        else:
            if check and any(c in text for c in self._latin1_relevant):
                return None
            folded = raw.translate(self._bytes_table).decode("latin-1")
        return _replace_all(folded, self._case_pairs) if self._case_pairs else folded

    def _texts(self, text: str) -> tuple[str, str, list[_Piece] | None]:
        """The scan text, its bounded form (see ``_bounded``) and the pieces mapping the
        scan text back to ``text`` (``None``: one character for one), the slow ways: for
        text that ``hits`` cannot fold by its byte tables."""
        found = self._byte_fold(text)
        if found is not None:
            return found[0], found[1], None
        if "\u00ad" in text:
            # Soft hyphens (hyphenated web text) only delete themselves: drop them first,
            # then fold fast if nothing else needs the slow way.
            found = self._byte_fold(text.replace("\u00ad", ""))
            if found is not None:
                return found[0], found[1], _without(text, "\u00ad")
        scan = self._fold_plain(text)
        if scan is not None:
            return scan, _bounded(scan), None
        scan, pieces = _fold(text, self._runs(text), self._gap, _scan_exact)
        return scan, _bounded(scan), pieces

    def _byte_fold(self, text: str) -> tuple[str, str] | None:
        """The scan text and its bounded form by byte tables, or ``None`` when ``text``
        is not Latin-1 or cp1252 (after the typographic folds) or has a relevant
        character."""
        fold, bound = self._latin1_fold, self._latin1_bounded
        try:
            raw = text.encode("latin-1")  # a copy when the string is Latin-1 already
        except UnicodeEncodeError:
            try:
                raw = text.encode("cp1252")
                fold, bound = self._cp1252_fold, self._cp1252_bounded
            except UnicodeEncodeError:
                if not self._wide_re.search(text):
                    return None
                try:
                    raw = _replace_all(text, self._wide).encode("latin-1")
                except UnicodeEncodeError:
                    return None
        folded = raw.translate(fold)
        if 0 in folded:
            return None
        return folded.decode("latin-1"), f" {raw.translate(bound).decode('latin-1')} "

    def _outside(self, text: str) -> bytes | None:
        """``text``, which has characters outside cp1252, encoded to cp1252 with each of
        those replaced by a character of the same fold or a stand-in (see
        ``_outside_char``); ``None`` when one of them needs the slow fold."""
        known = self._outside_chars
        for char in set(_NOT_CP1252.findall(text)):
            other = known.get(char)
            if other is None:
                other = known[char] = self._outside_char(char)
            if not other:
                return None
            text = text.replace(char, other)
        try:
            return _charmap_encode(text, "strict", _CP1252)[0]
        except UnicodeEncodeError:
            return None

    def _outside_char(self, char: str) -> str:
        """In place of a character outside cp1252: its typographic fold ("‑" -> " "), or
        a Latin-1 stand-in of its kind (word or not) when it is no phrase's character
        and its fold neither (only phrase characters and word boundaries matter to a
        match); "" when it needs the slow fold (relevant, astral, C1 control, a
        phrase's character or one that folds to one)."""
        code = ord(char)
        if code < 0x100 or code > 0xFFFF or 0xD800 <= code < 0xE000 or char in self._relevant:
            return ""
        if char in self._wide_map:
            return self._wide_map[char]
        if char in self._alphabet or char in self._pairs:
            return ""
        word, other = self._stand_ins
        return word if _is_word(char) else other  # "" when there is none

    def _runs(self, text: str) -> list[tuple[int, int]]:
        """Where the relevant characters are, as runs ``(start, end)``."""
        try:
            _replace_all(text, self._scan_replace).encode("latin-1")
        except UnicodeEncodeError:
            return [m.span() for m in self._relevant_re.finditer(text)]
        positions = sorted(i for char in self._latin1_relevant for i in _positions(text, char))
        runs: list[tuple[int, int]] = []
        for i in positions:
            if runs and runs[-1][1] == i:
                runs[-1] = (runs[-1][0], i + 1)
            else:
                runs.append((i, i + 1))
        return runs

    def find(self, text: str) -> list[PhraseHit]:
        """Every whole-word hit of every phrase in ``text``, ordered by (start, -end, key)."""
        hits = self.hits(text)
        hits.sort(key=lambda h: (h[0], -h[1], h[2]))
        return [PhraseHit(key, start, end) for start, end, key in hits]

    def hits(self, text: str, keys: AbstractSet[str] | None = None) -> list[tuple[int, int, str]]:
        """``find`` as unordered ``(start, end, key)`` tuples: for callers that order or
        group the hits themselves. With ``keys``, also ``[]`` when no phrase with one of
        these keys occurs: the other hits are only worked out when one may."""
        if not self._count or not text:
            return []
        # Nearly all text: Latin-1 or cp1252, one byte per character, folded by the byte
        # tables (see ``_cp1252_tables``). The bounded form goes first (its NUL bytes are
        # the fold's: a character that needs the slow way); the scan text is only made
        # when the automaton reports something.
        try:
            raw = text.encode("latin-1")  # a copy when the string is Latin-1 already
        except UnicodeEncodeError:
            outside = self._encode_cp1252(text)
            if outside is None:
                return self._hits_slow(text, keys)
            raw = outside
            fold, bound = self._cp1252_fold, self._cp1252_bounded
            checked = False
        else:
            fold, bound = self._latin1_fold, self._latin1_bounded
            checked = self._ascii_plain and text.isascii()  # no relevant ASCII character
        words = raw.translate(bound)
        if not checked and 0 in words:
            return self._hits_slow(text, keys)
        bounded = f" {words.decode('latin-1')} "
        found: list[tuple[int, _Payload]] = list(self._automaton.iter(bounded))
        if not found or (keys is not None and _none_of(keys, found)):
            return []
        return self._collect(text, raw.translate(fold).decode("latin-1"), bounded, None, found)

    def _encode_cp1252(self, text: str) -> bytes | None:
        """``text`` (not Latin-1) in cp1252, see ``_outside`` for other characters."""
        try:
            return _charmap_encode(text, "strict", _CP1252)[0]
        except UnicodeEncodeError:
            return self._outside(text)

    def _hits_slow(self, text: str, keys: AbstractSet[str] | None) -> list[tuple[int, int, str]]:
        found: list[tuple[int, _Payload]]
        if "\u00ad" in text:
            # Soft hyphens (hyphenated web text) only delete themselves: drop them first,
            # then fold by the byte tables if nothing else needs the slow way.
            plain = text.replace("\u00ad", "")
            try:
                raw = plain.encode("latin-1")
                fold, bound = self._latin1_fold, self._latin1_bounded
            except UnicodeEncodeError:
                raw = self._encode_cp1252(plain) or b"\0"
                fold, bound = self._cp1252_fold, self._cp1252_bounded
            words = raw.translate(bound)
            if 0 not in words:
                bounded = f" {words.decode('latin-1')} "
                found = list(self._automaton.iter(bounded))
                if not found or (keys is not None and _none_of(keys, found)):
                    return []
                scan = raw.translate(fold).decode("latin-1")
                return self._collect(text, scan, bounded, _without(text, "\u00ad"), found)
        scan, bounded, pieces = self._texts(text)
        found = list(self._automaton.iter(bounded))
        if not found or (keys is not None and _none_of(keys, found)):
            return []
        return self._collect(text, scan, bounded, pieces, found)

    def _collect(
        self,
        text: str,
        scan: str,
        bounded: str,
        pieces: list[_Piece] | None,
        found: list[tuple[int, _Payload]],
    ) -> list[tuple[int, int, str]]:
        """The hits among the automaton's reports ``found`` on ``bounded``."""
        hits: list[tuple[int, int, str]] = []
        append = hits.append
        starts = [p[0] for p in pieces] if pieces is not None else None
        for last, (_, groups) in found:
            for off, length, verify, generic, specs in groups:
                first = last - off
                if generic and (first < 0 or bounded[first] != " "):
                    continue  # starts with punctuation inside a word
                if verify is not None and not scan.startswith(verify, first):
                    continue
                name_end = first + length
                for key, cased, cased_fast, checks, fallback in specs:
                    end = -1
                    for suffix, size in checks:
                        stop = name_end + size
                        if scan.startswith(suffix, name_end) and bounded[stop + 1] == " ":
                            end = stop
                            break
                    else:
                        if fallback is None or (generic and bounded[name_end + 1] != " "):
                            continue
                        end = name_end + fallback
                    if starts is None:
                        ostart, oend, oname = first, end, name_end
                    else:
                        assert pieces is not None
                        ostart, oend = _span_back(pieces, starts, first, end)
                        oname = _span_back(pieces, starts, first, name_end)[1]
                    if cased is not None:
                        surface = text[ostart:oname]
                        if not (cased_fast and surface == cased) and _cased(surface) != cased:
                            continue
                    append((ostart, oend, key))
        return hits


def _none_of(keys: AbstractSet[str], found: list[tuple[int, _Payload]]) -> bool:
    """Whether no word the automaton reported holds a phrase with one of ``keys``."""
    return all(word_keys.isdisjoint(keys) for _, (word_keys, _) in found)


def _positions(text: str, char: str) -> Iterable[int]:
    at = text.find(char)
    while at != -1:
        yield at
        at = text.find(char, at + 1)
