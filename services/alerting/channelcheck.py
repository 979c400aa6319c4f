"""Channel URLs refused when a subscription is created or changed (the API) and when the
subscription file is loaded: the same guard as delivery (``shared/urlsafety.py``,
resolving the host; loopback, private, link-local, CGNAT, metadata and non-http(s)
refused unless in ``WIREWATCH_ALLOW_HOSTS``), said as the field and the rule:
``field 'channel.url': 169.254.169.254 is a cloud metadata address``.

Delivery keeps its own check before every request (DNS can change in between). A host
that does not resolve now is accepted here; delivery retries the look-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.alerting.subscriptions import AppriseChannel, Subscription, WebhookChannel
from shared.urlsafety import destination_problem, destination_problem_sync

__all__ = ["ChannelProblem", "channel_problem", "file_problems"]

FIELD = "channel.url"


@dataclass(frozen=True)
class ChannelProblem:
    field: str
    message: str


def _destinations(channel: object) -> list[str] | str:
    """The http(s) URLs a channel will send to (for Apprise: the hosts it contacts), or
    why there are none."""
    if isinstance(channel, WebhookChannel):
        return [channel.url]
    if isinstance(channel, AppriseChannel):
        import apprise  # noqa: PLC0415 - heavy import, only for Apprise channels

        from services.alerting.channels import apprise_targets  # noqa: PLC0415 - same

        schema = channel.url.partition("://")[0].lower()
        plugin = apprise.Apprise.instantiate(
            channel.url, asset=apprise.AppriseAsset(storage_mode="memory")
        )
        if plugin is None:
            return "Apprise cannot parse this URL"
        return apprise_targets(plugin, schema) or f"no target host known for {schema!r}"
    return []  # email: the operator's relay


async def channel_problem(channel: object, allow: Sequence[str]) -> ChannelProblem | None:
    """Why ``channel`` may not be used, or ``None`` (resolves its hosts now)."""
    urls = _destinations(channel)
    if isinstance(urls, str):
        return ChannelProblem(FIELD, urls)
    for url in urls:
        problem = await destination_problem(url, allow)
        if problem:
            return ChannelProblem(FIELD, problem)
    return None


def file_problems(subs: Iterable[Subscription], allow: Sequence[str]) -> list[str]:
    """One line per file subscription whose channel is refused (blocking look-ups)."""
    out = []
    for sub in subs:
        urls = _destinations(sub.channel)
        problems = [urls] if isinstance(urls, str) else []
        problems += [p for u in ([] if isinstance(urls, str) else urls)
                     if (p := destination_problem_sync(u, allow))]  # fmt: skip
        if problems:
            out.append(f"subscription {sub.id!r}: field {FIELD!r}: {problems[0]}")
    return out
