"""Channel senders against real receivers on 127.0.0.1 started here: an aiohttp webhook
receiver that verifies Standard Webhooks signatures with its own code, an aiosmtpd SMTP
server, and an aiohttp endpoint behind an Apprise ``json://`` URL. No mocks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.alerting.channels import Outcome, SmtpSettings, send, session
from services.alerting.once_per_story import build_alert
from services.alerting.subscriptions import Subscription, validate
from shared.records import Alert
from tests.support import records

pytestmark = pytest.mark.integration

SECRET = "whsec_" + base64.b64encode(b"integration-test-secret-32-bytes").decode()
T0 = datetime(2025, 11, 25, 9, 0, tzinfo=UTC)
LOOPBACK = ["127.0.0.1"]


def make_alert() -> Alert:
    mention = records.mention(
        "elon_musk", alias="Musk", text="Musk", field="title", snippet="Musk sues OpenAI"
    )
    article = records.article(
        "art_1", url="https://news.example/a1", title="Musk sues Altman", text="…", published=T0
    )
    story = records.story(
        "st_1",
        headline="Musk sues Altman",
        entities=("elon_musk", "sam_altman"),
        members=("art_1",),
    )
    update = records.story_update(story, records.tagged(article, [mention], watchlist_version="w"))
    sub = validate(
        {
            "id": "musk",
            "query": "@elon_musk",
            "channel": {"type": "email", "to": ["desk@news.example"]},
        }
    )
    return build_alert(sub, update, "new", T0)


def subscription(channel: dict[str, Any]) -> Subscription:
    return validate({"id": "musk", "query": "@elon_musk", "channel": channel})


def webhook(url: str) -> Subscription:
    return subscription({"type": "webhook", "url": url, "secret": SECRET})


def verify_standard_webhook(secret: str, headers: Any, body: bytes) -> bool:
    """Written from the spec, independently of services.alerting.signing."""
    key = base64.b64decode(secret[len("whsec_") :])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    fresh = abs(int(datetime.now(UTC).timestamp()) - int(headers["webhook-timestamp"])) <= 300
    sigs = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if s.startswith("v1,")]
    return fresh and any(hmac.compare_digest(s, expected) for s in sigs)


@dataclass
class Receiver:
    base: str
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    verified: list[bool] = field(default_factory=list)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def http_server() -> AsyncIterator[Callable[[Handler], Awaitable[Receiver]]]:
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> Receiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return Receiver(f"http://127.0.0.1:{port}")

    yield start
    for runner in runners:
        await runner.cleanup()


def answer_200(hits: list[str]) -> Handler:
    """A handler that records each request's path in ``hits`` and answers 200."""

    async def handle(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(status=200)

    return handle


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with session() as c:
        yield c


async def send_webhook(
    client: aiohttp.ClientSession, url: str, *, allow: list[str] = LOOPBACK, timeout: float = 5.0
) -> Outcome:
    return await send(
        make_alert(), webhook(url), http=client, allow_hosts=allow, smtp=None, timeout=timeout
    )


# --- webhook -------------------------------------------------------------------------------


async def test_webhook_delivered_and_signature_verifies(http_server: Any, client: Any) -> None:
    receiver: Receiver

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        receiver.requests.append((dict(request.headers), body))
        receiver.verified.append(verify_standard_webhook(SECRET, request.headers, body))
        return web.Response(status=204)

    receiver = await http_server(handle)
    outcome = await send_webhook(client, receiver.base + "/alerts")
    assert outcome == Outcome("ok", "HTTP 204")
    assert receiver.verified == [True]
    headers, body = receiver.requests[0]
    alert = make_alert()
    assert headers["webhook-id"] == alert.id
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert payload["type"] == "alert.new"
    assert payload["data"]["id"] == alert.id
    assert payload["data"]["story"]["headline"] == "Musk sues Altman"
    assert payload["data"]["article"]["url"] == "https://news.example/a1"
    assert payload["data"]["matched"][0]["mentions"][0]["snippet"] == "Musk sues OpenAI"


async def test_webhook_reuses_its_connection(http_server: Any, client: Any) -> None:
    """One TCP connection for consecutive alerts: the reply is read to its end, so the
    client keeps the socket (an unread reply closed it: one connect per alert)."""
    peers: list[Any] = []

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        return web.json_response({"ok": True, "pad": "x" * 2000})

    receiver = await http_server(handle)
    for _ in range(5):
        assert (await send_webhook(client, receiver.base + "/alerts")).status == "ok"
    assert len(peers) == 5 and len(set(peers)) == 1


async def test_webhook_endless_reply_is_cut_off(http_server: Any, client: Any) -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200)
        await response.prepare(request)
        for _ in range(10_000):  # 640 MB if we read it all
            await response.write(b"x" * 65536)
        return response

    receiver = await http_server(endless)
    outcome = await send_webhook(client, receiver.base + "/alerts", timeout=10.0)
    assert outcome == Outcome("ok", "HTTP 200")


async def test_webhook_410_is_final(http_server: Any, client: Any) -> None:
    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=410)

    receiver = await http_server(gone)
    assert await send_webhook(client, receiver.base + "/x") == Outcome("final", "HTTP 410")


async def test_webhook_503_retry_after(http_server: Any, client: Any) -> None:
    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=503, headers={"Retry-After": "7"})

    receiver = await http_server(busy)
    assert await send_webhook(client, receiver.base + "/x") == Outcome("retry", "HTTP 503", 7.0)


async def test_webhook_redirect_not_followed(http_server: Any, client: Any) -> None:
    hits: list[str] = []

    async def redirect(request: web.Request) -> web.Response:
        hits.append(request.path)
        if request.path == "/old":
            return web.Response(status=307, headers={"Location": "/new"})
        return web.Response(status=200)

    receiver = await http_server(redirect)
    outcome = await send_webhook(client, receiver.base + "/old")
    assert outcome.status == "final"
    assert outcome.detail == "HTTP 307 (redirects are not followed; fix the webhook URL)"
    assert hits == ["/old"]


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        (
            "http://127.0.0.1:9/alerts",
            "refused: 127.0.0.1 is a loopback address",
        ),
        (
            "http://localhost:9/alerts",
            "refused: localhost resolves to 127.0.0.1, a loopback address",
        ),
        ("http://10.1.2.3/alerts", "refused: 10.1.2.3 is a private address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused: 169.254.169.254 is a cloud metadata address",
        ),
    ],
)
async def test_webhook_to_private_address_refused(client: Any, url: str, detail: str) -> None:
    outcome = await send_webhook(client, url, allow=[])
    assert outcome == Outcome("final", detail)


async def test_webhook_refusal_happens_before_connecting(http_server: Any, client: Any) -> None:
    hits: list[str] = []
    receiver = await http_server(answer_200(hits))
    outcome = await send_webhook(client, receiver.base + "/x", allow=[])
    assert outcome.status == "final" and outcome.detail.startswith("refused: ")
    assert hits == []


async def test_webhook_timeout_is_retry(http_server: Any, client: Any) -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(status=200)

    receiver = await http_server(slow)
    outcome = await send_webhook(client, receiver.base + "/x", timeout=0.3)
    release.set()
    assert outcome == Outcome("retry", "timed out after 0.3s")


async def test_webhook_connection_refused_is_retry(client: Any) -> None:
    outcome = await send_webhook(client, "http://127.0.0.1:9/x")
    assert outcome.status == "retry"
    assert outcome.detail.startswith("network error: ClientConnectorError")


# --- email ---------------------------------------------------------------------------------


class Inbox:
    def __init__(self, reply: str = "250 OK") -> None:
        self.reply = reply
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.reply.startswith("250"):
            self.messages.append(
                (str(envelope.mail_from), list(envelope.rcpt_tos), bytes(envelope.content or b""))
            )
        return self.reply


@pytest.fixture
async def smtp_server() -> AsyncIterator[Callable[[Inbox], Awaitable[SmtpSettings]]]:
    servers: list[asyncio.Server] = []

    async def start(inbox: Inbox) -> SmtpSettings:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SMTP(inbox, hostname="localhost"), "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return SmtpSettings(
            host="127.0.0.1", port=port, sender="alerts@wirewatch.example", starttls=False
        )

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def email_sub() -> Subscription:
    return subscription({"type": "email", "to": ["desk@news.example", "night@news.example"]})


async def test_email_delivered(smtp_server: Any, client: Any) -> None:
    inbox = Inbox()
    smtp = await smtp_server(inbox)
    outcome = await send(
        make_alert(), email_sub(), http=client, allow_hosts=[], smtp=smtp, timeout=5
    )
    assert outcome.status == "ok", outcome
    [(sender, rcpts, raw)] = inbox.messages
    assert sender == "alerts@wirewatch.example"
    assert rcpts == ["desk@news.example", "night@news.example"]
    msg = message_from_bytes(raw)
    assert msg["Subject"] == "[wirewatch] New story: Musk sues Altman"
    assert msg["X-Wirewatch-Alert-Id"] == make_alert().id
    text = msg.get_payload(decode=True).decode()
    assert "https://news.example/a1" in text
    assert make_alert().id in text


@pytest.mark.parametrize(
    ("reply", "status"),
    [("550 5.7.1 rejected", "final"), ("451 4.3.0 try again later", "retry")],
)
async def test_email_rejections(smtp_server: Any, client: Any, reply: str, status: str) -> None:
    smtp = await smtp_server(Inbox(reply))
    outcome = await send(
        make_alert(), email_sub(), http=client, allow_hosts=[], smtp=smtp, timeout=5
    )
    assert outcome.status == status
    assert outcome.detail.startswith(f"SMTP {reply[:3]}")


async def test_email_without_relay_is_final(client: Any) -> None:
    outcome = await send(
        make_alert(), email_sub(), http=client, allow_hosts=[], smtp=None, timeout=5
    )
    assert outcome == Outcome("final", "email channel: no SMTP relay configured")


# --- apprise -------------------------------------------------------------------------------


async def test_apprise_json_delivered(http_server: Any, client: Any) -> None:
    received: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=200)

    receiver = await http_server(handle)
    url = receiver.base.replace("http://", "json://") + "/notify"
    sub = subscription({"type": "apprise", "url": url})
    outcome = await send(make_alert(), sub, http=client, allow_hosts=LOOPBACK, smtp=None, timeout=5)
    assert outcome == Outcome("ok", "apprise json sent")
    [payload] = received
    assert payload["title"] == "[wirewatch] New story: Musk sues Altman"
    assert "https://news.example/a1" in payload["message"]


async def test_apprise_failure_is_retry_with_detail(http_server: Any, client: Any) -> None:
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500)

    receiver = await http_server(broken)
    sub = subscription({"type": "apprise", "url": receiver.base.replace("http://", "json://")})
    outcome = await send(make_alert(), sub, http=client, allow_hosts=LOOPBACK, smtp=None, timeout=5)
    assert outcome.status == "retry"
    assert outcome.detail.startswith("apprise json failed: ")
    assert "500" in outcome.detail


async def test_apprise_private_target_refused(http_server: Any, client: Any) -> None:
    hits: list[str] = []
    receiver = await http_server(answer_200(hits))
    sub = subscription({"type": "apprise", "url": receiver.base.replace("http://", "json://")})
    outcome = await send(make_alert(), sub, http=client, allow_hosts=[], smtp=None, timeout=5)
    assert outcome == Outcome("final", "refused: 127.0.0.1 is a loopback address")
    assert hits == []


async def test_apprise_ntfy_private_host_refused(client: Any) -> None:
    sub = subscription({"type": "apprise", "url": "ntfy://10.0.0.7/alerts"})
    outcome = await send(make_alert(), sub, http=client, allow_hosts=[], smtp=None, timeout=5)
    assert outcome == Outcome("final", "refused: 10.0.0.7 is a private address")
