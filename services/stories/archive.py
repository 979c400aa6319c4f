"""Read an offline article archive into tagged articles with their gold labels.

Two layouts are understood:

- JSONL, one article per line: ``id``, ``date``, ``lang``, ``title``, ``text``, optional
  ``source``, ``mentions`` (tagger mentions) or ``entities`` (entity ids), and optional
  gold ``story`` (per-language story) and ``event`` (shared across languages);
- the JSON list of Miranda et al. 2018's dataset files: ``id``, ``date``, ``lang``
  (``eng``/``deu``/``spa``), ``title``, ``text``, gold ``cluster``.

Dates without a time zone are taken as UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.records import Article, Mention, TaggedArticle

__all__ = ["ArchiveError", "Entry", "read"]

_LANGS = {
    "eng": "en",
    "deu": "de",
    "ger": "de",
    "spa": "es",
    "fra": "fr",
    "fre": "fr",
    "ita": "it",
    "nld": "nl",
    "por": "pt",
}


class ArchiveError(ValueError):
    """A record of the archive cannot be read; the message names the record."""


@dataclass(frozen=True, slots=True)
class Entry:
    article: TaggedArticle
    story: str | None  # gold story (per language)
    event: str | None  # gold event (across languages)


def read(text: str) -> list[Entry]:
    """Entries of an archive in time order (stable for equal dates)."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        records: Iterable[Any] = json.loads(stripped)
    else:
        records = _lines(text)
    entries = [_entry(n, record) for n, record in enumerate(records, 1)]
    return sorted(entries, key=lambda e: e.article.article.published)


def _lines(text: str) -> Iterator[Any]:
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ArchiveError(f"line {n}: not JSON ({exc.msg})") from exc


def _entry(n: int, record: Any) -> Entry:
    if not isinstance(record, dict):
        raise ArchiveError(f"record {n}: not a JSON object")
    try:
        article_id = str(record["id"])
        published = _date(str(record["date"]))
        lang = str(record["lang"]).lower()
        title = str(record.get("title") or "")
        text = str(record.get("text") or record.get("body") or "")
    except (KeyError, ValueError) as exc:
        raise ArchiveError(f"record {n}: missing or bad field {exc}") from exc
    lang = _LANGS.get(lang, lang[:2])
    source = str(record.get("source") or "archive")
    article = Article(
        id=article_id,
        url=f"urn:archive:{article_id}",
        title=title,
        text=text,
        lang=lang,
        published=published,
        fetched=published,
        source=source,
        feed="archive",
    )
    mentions = tuple(_mentions(record))
    gold = record.get("story", record.get("cluster"))
    event = record.get("event")
    return Entry(
        article=TaggedArticle(article=article, mentions=mentions, watchlist_version="archive"),
        story=None if gold is None else str(gold),
        event=None if event is None else str(event),
    )


def _mentions(record: dict[str, Any]) -> Iterator[Mention]:
    for mention in record.get("mentions") or ():
        yield Mention.model_validate(mention)
    for entity in record.get("entities") or ():
        yield Mention(
            entity=str(entity),
            alias=str(entity),
            text=str(entity),
            field="text",
            start=0,
            end=0,
            snippet="",
        )


def _date(raw: str) -> datetime:
    value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)
