"""The built-in page as an operator sees it: the real broker, tagger → stories →
alerting → dashboard as processes with their production commands, the seeds replayed
with ``python -m services.ingest replay``, and headless Chromium loading the page.

The page must show the seed story with its four entities, a mentions chart whose
counts are the tagger's own counts, and the seed's alert. The screenshot is checked
and, with ``UPDATE_SCREENSHOT=1``, written to docs/dashboard.png (shown by the README)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import struct
import subprocess
import urllib.request
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from services.alerting.signing import new_secret
from services.ingest.replay import load_seeds
from shared.broker import EmbeddedBroker
from shared.settings import ROOT
from tests.support.receivers import Receiver
from tests.support.records import webhook_subscription
from tests.support.services import processes, replay_seeds, service_env, start_all
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

FOUR = {"elon_musk", "sam_altman", "openai", "tesla_roadster"}
# the services answer from other processes: poll them off this loop, where the receiver
# runs, and take "connection refused" as "not yet"
POLL: dict[str, Any] = {"every": 0.3, "in_thread": True, "ignoring": (OSError,)}
SEED_URL = "https://seeds.wirewatch.invalid/000-musk-altman-roadster"
SEED_HEADLINE = "Musk vs. Altman: 39.000 Euro, ein Roadster"
WINDOW = (1280, 640)


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    assert binary, "chromium missing: `make test` installs the Debian package"
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=10000",
         "--hide-scrollbars", f"--window-size={WINDOW[0]},{WINDOW[1]}", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


class Page(HTMLParser):
    """What the dumped DOM shows: story rows, chart bars, legend, alerts."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded = False
        self.stories: dict[str, dict[str, Any]] = {}
        self.bars: list[tuple[str, int]] = []
        self.legend: list[str] = []
        self.alerts: list[str] = []
        self.chart_total = -1
        self._row: str | None = None
        self._cell = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "body":
            self.loaded = a.get("data-loaded") == "true"
        elif tag == "tr" and "data-story-id" in a:
            self._row, self._cell = a["data-story-id"], 0
            self.stories[self._row] = {"entities": set(a["data-entities"].split()), "text": ""}
        elif tag == "td" and self._row:
            self._cell += 1
        elif tag == "svg" and "data-total" in a:
            self.chart_total = int(a["data-total"])
        elif tag == "rect" and "data-entity" in a:
            self.bars.append((a["data-entity"], int(a["data-count"])))
        elif tag == "span" and "data-entity" in a:
            self.legend.append(a["data-entity"])
        elif tag == "li" and "data-alert-id" in a:
            self.alerts.append(a["data-alert-id"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row and self._cell == 1:
            self.stories[self._row]["text"] += data


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())


def tagger_counts(url: str) -> tuple[float, dict[str, float]]:
    """Articles the tagger has tagged, and its mentions by entity."""
    with urllib.request.urlopen(url, timeout=5) as resp:
        text = resp.read().decode()
    samples = [s for fam in text_string_to_metric_families(text) for s in fam.samples]
    tagged = sum(s.value for s in samples if s.name == "wirewatch_tagger_articles_total")
    mentions = {
        s.labels["entity"]: s.value for s in samples if s.name == "wirewatch_mentions_total"
    }
    return tagged, mentions


def png_size_and_colours(data: bytes) -> tuple[tuple[int, int], int]:
    """Width/height from IHDR, and how many distinct byte values the pixels hold."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    idat, at = b"", 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        if data[at + 4 : at + 8] == b"IDAT":
            idat += data[at + 8 : at + 8 + length]
        at += 12 + length
    return (width, height), len(set(zlib.decompress(idat)))


async def test_page_shows_the_seed_story_its_mentions_and_alert(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    receiver = await Receiver(new_secret()).start()
    subs = [webhook_subscription("musk-and-altman", "@elon_musk AND @sam_altman",
                                 receiver.url, receiver.secret)]  # fmt: skip
    (tmp_path / "subscriptions.yaml").write_text(yaml.safe_dump({"subscriptions": subs}))
    env = service_env(broker.bootstrap, tmp_path, subscriptions=tmp_path / "subscriptions.yaml")
    procs = processes(("tagger", "stories", "alerting", "dashboard"), env, tmp_path)
    dashboard = procs["dashboard"]
    try:
        await start_all(procs.values())
        await replay_seeds(env)
        seeds = load_seeds(ROOT / "seeds")

        def seed_story_shown() -> bool:
            stories = get_json(dashboard.url("/api/stories"))["stories"]
            alerts = get_json(dashboard.url("/api/alerts"))["alerts"]
            return any(set(s["entities"]) >= FOUR for s in stories) and any(
                a["article_url"] == SEED_URL for a in alerts
            )

        await wait_for(seed_story_shown, 60, "the seed story and its alert in the API", **POLL)
        await wait_for(lambda: bool(receiver.delivered()), 30, "the subscriber's alert")
        # The dashboard reads the tagged articles on its own: wait until it has counted
        # every mention the tagger counted, which is what the chart is checked against.
        counts: dict[str, Any] = {}

        def dashboard_caught_up() -> bool:
            tagged, counts["tagger"] = tagger_counts(procs["tagger"].url("/metrics"))
            counts["api"] = get_json(dashboard.url("/api/mentions?hours=6"))
            totals = {s["entity"]: s["total"] for s in counts["api"]["series"]}
            return (
                tagged == len(seeds)
                and set(totals) == FOUR
                and totals == {e: int(n) for e, n in counts["tagger"].items()}
            )

        await wait_for(
            dashboard_caught_up,
            30,
            "every seed tagged and counted by the dashboard as by tagger",
            **POLL,
        )
        mentions, tagger_mentions = counts["api"], counts["tagger"]

        page = Page()
        for _ in range(5):  # the page polls; give a slow first poll another chance
            result = await asyncio.to_thread(
                chromium, tmp_path / "profile", "--dump-dom", dashboard.url("/")
            )
            page = Page()
            page.feed(result.stdout)
            if (
                page.loaded
                and page.bars
                and any(s["text"].startswith(SEED_HEADLINE) for s in page.stories.values())
            ):
                break
        shot = tmp_path / "dashboard.png"
        result = await asyncio.to_thread(
            chromium, tmp_path / "profile", f"--screenshot={shot}", dashboard.url("/")
        )
        assert shot.exists(), result.stderr[-2000:]
    finally:
        for proc in procs.values():
            proc.stop()
        await receiver.stop()

    assert page.loaded, "the page never loaded its data"
    seed = [s for s in page.stories.values() if s["text"].startswith(SEED_HEADLINE)]
    assert seed, f"no seed story on the page: {[s['text'] for s in page.stories.values()]}"
    assert seed[0]["entities"] == FOUR
    # The chart draws the counts the API serves, which are the tagger's own counts.
    api_totals = {s["entity"]: s["total"] for s in mentions["series"]}
    assert set(api_totals) == FOUR
    assert api_totals == {e: int(n) for e, n in tagger_mentions.items()}
    drawn: dict[str, int] = {}
    for entity, count in page.bars:
        drawn[entity] = drawn.get(entity, 0) + count
    assert drawn == api_totals
    assert page.chart_total == sum(api_totals.values()) > 0
    assert set(page.legend) == FOUR
    assert page.alerts, "no alert on the page"
    assert receiver.delivered(), "the subscriber got no alert"

    (width, height), colours = png_size_and_colours(shot.read_bytes())
    assert (width, height) == WINDOW
    assert colours > 32, "the screenshot looks blank"
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, ROOT / "docs" / "dashboard.png")
