"""Language-aware features of one article: stemmed terms, names and numbers.

Terms are lower-cased words without stop words, stemmed with the Snowball stemmer of
the article's language (unknown languages are only lower-cased). Names are the
capitalised words and the numbers of a text, folded to a language-neutral key
(``Zürich`` → ``zurich``, ``Musks`` → ``musk``, ``39.000`` and ``39,000`` → ``#39000``),
so that a German and an English report of one event share them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from sys import intern

import snowballstemmer

__all__ = ["STOP_WORDS", "name_key", "names", "numbers", "terms"]

_WORD = re.compile(r"[^\W\d_]{2,}")
_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:[.,]\d{3})+(?![\d])|\d+(?:[.,]\d+)?")


def _char_class(codes: Iterable[int]) -> str:
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(
        re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges
    )


# Faster equivalents of the patterns above. For texts without characters beyond the
# BMP (the regex engine tests an explicit class by bitmap, a category per character):
# the same words, and the capitalised words alone. For all texts: the numbers, with
# the lookbehind after the first digit (so that the engine can skip to digits).
_BMP_LETTERS = [code for code in range(0x10000) if re.match(r"[^\W\d_]", chr(code))]
_FAST_WORD = re.compile(f"[{_char_class(_BMP_LETTERS)}]{{2,}}")
_CAPITAL = re.compile(
    f"[{_char_class(c for c in _BMP_LETTERS if chr(c).isupper())}]"
    r"(?<![^\W\d_].)[^\W\d_]+"  # not preceded by a letter: a whole word
)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_FAST_NUMBER = re.compile(  # _NUMBER with the lookbehind after the first digit
    r"\d(?:(?<![\w.,]\d)\d{0,2}(?:[.,]\d{3})+(?!\d)|\d*(?:[.,]\d+)?)"
)
_OPENERS = frozenset(("", ".", "!", "?", ":", ";", "\n", "„", "“", '"', "«", "»", "–"))
_THOUSANDS = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")

_EN = """a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each
few for from further had has have having he her here hers herself him himself his how i
if in into is it its itself just me more most my myself no nor not now of off on once
only or other our ours out over own same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your
yours yourself said says say told new one two three year years week month day monday
tuesday wednesday thursday friday saturday sunday mr ms per cent percent according
would could may might must shall us its it's there's since still yet though however"""

_DE = """aber alle allem allen aller alles als also am an ander andere anderem anderen
anderer anderes auch auf aus bei bin bis bist da damit dann das dass dasselbe dazu dein
deine deinem deinen deiner dem den denn der des desselben dessen dich die dies diese
dieselbe dieselben diesem diesen dieser dieses dir doch dort du durch ein eine einem
einen einer eines einig einige einigem einigen einiger einiges einmal er es etwas euch
euer eure für gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich ihm ihn
ihnen ihr ihre ihrem ihren ihrer ihres im in indem ins ist jede jedem jeden jeder jedes
jene jenem jenen jener jenes jetzt kann kein keine keinem keinen keiner keines können
könnte machen man manche manchem manchen mancher manches mein meine meinem meinen
meiner meines mich mir mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr
sein seine seinem seinen seiner seines selbst sich sie sind so solche solchem solchen
solcher solches soll sollte sondern sonst über um und uns unser unsere unter viel vom
von vor während war waren warst was weg weil weiter welche welchem welchen welcher
welches wenn werde werden wie wieder will wir wird wirst wo wollen wollte würde würden
zu zum zur zwar zwischen sagte sagt laut neue neuen neuer jahr jahre jahren woche
wochen tag tagen montag dienstag mittwoch donnerstag freitag samstag sonntag prozent
bereits seit zudem demnach worden wurde wurden schon mehr rund etwa"""

STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(_EN.split()),
    "de": frozenset(_DE.split()),
}
_ALL_STOP = frozenset().union(*STOP_WORDS.values())
_STEMMERS = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "nl": "dutch",
    "pt": "portuguese",
    "sv": "swedish",
}


@lru_cache(maxsize=16)
def _stemmer(lang: str) -> snowballstemmer.stemmer | None:
    algorithm = _STEMMERS.get(lang)
    return snowballstemmer.stemmer(algorithm) if algorithm else None


_STEM_CACHE: dict[str, dict[str, str]] = {}
_STEM_CACHE_MAX = 200_000  # words per language; the cache starts afresh when full


def _bmp(text: str) -> bool:
    return text.isascii() or not _ASTRAL.search(text)


def terms(text: str, lang: str) -> list[str]:
    """Stemmed content words of ``text`` in order, stop words removed."""
    cache = _STEM_CACHE.get(lang)  # word → stem, "" for a stop word
    if cache is None or len(cache) >= _STEM_CACHE_MAX:
        cache = _STEM_CACHE[lang] = {}
    lower = text.lower()
    words = (_FAST_WORD if _bmp(lower) else _WORD).findall(lower)
    try:
        return [stem for stem in map(cache.__getitem__, words) if stem]
    except KeyError:  # a word not seen yet
        pass
    stop = STOP_WORDS.get(lang, _ALL_STOP)
    stemmer = _stemmer(lang)
    out = []
    for word in words:
        stem = cache.get(word)
        if stem is None:
            if word in stop:
                cache[word] = ""
                continue
            stem = intern(stemmer.stemWord(word) if stemmer else word)  # shared keys
            if stem:
                cache[word] = stem
            out.append(stem)
        elif stem:
            out.append(stem)
    return out


@lru_cache(maxsize=100_000)
def name_key(word: str) -> str:
    """Language-neutral key of a capitalised word: accents and possessive ``s`` dropped."""
    folded = unicodedata.normalize("NFKD", word.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    if len(folded) > 4 and folded.endswith("s") and not folded.endswith("ss"):
        folded = folded[:-1]
    return intern(folded)


def names(text: str) -> list[str]:
    """Keys of the capitalised words of ``text`` that are not stop words.

    A capitalised word that opens a sentence counts only if it is also capitalised
    inside a sentence somewhere in ``text`` (``Analysts said…`` is not a name).
    """
    inside: list[str] = []
    opening: list[str] = []
    if not _bmp(text):
        for match in _WORD.finditer(text):
            word = match.group()
            if not word[0].isupper() or word.lower() in _ALL_STOP:
                continue
            (opening if _opens(text, match.start()) else inside).append(word)
    else:
        for match in _CAPITAL.finditer(text):
            word = match.group()
            if word.lower() in _ALL_STOP:
                continue
            i = match.start() - 1  # _opens, inline
            while i >= 0 and text[i] in " \t\r":
                i -= 1
            (opening if i < 0 or text[i] in _OPENERS else inside).append(word)
    seen = set(inside)
    return [name_key(word) for word in inside + [w for w in opening if w in seen]]


def _opens(text: str, start: int) -> bool:
    """Whether the word at ``start`` opens a sentence, a title or a quotation."""
    i = start - 1
    while i >= 0 and text[i] in " \t\r":
        i -= 1
    return i < 0 or text[i] in _OPENERS


def numbers(text: str) -> list[str]:
    """Numbers of ``text`` as language-neutral keys: ``39.000`` → ``#39000``, ``7,5`` → ``#7.5``."""
    out = []
    for raw in _FAST_NUMBER.findall(text):
        value = raw.replace(".", "").replace(",", "") if _THOUSANDS.match(raw) else raw
        out.append("#" + value.replace(",", "."))
    return out
