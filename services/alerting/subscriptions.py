"""Subscriptions: the model, the file format and its validation.

File format (YAML)::

    subscriptions:
      - id: musk-and-altman            # slug [a-z0-9][a-z0-9_-]{0,63}, unique
        query: "@elon_musk AND @sam_altman"
        channel: {type: webhook, url: "https://example.org/hook", secret: "whsec_…"}
        mode: realtime                 # or digest (then digest_minutes: 1..1440)
        updates: {every_articles: 5, every_sources: 3}   # omitted/null: no updates
        paused: false

Matching updates against many subscriptions is ``services.alerting.index``.
"""

from __future__ import annotations

import base64
import binascii
import re
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

from services.alerting.query import Query, parse

__all__ = [
    "APPRISE_SCHEMAS",
    "AppriseChannel",
    "Channel",
    "EmailChannel",
    "Subscription",
    "SubscriptionError",
    "UpdatePolicy",
    "WebhookChannel",
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
