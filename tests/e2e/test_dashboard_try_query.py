"""The built-in page, used: headless Chromium driven over the DevTools protocol types a
query (the preview answers as it is typed, a half-written query shows its error and
position), creates the subscription with a token, opens a story to its articles,
sources, mentions and linked story, and shows the alerts the subscriber refused as
dead-lettered. The real broker and tagger → stories → alerting → dashboard as
processes, the seeds replayed.

With ``UPDATE_SCREENSHOT=1`` the screenshots are written to docs/ (README, Alerting)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from services.alerting.signing import new_secret
from shared.broker import EmbeddedBroker, free_port
from shared.settings import ROOT
from tests.support.receivers import Receiver
from tests.support.records import webhook_subscription
from tests.support.services import API_TOKEN, processes, replay_seeds, service_env, start_all
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

POLL: dict[str, Any] = {"every": 0.3, "in_thread": True, "ignoring": (OSError,)}
GERMAN = "st_f93949158ff7"  # the seed's story (seeds 000 and 002)
ENGLISH = "st_e58ef623339b"  # the English report (seed 001), linked to it
FOUR = {"elon_musk", "sam_altman", "openai", "tesla_roadster"}


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())


class Browser:
    """Headless Chromium and one page, over the DevTools protocol (JSON on a websocket)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.n = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.n += 1
        await self.ws.send_json({"id": self.n, "method": method, "params": params})
        while True:
            msg = await asyncio.wait_for(self.ws.receive_json(), 30)
            if msg.get("id") == self.n:
                assert "error" not in msg, msg
                result: dict[str, Any] = msg["result"]
                return result

    async def js(self, expression: str) -> Any:
        answer = await self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        assert "exceptionDetails" not in answer, answer
        return answer["result"].get("value")

    async def until(self, expression: str, what: str, timeout: float = 20) -> Any:
        last: list[Any] = [None]

        async def holds() -> bool:
            last[0] = await self.js(expression)
            return bool(last[0])

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not await holds():
            assert loop.time() < deadline, f"timed out waiting for {what}"
            await asyncio.sleep(0.2)
        return last[0]

    async def type(self, selector: str, text: str) -> None:
        await self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            f" e.value = {json.dumps(text)}; e.dispatchEvent(new Event('input')); }})()"
        )

    async def screenshot(self, path: Path) -> None:
        shot = await self.call("Page.captureScreenshot", format="png")
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))


@contextlib.asynccontextmanager
async def browser(profile: Path) -> AsyncIterator[Browser]:
    binary = shutil.which("chromium")
    assert binary, "chromium missing: `make test` installs the Debian package"
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        binary, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", f"--user-data-dir={profile}", f"--remote-debugging-port={port}",
        "--window-size=1280,1000", "--hide-scrollbars", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        targets: list[Any] = []

        def page_target() -> bool:
            targets[:] = [
                t for t in get_json(f"http://127.0.0.1:{port}/json/list") if t["type"] == "page"
            ]
            return bool(targets)

        await wait_for(page_target, 30, "Chromium's DevTools endpoint", **POLL)
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(targets[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws,
        ):
            yield Browser(ws)
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)


async def test_try_a_query_create_it_and_open_a_story(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    refusing = await Receiver(new_secret(), status=410).start()  # final: dead-lettered
    accepting = await Receiver(new_secret()).start()
    subs = [webhook_subscription("musk-and-altman", "@elon_musk AND @sam_altman",
                                 refusing.url, refusing.secret)]  # fmt: skip
    (tmp_path / "subscriptions.yaml").write_text(yaml.safe_dump({"subscriptions": subs}))
    alerting_port = free_port()
    env = service_env(
        broker.bootstrap,
        tmp_path,
        subscriptions=tmp_path / "subscriptions.yaml",
        extra={
            "WIREWATCH_API_TOKENS": json.dumps([API_TOKEN]),
            "WIREWATCH_ALERTING_PORT": str(alerting_port),  # where the page's API calls go
        },
    )
    ports = {"alerting": alerting_port}
    procs = processes(("tagger", "stories", "alerting", "dashboard"), env, tmp_path, ports)
    dashboard, alerting = procs["dashboard"], procs["alerting"]
    shots = {"preview": tmp_path / "preview.png", "story": tmp_path / "story.png"}
    try:
        await start_all(procs.values())
        await replay_seeds(env)

        def dead_lettered() -> bool:
            alerts = get_json(dashboard.url("/api/alerts"))["alerts"]
            return len(alerts) == 2 and all(a["status"] == "dead-lettered" for a in alerts)

        await wait_for(dead_lettered, 60, "both seed alerts dead-lettered on the page", **POLL)

        async with browser(tmp_path / "profile") as page:
            await page.call("Page.enable")
            await page.call("Page.navigate", url=dashboard.url("/"))
            await page.until(
                "!!document.body && document.body.dataset.loaded === 'true'", "the page's data"
            )
            statuses = await page.until(
                "[...document.querySelectorAll('#alerts li[data-status]')]"
                ".map(li => li.dataset.status + ' ' + li.textContent)",
                "the alerts",
            )
            assert len(statuses) == 2
            assert all(s.startswith("dead-lettered ") for s in statuses)
            assert all("HTTP 410" in s for s in statuses)

            # a half-written query: its error and position, as typed
            await page.type("#query", "@elon_musk AND (")
            error = await page.until(
                "!document.querySelector('#query-error').hidden && "
                "document.querySelector('#query-error').textContent",
                "the query's error",
            )
            assert "at position 16" in error
            assert await page.js("document.querySelector('#query-error [data-position]')"
                                 ".dataset.position") == "16"  # fmt: skip

            # the whole query: the alerts it would have sent, and why
            await page.type("#query", "@elon_musk AND @sam_altman")
            await page.until("document.body.dataset.preview === '2'", "the preview")
            stories = await page.js(
                "[...document.querySelectorAll('#preview li')].map(li => li.dataset.story)"
            )
            assert sorted(stories) == sorted([GERMAN, ENGLISH])
            why = await page.js("document.querySelector('#preview li .why').textContent")
            assert "@elon_musk" in why and "@sam_altman" in why
            await page.screenshot(shots["preview"])

            # create it: refused without the right token, created with it
            await page.js("document.querySelector('#create').open = true")
            for selector, value in (
                ("#sub-id", "desk"),
                ("#sub-url", accepting.url),
                ("#sub-secret", accepting.secret),
                ("#sub-token", "wrong-token"),
            ):
                await page.type(selector, value)
            await page.js("document.querySelector('#create-button').click()")
            refused = await page.until(
                "document.querySelector('#create-result').dataset.status", "the refusal"
            )
            assert refused == "401"
            await page.type("#sub-token", API_TOKEN)
            await page.js("document.querySelector('#create-button').click()")
            created = await page.until(
                "['201', '202'].includes(document.querySelector('#create-result')"
                ".dataset.status) && document.querySelector('#create-result').textContent",
                "the subscription created",
            )
            assert 'created "desk"' in created
            stored = await asyncio.to_thread(get_json, alerting.url("/subscriptions/desk"))

            # a story opens to its articles, sources, mentions and linked story
            await page.js(f"document.querySelector('tr[data-story-id=\"{GERMAN}\"] td').click()")
            await page.until(
                f"document.querySelector('#story-section').dataset.storyId === '{GERMAN}'",
                "the story's page",
            )
            story = await page.js(
                "({articles: [...document.querySelectorAll('#story-articles li')]"
                ".map(li => li.dataset.articleId),"
                " sources: [...document.querySelectorAll('#story-sources [data-source]')]"
                ".map(x => x.dataset.source),"
                " mentions: [...document.querySelectorAll('#story-mentions [data-mention]')]"
                ".map(x => x.dataset.mention),"
                " links: [...document.querySelectorAll('#story-links li')]"
                ".map(li => li.dataset.linkedId + ' ' + li.textContent)})"
            )
            await page.screenshot(shots["story"])
    finally:
        for proc in procs.values():
            proc.stop()
        await refusing.stop()
        await accepting.stop()

    assert (stored["query"], stored["source"]) == ("@elon_musk AND @sam_altman", "api")
    assert stored["channel"]["url"] == accepting.url
    assert len(story["articles"]) == 2
    assert set(story["sources"]) == {"Business Punk", "Wirewatch Seeds (de)"}
    assert set(story["mentions"]) == FOUR
    assert [link.split()[0] for link in story["links"]] == [ENGLISH]
    assert "Altman airs his Tesla Roadster refund saga" in story["links"][0]
    for shot in shots.values():
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shots["preview"], ROOT / "docs" / "dashboard-preview.png")
        shutil.copyfile(shots["story"], ROOT / "docs" / "dashboard-story.png")
