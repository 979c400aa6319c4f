"""The watchlist: which entities to tag and how each alias may match (YAML, no code).

```yaml
entities:
  - id: sam_altman            # [a-z][a-z0-9_]*, unique; what mentions carry
    name: Sam Altman          # display name
    type: person              # person | organisation | product
    aliases:                  # any language; a string or a mapping
      - Sam Altman
      - text: Altman
        case_sensitive: true  # default false
        inflect: true         # default true: "Altmans", "Altman's", "Altman’s"
        require:              # count only with one of these phrases ...
          any: [OpenAI, ChatGPT]
          within: 500         # ... at most 500 characters away (default: anywhere
                              # in the article, title or text)
        exclude:              # drop when directly preceded/followed by a phrase
          before: [Robert]    # (only spaces or hyphens in between)
          after: [Z-Score]
    aliases_de: [OpenAI-Chef] # only for articles whose lang is de (or unknown)
    aliases_en: [OpenAI boss]
```

``aliases_<lang>`` works for any language code. ``load_watchlist`` raises
``WatchlistError`` naming the file, the entity and the field for anything malformed,
including unknown keys (a typo must not silently widen or narrow matching).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from shared.phrases import normalise

__all__ = ["Alias", "Entity", "EntityType", "Watchlist", "WatchlistError", "load_watchlist"]

EntityType = Literal["person", "organisation", "product"]
_TYPES: tuple[EntityType, ...] = ("person", "organisation", "product")
_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
_LANG_KEY = re.compile(r"aliases_([a-z]{2,3})\Z")
_ALIAS_KEYS = frozenset({"text", "case_sensitive", "inflect", "require", "exclude"})


class WatchlistError(ValueError):
    """A watchlist file that cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Alias:
    text: str
    case_sensitive: bool = False
    inflect: bool = True
    langs: frozenset[str] = frozenset()  # empty: every language
    require: tuple[str, ...] = ()
    within: int | None = None
    exclude_before: tuple[str, ...] = ()
    exclude_after: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    name: str
    type: EntityType
    aliases: tuple[Alias, ...]


@dataclass(frozen=True, slots=True)
class Watchlist:
    version: str  # first 12 hex digits of the file's sha256
    entities: tuple[Entity, ...]

    def entity(self, entity_id: str) -> Entity:
        for entity in self.entities:
            if entity.id == entity_id:
                return entity
        raise KeyError(entity_id)


def load_watchlist(path: Path) -> Watchlist:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WatchlistError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_watchlist(raw, str(path))


def parse_watchlist(raw: bytes, source: str = "<watchlist>") -> Watchlist:
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise WatchlistError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or set(data) != {"entities"}:
        raise WatchlistError(f"{source}: expected a mapping with one key, 'entities'")
    items = data["entities"]
    if not isinstance(items, list) or not items:
        raise WatchlistError(f"{source}: field 'entities' must be a non-empty list")
    entities: list[Entity] = []
    for n, item in enumerate(items):
        entity = _entity(item, f"{source}: entity #{n + 1}")
        if any(e.id == entity.id for e in entities):
            raise WatchlistError(f"{source}: entity {entity.id!r}: field 'id': duplicate")
        entities.append(entity)
    return Watchlist(hashlib.sha256(raw).hexdigest()[:12], tuple(entities))


def _entity(item: object, where: str) -> Entity:
    if not isinstance(item, dict):
        raise WatchlistError(f"{where}: must be a mapping")
    entity_id = item.get("id")
    if not isinstance(entity_id, str) or not _ID.match(entity_id):
        raise WatchlistError(f"{where}: field 'id': must match [a-z][a-z0-9_]*")
    where = f"{where.rsplit(': entity', 1)[0]}: entity {entity_id!r}"
    for key in item:
        if key not in {"id", "name", "type", "aliases"} and not _LANG_KEY.match(str(key)):
            raise WatchlistError(f"{where}: field {key!r}: unknown field")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise WatchlistError(f"{where}: field 'name': must be a non-empty string")
    kind = item.get("type")
    if kind not in _TYPES:
        raise WatchlistError(f"{where}: field 'type': must be one of {', '.join(_TYPES)}")
    aliases: list[Alias] = []
    for key, value in item.items():
        if key == "aliases":
            aliases += _alias_list(value, frozenset(), f"{where}: field 'aliases'")
        elif match := _LANG_KEY.match(str(key)):
            langs = frozenset({match.group(1)})
            aliases += _alias_list(value, langs, f"{where}: field {key!r}")
    if not aliases:
        raise WatchlistError(f"{where}: field 'aliases': at least one alias is needed")
    return Entity(entity_id, name.strip(), cast(EntityType, kind), tuple(aliases))


def _alias_list(value: object, langs: frozenset[str], where: str) -> list[Alias]:
    if not isinstance(value, list):
        raise WatchlistError(f"{where}: must be a list")
    return [_alias(v, langs, f"{where}[{n}]") for n, v in enumerate(value)]


def _alias(value: object, langs: frozenset[str], where: str) -> Alias:
    if isinstance(value, str):
        return Alias(_phrase(value, where), langs=langs)
    if not isinstance(value, dict):
        raise WatchlistError(f"{where}: must be a string or a mapping")
    unknown = set(value) - _ALIAS_KEYS
    if unknown:
        raise WatchlistError(f"{where}: unknown option(s) {', '.join(map(str, unknown))}")
    text = _phrase(value.get("text"), f"{where}.text")
    require = value.get("require", {})
    exclude = value.get("exclude", {})
    if not isinstance(require, dict) or set(require) - {"any", "within"}:
        raise WatchlistError(f"{where}.require: must be a mapping with 'any' and 'within'")
    if not isinstance(exclude, dict) or set(exclude) - {"before", "after"}:
        raise WatchlistError(f"{where}.exclude: must be a mapping with 'before'/'after'")
    within = require.get("within")
    if within is not None and (not isinstance(within, int) or within <= 0):
        raise WatchlistError(f"{where}.require.within: must be a positive integer")
    if within is not None and "any" not in require:
        raise WatchlistError(f"{where}.require: 'within' needs 'any'")
    return Alias(
        text,
        case_sensitive=_flag(value, "case_sensitive", default=False, where=where),
        inflect=_flag(value, "inflect", default=True, where=where),
        langs=langs,
        require=_phrases(require, "any", f"{where}.require.any") if require else (),
        within=within,
        exclude_before=_phrases(exclude, "before", f"{where}.exclude.before"),
        exclude_after=_phrases(exclude, "after", f"{where}.exclude.after"),
    )


def _flag(value: Mapping[str, Any], key: str, *, default: bool, where: str) -> bool:
    flag = value.get(key, default)
    if not isinstance(flag, bool):
        raise WatchlistError(f"{where}.{key}: must be true or false")
    return flag


def _phrases(value: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    items = value.get(key, [])
    if not isinstance(items, list) or (key == "any" and not items):
        raise WatchlistError(f"{where}: must be a non-empty list of phrases")
    return tuple(_phrase(item, f"{where}[{n}]") for n, item in enumerate(items))


def _phrase(value: object, where: str) -> str:
    if not isinstance(value, str) or not normalise(value)[0].replace("-", " ").strip():
        raise WatchlistError(f"{where}: must be a non-empty phrase")
    return value.strip()
