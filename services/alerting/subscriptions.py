"""Subscriptions: the file format, its validation, and the index that matches updates.

File format (YAML)::

    subscriptions:
      - id: musk-and-altman            # slug [a-z0-9][a-z0-9_-]{0,63}, unique
        query: "@elon_musk AND @sam_altman"
        channel: {type: webhook, url: "https://example.org/hook", secret: "whsec_…"}
        mode: realtime                 # or digest (then digest_minutes: 1..1440)
        updates: {every_articles: 5, every_sources: 3}   # omitted/null: no updates
        paused: false

``SubscriptionIndex.match`` is fast with 100,000 subscriptions because each
subscription is filed under its *anchors*: a set of entity/keyword terms at least one
of which every matching article must contain (for ``a AND b`` the cheaper side, for
``a OR b`` both sides). An update only evaluates the subscriptions filed under a term it
contains, plus the few that have no anchor (pure ``NOT``/filter queries).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from services.alerting.query import (
    And,
    Entity,
    Keyword,
    MatchContext,
    Node,
    Or,
    Query,
    evaluator,
    parse,
)
from shared.phrases import PhraseIndex
from shared.records import StoryUpdate

__all__ = [
    "APPRISE_SCHEMAS",
    "AppriseChannel",
    "Channel",
    "EmailChannel",
    "Subscription",
    "SubscriptionError",
    "SubscriptionIndex",
    "UpdatePolicy",
    "WebhookChannel",
    "anchors",
    "load_file",
    "validate",
]

# Apprise schemas a subscriber may use. Each is either self-hosted (the URL's host is
# where the request goes; it is checked with the SSRF guard) or a fixed public service.
# Left out on purpose: mailto/mailtos (email goes through the operator's SMTP relay, an
# ``email`` channel; mailto's smtp= parameter would reach hosts the URL does not name)
# and matrix (homeserver discovery via .well-known can send requests to another host).
APPRISE_SCHEMAS = frozenset(
    {
        *("json", "jsons", "xml", "xmls", "form", "forms"),
        *("ntfy", "ntfys", "gotify", "gotifys"),
        *("slack", "discord", "tgram"),
    }
)

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+")
MAX_URL = 2048


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookChannel(_Model):
    """POST the JSON alert, signed per Standard Webhooks with ``secret``."""

    type: Literal["webhook"]
    url: str
    secret: SecretStr

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if len(url) > MAX_URL:
            raise ValueError(f"longer than {MAX_URL} characters")
        try:
            parts = urlsplit(url)
            _ = parts.port
        except ValueError as exc:
            raise ValueError(f"malformed URL: {exc}") from None
        if parts.scheme not in ("http", "https"):
            raise ValueError("must be an http:// or https:// URL")
        if not parts.hostname:
            raise ValueError("has no host")
        if parts.username or parts.password:
            raise ValueError("must not contain credentials")
        return url

    @field_validator("secret")
    @classmethod
    def _secret(cls, secret: SecretStr) -> SecretStr:
        raw = secret.get_secret_value()
        if not raw.startswith("whsec_"):
            raise ValueError("must start with 'whsec_' (Standard Webhooks secret)")
        try:
            key = base64.b64decode(raw.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("is not valid base64 after 'whsec_'") from None
        if not 24 <= len(key) <= 64:
            raise ValueError(f"must decode to 24-64 bytes, not {len(key)}")
        return secret


class EmailChannel(_Model):
    """Send a plain-text email through the operator's SMTP relay."""

    type: Literal["email"]
    to: list[str] = Field(min_length=1, max_length=20)

    @field_validator("to")
    @classmethod
    def _to(cls, to: list[str]) -> list[str]:
        for address in to:
            if not _ADDRESS.fullmatch(address):
                raise ValueError(f"{address!r} is not an email address")
        return to


class AppriseChannel(_Model):
    """Notify through an Apprise URL; only ``APPRISE_SCHEMAS`` are accepted."""

    type: Literal["apprise"]
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if len(url) > MAX_URL:
            raise ValueError(f"longer than {MAX_URL} characters")
        schema, sep, rest = url.partition("://")
        if not sep or not rest:
            raise ValueError("must look like schema://…")
        if schema.lower() not in APPRISE_SCHEMAS:
            allowed = ", ".join(sorted(APPRISE_SCHEMAS))
            raise ValueError(f"schema {schema!r} is not allowed (allowed: {allowed})")
        return url


Channel = Annotated[WebhookChannel | EmailChannel | AppriseChannel, Field(discriminator="type")]


class UpdatePolicy(_Model):
    """When a story already alerted has grown enough to send an update (None: never)."""

    every_articles: int | None = Field(default=None, ge=1)
    every_sources: int | None = Field(default=None, ge=1)


class Subscription(_Model):
    id: str
    query: str
    channel: Channel
    mode: Literal["realtime", "digest"] = "realtime"
    digest_minutes: int | None = Field(default=None, ge=1, le=1440, validate_default=True)
    updates: UpdatePolicy = UpdatePolicy()
    paused: bool = False
    _compiled: Query = PrivateAttr()

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _SLUG.fullmatch(value):
            raise ValueError("must be a slug: [a-z0-9][a-z0-9_-]{0,63}")
        return value

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        parse(value)  # QueryError is a ValueError: pydantic reports it under "query"
        return value

    @field_validator("digest_minutes")
    @classmethod
    def _digest(cls, value: int | None, info: ValidationInfo) -> int | None:
        mode = info.data.get("mode")
        if mode == "digest" and value is None:
            raise ValueError("required when mode is digest")
        if mode == "realtime" and value is not None:
            raise ValueError("only allowed when mode is digest")
        return value

    def model_post_init(self, context: Any, /) -> None:
        self._compiled = parse(self.query)

    @property
    def compiled(self) -> Query:
        """The parsed query (parsed once, at construction)."""
        return self._compiled


class SubscriptionError(ValueError):
    """A subscription (or the file) is invalid; the message names id, field and problem."""


def _problems(label: str, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        if len(loc) > 1 and loc[0] == "channel" and loc[1] in ("webhook", "email", "apprise"):
            del loc[1]  # the discriminator tag pydantic adds
        where = ".".join(str(p) for p in loc)
        msg = err["msg"].removeprefix("Value error, ")
        field = f"field {where!r}" if where else "subscription"
        out.append(f"subscription {label}: {field}: {msg}")
    return out


def validate(raw: Any, position: int = 0) -> Subscription:
    """One subscription from its mapping, or ``SubscriptionError``."""
    label = repr(raw["id"]) if isinstance(raw, dict) and isinstance(raw.get("id"), str) else ""
    label = label or f"#{position + 1}"
    if not isinstance(raw, dict):
        raise SubscriptionError(f"subscription {label}: expected a mapping")
    try:
        return Subscription.model_validate(raw)
    except ValidationError as exc:
        raise SubscriptionError("\n".join(_problems(label, exc))) from None


def load_file(path: Path) -> list[Subscription]:
    """Every subscription in the YAML file, or ``SubscriptionError`` listing all problems."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SubscriptionError(f"{path}: cannot read: {exc}") from None
    if doc is None:
        return []
    if not isinstance(doc, dict) or set(doc) - {"subscriptions"}:
        raise SubscriptionError(f"{path}: expected a mapping with one key, 'subscriptions'")
    items = doc.get("subscriptions") or []
    if not isinstance(items, list):
        raise SubscriptionError(f"{path}: 'subscriptions' must be a list")
    subs: list[Subscription] = []
    problems: list[str] = []
    first: dict[str, int] = {}
    for n, raw in enumerate(items):
        try:
            sub = validate(raw, n)
        except SubscriptionError as exc:
            problems.append(str(exc))
            continue
        if sub.id in first:
            problems.append(
                f"subscription {sub.id!r}: field 'id': duplicate "
                f"(entries #{first[sub.id] + 1} and #{n + 1})"
            )
            continue
        first[sub.id] = n
        subs.append(sub)
    if problems:
        raise SubscriptionError(f"{path}:\n" + "\n".join(problems))
    return subs


# --- the index ----------------------------------------------------------------------------

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


class SubscriptionIndex:
    """All subscriptions, filed by anchor term; one ``PhraseIndex`` over all keywords."""

    def __init__(self, subs: Iterable[Subscription] = ()) -> None:
        self._subs: dict[str, Subscription] = {}
        # id -> the query's evaluator, for unpaused subscriptions (hot path: no pydantic)
        self._evaluate: dict[str, Callable[[MatchContext], bool]] = {}
        self._filed: dict[str, frozenset[AnchorTerm] | None] = {}
        self._by_entity: dict[str, set[str]] = {}
        self._by_keyword: dict[str, set[str]] = {}
        self._always: set[str] = set()
        self._keyword_refs: Counter[str] = Counter()
        self._phrases: PhraseIndex | None = None
        self._phrases_stale = False
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
        self._evaluate[sub.id] = evaluator(sub.compiled.root)
        terms = anchors(sub.compiled.root)
        self._filed[sub.id] = terms
        if terms is None:
            self._always.add(sub.id)
            return
        for kind, name in terms:
            table = self._by_entity if kind == "entity" else self._by_keyword
            table.setdefault(name, set()).add(sub.id)

    def remove(self, sub_id: str) -> bool:
        sub = self._subs.pop(sub_id, None)
        if sub is None:
            return False
        self._evaluate.pop(sub_id, None)
        for key in sub.compiled.keywords:
            self._keyword_refs[key] -= 1
            if self._keyword_refs[key] == 0:
                del self._keyword_refs[key]
                self._phrases_stale = True
        if sub_id not in self._filed:
            return True  # paused: never filed
        terms = self._filed.pop(sub_id)
        if terms is None:
            self._always.discard(sub_id)
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
            found = frozenset(hit.key for hit in phrases.find(text))
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

    def match(self, update: StoryUpdate) -> list[Subscription]:
        """The unpaused subscriptions whose query matches ``update``, sorted by id."""
        ctx = self.context(update)
        evaluate = self._evaluate
        ids = sorted(i for i in self.candidates(ctx) if evaluate[i](ctx))
        subs = self._subs
        return [subs[i] for i in ids]
