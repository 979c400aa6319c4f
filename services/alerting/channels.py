"""The senders: one alert out through its subscription's channel, once. No retries here
(``delivery`` retries on ``Outcome.status == "retry"``).

- **webhook**: POST ``render(alert)`` as JSON with Standard Webhooks headers
  (``webhook-id`` = alert id, the receiver's idempotency key). The URL's host is
  resolved and checked with ``shared.urlsafety`` first; redirects are never followed;
  at most 64 KB of the reply is read; the whole attempt is bounded by ``timeout``.
  The client is aiohttp, not httpx: at one request per alert httpx cost ~1.2 ms of CPU
  per request here, aiohttp ~0.2 ms (client and loopback server together).
- **email**: plain text (``render_text``) through the operator's SMTP relay
  (``SmtpSettings``) with aiosmtplib; 4xx replies retry, 5xx are final.
- **apprise**: Apprise sends through ``requests``, which the webhook guard does not see.
  So the schema must be in ``APPRISE_SCHEMAS``, the host Apprise will contact is worked
  out per schema and checked with the same guard, redirects are switched off, socket
  timeouts set, and the blocking call runs in a thread under ``timeout``.

Residual risk: the guard resolves the host, the client resolves it again (DNS
rebinding between the two is not prevented).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
import aiosmtplib

from services.alerting import signing
from services.alerting.once_per_story import render, render_text
from services.alerting.retry import classify
from services.alerting.subscriptions import (
    APPRISE_SCHEMAS,
    AppriseChannel,
    EmailChannel,
    Subscription,
    WebhookChannel,
)
from shared import backoff
from shared.records import Alert, Digest
from shared.urlsafety import check_url, resolve

__all__ = ["Outcome", "SmtpSettings", "apprise_targets", "send"]

USER_AGENT = "wirewatch-alerting/0.1 (+https://www.standardwebhooks.com/)"

# Apprise schemas whose requests go to the host named in the URL.
_SELF_HOSTED = frozenset({"json", "jsons", "xml", "xmls", "form", "forms", "gotify", "gotifys"})
# Apprise schemas that talk to a fixed public service (checked all the same).
_FIXED_URL_ATTRS = ("notify_url", "webhook_url", "webhook_gov_url", "api_url")


Status = Literal["ok", "retry", "final"]


@dataclass(frozen=True)
class Outcome:
    status: Status
    detail: str
    retry_after: float | None = None


@dataclass(frozen=True)
class SmtpSettings:
    """The operator's SMTP relay. ``starttls=None``: upgrade if the server offers it."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool | None = None
    use_tls: bool = False


async def _guard(url: str, allow_hosts: Sequence[str]) -> Outcome | None:
    """None if ``url`` may be requested; else why not (DNS failure: retry; unsafe: final)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").strip("[]")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        return Outcome("final", f"refused: malformed URL: {exc}")
    addresses = await resolve(host, port) if host else []
    if host and not addresses:
        return Outcome("retry", f"DNS lookup for {host} failed")
    problem = check_url(url, addresses, allow_hosts)
    return Outcome("final", f"refused: {problem}") if problem else None


async def send(
    alert: Alert | Digest,
    sub: Subscription,
    *,
    http: aiohttp.ClientSession,
    allow_hosts: Sequence[str],
    smtp: SmtpSettings | None,
    timeout: float,
) -> Outcome:
    """Send ``alert`` once through ``sub.channel``; never raises for delivery failures."""
    channel = sub.channel
    try:
        async with asyncio.timeout(timeout):
            if isinstance(channel, WebhookChannel):
                return await _webhook(alert, channel, http, allow_hosts)
            if isinstance(channel, EmailChannel):
                return await _email(alert, channel, smtp, timeout)
            return await _apprise(alert, channel, allow_hosts, timeout)
    except TimeoutError:
        return Outcome("retry", f"timed out after {timeout:g}s")


# --- webhook -------------------------------------------------------------------------------

REPLY_BYTES = 64 * 1024  # a reply body read to its end, so the connection is reused


def session() -> aiohttp.ClientSession:
    """The webhook client: no cookies, no proxies from the environment, no redirects."""
    return aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        auto_decompress=False,
        connector=aiohttp.TCPConnector(limit=64, limit_per_host=16),
    )


async def _webhook(
    alert: Alert | Digest,
    channel: WebhookChannel,
    http: aiohttp.ClientSession,
    allow_hosts: Sequence[str],
) -> Outcome:
    refused = await _guard(channel.url, allow_hosts)
    if refused is not None:
        return refused
    body = json.dumps(render(alert), ensure_ascii=False, separators=(",", ":")).encode()
    secret = channel.secret.get_secret_value()
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        **signing.headers(secret, alert.id, int(time.time()), body),
    }
    try:
        async with http.post(
            channel.url, data=body, headers=headers, allow_redirects=False
        ) as response:
            # a small reply is read to its end, so the connection serves the next alert;
            # a longer one is cut off (and its connection closed): no streaming to us
            received = 0
            while received <= REPLY_BYTES and (chunk := await response.content.readany()):
                received += len(chunk)
            if received > REPLY_BYTES:
                response.close()
    except (aiohttp.ClientError, ValueError) as exc:
        return Outcome("retry", f"network error: {type(exc).__name__}: {exc}")
    code = response.status
    status = classify(code)
    detail = f"HTTP {code}"
    if 300 <= code < 400:
        detail += " (redirects are not followed; fix the webhook URL)"
    wait = backoff.retry_after(response.headers.get("retry-after"), time.time())
    return Outcome(status, detail, wait if status == "retry" else None)


# --- email ---------------------------------------------------------------------------------


def email_message(alert: Alert | Digest, to: Sequence[str], sender: str) -> EmailMessage:
    subject, text = render_text(alert)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Message-ID"] = f"<{alert.id}@wirewatch>"
    msg["X-Wirewatch-Alert-Id"] = alert.id
    msg.set_content(text)
    return msg


async def _email(
    alert: Alert | Digest, channel: EmailChannel, smtp: SmtpSettings | None, timeout: float
) -> Outcome:
    if smtp is None:
        return Outcome("final", "email channel: no SMTP relay configured")
    msg = email_message(alert, channel.to, smtp.sender)
    try:
        errors, reply = await aiosmtplib.send(
            msg,
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.username,
            password=smtp.password,
            start_tls=smtp.starttls,
            use_tls=smtp.use_tls,
            timeout=timeout,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        status: Status = "retry" if any(400 <= c < 500 for c in codes) else "final"
        return Outcome(status, f"SMTP refused all recipients: {codes}")
    except aiosmtplib.SMTPResponseException as exc:
        code: Status = "retry" if 400 <= exc.code < 500 else "final"
        return Outcome(code, f"SMTP {exc.code}: {exc.message}")
    except (aiosmtplib.SMTPException, OSError) as exc:
        return Outcome("retry", f"SMTP error: {type(exc).__name__}: {exc}")
    refused = f"; refused {sorted(errors)}" if errors else ""
    return Outcome("ok", f"SMTP {reply}{refused}")


# --- apprise -------------------------------------------------------------------------------


def apprise_targets(plugin: Any, schema: str) -> list[str]:
    """The base URLs (``http(s)://host:port/``) an Apprise plugin will send requests to."""
    if schema in _SELF_HOSTED or (schema in ("ntfy", "ntfys") and plugin.mode == "private"):
        scheme = "https" if plugin.secure else "http"
        host = str(plugin.host or "").strip("[]")
        host = f"[{host}]" if ":" in host else host
        port = f":{plugin.port}" if plugin.port else ""
        return [f"{scheme}://{host}{port}/"]
    if schema in ("ntfy", "ntfys"):
        return [str(plugin.cloud_notify_url)]
    found = {getattr(plugin, attr, None) for attr in _FIXED_URL_ATTRS}
    return sorted(u for u in found if isinstance(u, str) and u.startswith("https://"))


class _ThreadLog(logging.Handler):
    """Collects the apprise log lines of one thread (concurrent sends do not mix)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(record.getMessage())


def _notify(plugin: Any, title: str, body: str) -> tuple[bool, str]:
    logger = logging.getLogger("apprise")
    handler = _ThreadLog()
    logger.addHandler(handler)
    try:
        ok = bool(plugin.notify(body=body, title=title))
    finally:
        logger.removeHandler(handler)
    return ok, handler.lines[-1] if handler.lines else ""


async def _apprise(
    alert: Alert | Digest, channel: AppriseChannel, allow_hosts: Sequence[str], timeout: float
) -> Outcome:
    import apprise  # noqa: PLC0415 - heavy import (hundreds of plugins), only when used

    schema = channel.url.partition("://")[0].lower()
    if schema not in APPRISE_SCHEMAS:
        return Outcome("final", f"refused: apprise schema {schema!r} is not allowed")
    asset = apprise.AppriseAsset(storage_mode="memory")
    plugin = apprise.Apprise.instantiate(channel.url, asset=asset)
    if plugin is None:
        return Outcome("final", "apprise could not parse the URL")
    plugin.redirects = False
    plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
    targets = apprise_targets(plugin, schema)
    if not targets:
        return Outcome("final", f"refused: no target host known for apprise schema {schema!r}")
    for target in targets:
        refused = await _guard(target, allow_hosts)
        if refused is not None:
            return refused
    subject, text = render_text(alert)
    ok, last_log = await asyncio.to_thread(_notify, plugin, subject, text)
    if ok:
        return Outcome("ok", f"apprise {schema} sent")
    return Outcome("retry", f"apprise {schema} failed: {last_log or 'no detail'}")
