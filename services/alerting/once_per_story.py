"""Once-per-story alerting: whether to alert, the alert's idempotency id, and its rendering.

A subscription gets one ``new`` alert for a story (the first matching article), then
``update`` alerts only when the story has grown past the subscription's thresholds
since the last alert sent for it — never one alert per syndicated copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from services.alerting.explain import describe, explain
from services.alerting.subscriptions import Subscription
from shared.records import Alert, Digest, Mention, StorySummary, StoryUpdate

__all__ = [
    "Sent",
    "alert_id",
    "build_alert",
    "count_alert",
    "decide",
    "react",
    "remember",
    "render",
    "render_digest",
    "render_digest_text",
    "render_text",
    "sent_key",
]

Kind = Literal["new", "update"]
MENTIONS_PER_ENTITY = 2
MAX_MENTIONS = 10
SUBJECT_CHARS = 150
REMEMBERED = 16  # alerted revisions kept per (subscription, story), for replays


@dataclass(frozen=True)
class Sent:
    """What the story looked like when the last alert for (subscription, story) was raised,
    and the revisions alerted lately with their kind.

    The table holding this is written before the alert is on the wire and before the
    update's offset is committed, so after a crash the same updates come again while the
    table already remembers them: a replayed revision that was alerted must be alerted
    again (same id, the receiver drops the repeat), or that alert is lost.
    """

    revision: int
    article_count: int
    source_count: int
    alerted: tuple[tuple[int, Kind], ...] = ()

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Sent:
        alerted = tuple((int(r), k) for r, k in value.get("alerted", ()))
        return cls(value["revision"], value["article_count"], value["source_count"], alerted)

    def to_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "article_count": self.article_count,
            "source_count": self.source_count,
            "alerted": [list(pair) for pair in self.alerted],
        }


def decide(sub: Subscription, story: StorySummary, last: Sent | None) -> Kind | None:
    """``new`` for the first match of a story, ``update`` once it grew past the thresholds;
    for a revision seen before (a replay), the same kind again if it was alerted."""
    if last is None:
        return "new"
    if story.revision <= last.revision:
        return dict(last.alerted).get(story.revision)  # replayed or out of order
    every_articles, every_sources = sub.updates.every_articles, sub.updates.every_sources
    if every_articles is not None and story.article_count - last.article_count >= every_articles:
        return "update"
    if every_sources is not None and story.source_count - last.source_count >= every_sources:
        return "update"
    return None


def remember(last: Sent | None, story: StorySummary, kind: Kind) -> Sent:
    """The state after alerting ``story``; a replayed revision leaves it as it was."""
    if last is not None and story.revision <= last.revision:
        return last
    alerted = (*(last.alerted if last else ()), (story.revision, kind))[-REMEMBERED:]
    return Sent(story.revision, story.article_count, story.source_count, alerted)


def sent_key(sub_id: str, story_id: str) -> str:
    """Where ``Sent`` for (subscription, story) is kept (the ``alerts-sent`` table's key)."""
    return f"{sub_id}|{story_id}"


def react(
    subs: Iterable[Subscription],
    update: StoryUpdate,
    sent: Callable[[str], dict[str, Any] | None],
    now: datetime,
    build: Callable[[Subscription, StoryUpdate, Kind, datetime], Alert] | None = None,
) -> tuple[list[Alert], dict[str, dict[str, Any]]]:
    """The matching step for one update, given the subscriptions it matched: the alerts
    to raise, and the ``Sent`` state to write (by ``sent_key``) before they are sent.

    ``sent`` reads the stored state (the worker's table, the backtest's dict). The
    alerting worker and the backtest both call this, so they cannot drift apart.
    ``build`` makes each alert (default ``build_alert``; a preview that lists only the
    first alerts counts the others with a lighter one)."""
    build = build or build_alert
    raised: list[Alert] = []
    writes: dict[str, dict[str, Any]] = {}
    for sub in subs:
        key = sent_key(sub.id, update.story.id)
        stored = sent(key)
        last = Sent.from_dict(stored) if stored else None
        kind = decide(sub, update.story, last)
        if kind is None:
            continue
        raised.append(build(sub, update, kind, now))
        after = remember(last, update.story, kind)
        if after is not last:
            writes[key] = after.to_dict()
    return raised, writes


def alert_id(sub_id: str, story_id: str, revision: int) -> str:
    """Stable idempotency key for subscription × story × revision.

    ``sub_id`` is a slug (no ``:``) and ``revision`` is digits, so the hashed string is
    unambiguous whatever ``story_id`` contains.
    """
    digest = hashlib.sha256(f"{sub_id}:{revision}:{story_id}".encode()).hexdigest()
    return f"alrt_{digest[:32]}"


def _fields(sub: Subscription, update: StoryUpdate, kind: Kind, now: datetime) -> dict[str, Any]:
    """What every alert of ``sub`` about ``update`` says, its why aside."""
    story, article = update.story, update.article.article
    return {
        "id": alert_id(sub.id, story.id, story.revision),
        "subscription": sub.id,
        "kind": kind,
        "story_id": story.id,
        "story_headline": story.headline,
        "story_revision": story.revision,
        "story_size": story.article_count,
        "article_id": article.id,
        "article_title": article.title,
        "article_url": article.url,
        "published": article.published,
        "fetched": article.fetched,
        "created": now,
    }


def count_alert(sub: Subscription, update: StoryUpdate, kind: Kind, now: datetime) -> Alert:
    """An alert with its id, kind, story and article, without the why (not validated):
    for counting and summaries, never for sending."""
    return Alert.model_construct(
        **_fields(sub, update, kind, now), entities=(), mentions=(), held=()
    )


def _why(sub: Subscription, update: StoryUpdate) -> tuple[tuple[str, ...], tuple[Mention, ...]]:
    """Every watched entity the article mentions, those the query names first, each with
    its first mentions (text, offsets, snippet): what matched and what else is there."""
    present = update.article.entities
    named = sub.compiled.entities & present
    entities = (*sorted(named), *sorted(present - named))
    mentions: list[Mention] = []
    for entity in entities:
        mine = [m for m in update.article.mentions if m.entity == entity]
        mentions.extend(mine[:MENTIONS_PER_ENTITY])
    return entities, tuple(mentions[:MAX_MENTIONS])


def build_alert(sub: Subscription, update: StoryUpdate, kind: Kind, now: datetime) -> Alert:
    entities, mentions = _why(sub, update)
    return Alert(
        **_fields(sub, update, kind, now),
        held=explain(sub.compiled, update).held,
        entities=entities,
        mentions=mentions,
    )


def render(alert: Alert | Digest) -> dict[str, Any]:
    """The JSON body a webhook receives (Standard Webhooks shape: type, timestamp, data)."""
    if isinstance(alert, Digest):
        return render_digest(alert)
    by_entity: dict[str, list[dict[str, Any]]] = {e: [] for e in alert.entities}
    for m in alert.mentions:
        by_entity.setdefault(m.entity, []).append(
            {
                "alias": m.alias,
                "text": m.text,
                "field": m.field,
                "start": m.start,
                "end": m.end,
                "snippet": m.snippet,
            }
        )
    return {
        "type": f"alert.{alert.kind}",
        "timestamp": alert.created.isoformat(),
        "data": {
            "id": alert.id,
            "kind": alert.kind,
            "subscription": alert.subscription,
            "story": {
                "id": alert.story_id,
                "headline": alert.story_headline,
                "revision": alert.story_revision,
                "size": alert.story_size,
            },
            "article": {
                "id": alert.article_id,
                "title": alert.article_title,
                "url": alert.article_url,
                "published": alert.published.isoformat(),
            },
            "matched": [
                {"entity": entity, "mentions": found} for entity, found in by_entity.items()
            ],
            "held": [h.model_dump(exclude_defaults=True) for h in alert.held],
        },
    }


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def render_text(alert: Alert | Digest) -> tuple[str, str]:
    """(subject, plain-text body) for email and Apprise. The subject is one line."""
    if isinstance(alert, Digest):
        return render_digest_text(alert)
    headline = _one_line(alert.story_headline, SUBJECT_CHARS)
    if alert.kind == "new":
        subject = f"[wirewatch] New story: {headline}"
        opening = f'New story for subscription "{alert.subscription}"'
    else:
        subject = f"[wirewatch] Update ({alert.story_size} articles): {headline}"
        opening = f'Story update for subscription "{alert.subscription}"'
    lines = [
        opening,
        "",
        _one_line(alert.story_headline, 500),
        f"{alert.story_size} article(s) so far, revision {alert.story_revision}",
        "",
        f"Latest article: {_one_line(alert.article_title, 500)}",
        alert.article_url,
        f"Published: {alert.published.isoformat()}",
    ]
    if alert.held:
        lines += ["", "Why it matched:"]
        lines += [f"- {_one_line(describe(h), 400)}" for h in alert.held]
        named = {h.term.removeprefix("@") for h in alert.held if h.kind == "entity"}
        others = [e for e in alert.entities if e not in named]
        if others:
            lines.append(f"Also mentioned: {', '.join(others)}")
    elif alert.entities:
        lines += ["", "Why it matched:"]
        for entity in alert.entities:
            snippets = [m.snippet for m in alert.mentions if m.entity == entity]
            shown = f': "{_one_line(snippets[0], 300)}"' if snippets else ""
            lines.append(f"- {entity}{shown}")
    lines += ["", f"Alert id: {alert.id}"]
    return subject, "\n".join(lines) + "\n"


def render_digest(digest: Digest) -> dict[str, Any]:
    """A digest's webhook body: each story's latest alert, as ``render`` gives it."""
    return {
        "type": "alert.digest",
        "timestamp": digest.created.isoformat(),
        "data": {
            "id": digest.id,
            "kind": "digest",
            "subscription": digest.subscription,
            "window": {
                "start": digest.window_start.isoformat(),
                "end": digest.window_end.isoformat(),
            },
            "stories": [render(alert)["data"] for alert in digest.alerts],
        },
    }


def render_digest_text(digest: Digest) -> tuple[str, str]:
    count = len(digest.alerts)
    stories = "story" if count == 1 else "stories"
    subject = f"[wirewatch] Digest: {count} {stories} for {digest.subscription}"
    lines = [
        f'Digest for subscription "{digest.subscription}", '
        f"{digest.window_start.isoformat()} to {digest.window_end.isoformat()}",
        "",
    ]
    for alert in digest.alerts:
        label = "New" if alert.kind == "new" else f"Update ({alert.story_size} articles)"
        lines += [
            f"- {label}: {_one_line(alert.story_headline, 300)}",
            f"  {_one_line(alert.article_title, 300)}",
            f"  {alert.article_url}",
        ]
        if alert.held:
            lines.append(f"  Why: {'; '.join(_one_line(describe(h), 200) for h in alert.held)}")
        if alert.entities:
            lines.append(f"  Entities: {', '.join(alert.entities)}")
    lines += ["", f"Digest id: {digest.id}"]
    return _one_line(subject, SUBJECT_CHARS + 30), "\n".join(lines) + "\n"
