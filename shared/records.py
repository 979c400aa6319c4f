"""The wire schema: every record that travels on Kafka, in one place.

Records are pydantic models serialised as JSON. Each top-level record carries a schema
version ``v``; a consumer that meets a value it cannot decode (bad JSON, unknown
version, missing field) sends it to the dead-letter topic with the reason instead of
crashing or silently skipping it.

Flow: ``Article`` (ingest) → ``TaggedArticle`` (tagger) → ``StoryUpdate`` (stories)
→ ``Alert`` (alerting). ``DeadLetter`` is what any consumer writes when it gives up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SCHEMA_VERSION: Literal[1] = 1

__all__ = [
    "SCHEMA_VERSION",
    "Alert",
    "Article",
    "DeadLetter",
    "Digest",
    "Held",
    "Mention",
    "Record",
    "RetryEnvelope",
    "StorySummary",
    "StoryUpdate",
    "SubscriptionChange",
    "TaggedArticle",
    "Tick",
    "ValidationError",
]


class Part(BaseModel):
    """A value nested inside a record (no version of its own)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Record(Part):
    """A top-level Kafka value with a schema version."""

    v: Literal[1] = SCHEMA_VERSION

    def dumps(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def loads(cls, raw: bytes | str) -> Self:
        """Decode a Kafka value; raises ``pydantic.ValidationError`` with the reason."""
        return cls.model_validate_json(raw)


class Article(Record):
    """A normalised news item, as ingest publishes it (key: ``feed``, so one feed's items
    stay in order)."""

    id: str
    url: str
    title: str
    text: str
    lang: str
    published: datetime
    fetched: datetime
    source: str
    feed: str


class Mention(Part):
    """One mention of a watched entity: ``article.<field>[start:end] == text``."""

    entity: str
    alias: str
    text: str
    field: Literal["title", "text"]
    start: int
    end: int
    snippet: str


class TaggedArticle(Record):
    """An article with every mention the tagger found (key: article language)."""

    article: Article
    mentions: tuple[Mention, ...]
    watchlist_version: str

    @property
    def entities(self) -> frozenset[str]:
        return frozenset(m.entity for m in self.mentions)


class StorySummary(Part):
    """What a story looks like after an update."""

    id: str
    lang: str
    headline: str
    revision: int
    article_count: int
    source_count: int
    first_seen: datetime
    last_seen: datetime
    entities: tuple[str, ...]
    terms: tuple[str, ...]
    members: tuple[str, ...]
    links: tuple[str, ...] = ()


class StoryUpdate(Record):
    """A story gained an article (key: story id). Carries the article that caused it."""

    story: StorySummary
    article: TaggedArticle
    is_new: bool


class Held(Part):
    """One part of a subscription's query that held for the article an alert is about:
    why it fired. ``term`` is the part as the query's canonical form writes it
    (``@elon_musk``, ``"sam altman"``, ``lang:de``, ``size>=3``, ``NOT recall``).

    - ``entity``: ``count`` mentions; ``field`` and ``snippet`` of the first one;
    - ``keyword``: ``count`` hits; ``field``, the exact ``text`` and ``snippet`` of the first;
    - ``lang``, ``source``, ``size``: ``seen`` is the article's language or source, or the
      story's size;
    - ``not``: the negated part was absent (``seen`` says what was checked).
    """

    term: str
    kind: Literal["entity", "keyword", "lang", "source", "size", "not"]
    seen: str = ""
    count: int = 0
    field: Literal["title", "text"] | None = None
    text: str = ""
    snippet: str = ""


class Alert(Record):
    """One notification for one subscription (key: subscription id).

    ``id`` is the idempotency key: subscription × story × revision. A re-send after a
    crash carries the same id, so the receiver can drop the repeat.
    """

    id: str
    subscription: str
    kind: Literal["new", "update"]
    story_id: str
    story_headline: str
    story_revision: int
    story_size: int
    article_id: str
    article_title: str
    article_url: str
    published: datetime
    fetched: datetime
    entities: tuple[str, ...]
    mentions: tuple[Mention, ...]
    created: datetime
    held: tuple[Held, ...] = ()  # which parts of the query held (empty in older records)


class DeadLetter(Record):
    """A value a consumer could not process, with the reason (key: source topic)."""

    topic: str
    partition: int
    offset: int
    reason: str
    value: str
    failed_at: datetime


class SubscriptionChange(Record):
    """A subscription created or changed through the API, on the compacted subscriptions
    topic (key: subscription id; a deletion is a tombstone, a null value). ``subscription``
    is the mapping ``services.alerting.subscriptions.validate`` accepts, secrets included:
    the topic is as sensitive as the subscription file."""

    id: str
    subscription: dict[str, Any]
    changed: datetime


class Digest(Record):
    """Every alert one digest subscription collected in one window, sent as one message
    (key: subscription id). ``id`` (subscription × window start) is its idempotency key."""

    id: str
    kind: Literal["digest"] = "digest"
    subscription: str
    window_start: datetime
    window_end: datetime
    alerts: tuple[Alert, ...]
    created: datetime


class RetryEnvelope(Record):
    """An alert (or digest) waiting for its next delivery attempt, on the retry topic
    (key: subscription id). ``attempt`` is the number of the attempt still to make
    (1-based); it is not made before ``not_before``."""

    alert: Annotated[Alert | Digest, Field(discriminator="kind")]
    attempt: int = Field(ge=1)
    not_before: datetime
    last_error: str = ""


class Tick(Record):
    """A clock tick, sent to every partition of the tick topic so that scheduled work
    (due retries, digests) runs inside stream processing (key: none)."""

    at: datetime
