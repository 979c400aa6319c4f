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
from functools import lru_cache

import snowballstemmer

__all__ = ["STOP_WORDS", "name_key", "names", "numbers", "terms"]

_WORD = re.compile(r"[^\W\d_]{2,}")
_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:[.,]\d{3})+(?![\d])|\d+(?:[.,]\d+)?")
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
_STEMMERS = {"en": "english", "de": "german", "fr": "french", "es": "spanish",
             "it": "italian", "nl": "dutch", "pt": "portuguese", "sv": "swedish"}


@lru_cache(maxsize=16)
def _stemmer(lang: str) -> snowballstemmer.stemmer | None:
    algorithm = _STEMMERS.get(lang)
    return snowballstemmer.stemmer(algorithm) if algorithm else None


_STEM_CACHE: dict[str, dict[str, str]] = {}
_STEM_CACHE_MAX = 200_000  # words per language; the cache starts afresh when full


def terms(text: str, lang: str) -> list[str]:
    """Stemmed content words of ``text`` in order, stop words removed."""
    stop = STOP_WORDS.get(lang, _ALL_STOP)
    cache = _STEM_CACHE.get(lang)
    if cache is None or len(cache) >= _STEM_CACHE_MAX:
        cache = _STEM_CACHE[lang] = {}
    stemmer = _stemmer(lang)
    out = []
    for word in _WORD.findall(text.lower()):
        if word in stop:
            continue
        stem = cache.get(word)
        if stem is None:
            stem = cache[word] = stemmer.stemWord(word) if stemmer else word
        out.append(stem)
    return out


@lru_cache(maxsize=100_000)
def name_key(word: str) -> str:
    """Language-neutral key of a capitalised word: accents and possessive ``s`` dropped."""
    folded = unicodedata.normalize("NFKD", word.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    if len(folded) > 4 and folded.endswith("s") and not folded.endswith("ss"):
        folded = folded[:-1]
    return folded


def names(text: str) -> list[str]:
    """Keys of the capitalised words of ``text`` that are not stop words.

    A capitalised word that opens a sentence counts only if it is also capitalised
    inside a sentence somewhere in ``text`` (``Analysts said…`` is not a name).
    """
    inside: list[str] = []
    opening: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group()
        if not word[0].isupper() or word.lower() in _ALL_STOP:
            continue
        (opening if _opens(text, match.start()) else inside).append(word)
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
    for raw in _NUMBER.findall(text):
        value = raw.replace(".", "").replace(",", "") if _THOUSANDS.match(raw) else raw
        out.append("#" + value.replace(",", "."))
    return out
