"""The basic path: an RSS 2.0 feed on a loopback server becomes articles, once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from services.ingest.feeds import FeedConfig
from services.ingest.normalise import article_id, canonical_url
from services.ingest.replay import load_seeds
from tests.support.feeds import rss as seeds_rss
from tests.support.waiting import wait_for

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
BODY_1 = (
    "Angela Merkel besuchte am Dienstag Paris.\n\nDort traf sie Präsident Macron – „überraschend“."
)
BODY_2 = (
    "The Bundesbank cut its growth forecast for 2025.\n\nEconomists had expected a smaller cut."
)


def rss(items: str, title: str = "Loopback News") -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>{title}</title><link>http://127.0.0.1/</link><description>d</description>
{items}
</channel></rss>"""


ITEMS = f"""
<item><title>Merkel in Paris</title><link>http://127.0.0.1/a/1?utm_source=rss</link>
<guid>g1</guid><pubDate>Tue, 03 Jun 2025 10:00:00 +0200</pubDate>
<description>{BODY_1}</description></item>
<item><title>Bundesbank &amp; forecast</title><link>http://127.0.0.1/a/2</link>
<content:encoded><![CDATA[<p>The Bundesbank cut its growth forecast for 2025.</p>
<p>Economists had expected a <b>smaller</b> cut.</p><script>alert(1)</script>]]></content:encoded>
<description>short teaser</description></item>
"""


async def test_rss_items_become_articles_with_intact_text(server, ingestor, published):
    url = server.static("/feed.xml", rss(ITEMS))
    result = await ingestor.refresh(FeedConfig(url=url))
    assert result.status == "ok", result.reason
    assert result.new == 2
    first, second = published.articles
    assert first.text == BODY_1
    assert first.title == "Merkel in Paris"
    assert first.url == "http://127.0.0.1/a/1"
    assert first.id == article_id(canonical_url("http://127.0.0.1/a/1"))
    assert first.published == datetime(2025, 6, 3, 8, 0, tzinfo=UTC)
    assert first.lang == "de"
    assert first.source == "Loopback News"
    assert first.feed == url
    assert second.text == BODY_2
    assert second.title == "Bundesbank & forecast"
    assert second.lang == "en"
    assert second.published == second.fetched  # no date in the item


async def test_second_poll_publishes_nothing_new(server, ingestor, published):
    url = server.static("/feed.xml", rss(ITEMS))
    await ingestor.refresh(FeedConfig(url=url, name="Configured"))
    again = await ingestor.refresh(FeedConfig(url=url, name="Configured"))
    assert again.status == "ok"
    assert (again.new, again.duplicates) == (0, 2)
    assert len(published.articles) == 2
    assert {a.source for a in published.articles} == {"Configured"}


async def test_run_polls_the_feeds_file_until_stopped(server, settings, ingestor, published):
    url = server.static("/feed.xml", rss(ITEMS))
    settings.feeds_file.write_text(f"feeds:\n  - url: {url}\n")
    stop = asyncio.Event()
    task = asyncio.create_task(ingestor.run(stop))
    await wait_for(lambda: len(published.articles) == 2, 5, "two articles published", every=0.02)
    assert ingestor.ready()
    stop.set()
    await asyncio.wait_for(task, 5)
    assert not ingestor.ready()


async def test_seed_feed_round_trips_title_text_url_and_date(server, ingestor, published):
    """The end-to-end test serves the seeds as RSS; each must come back unchanged."""
    seeds = load_seeds(SEEDS)
    url = server.static("/seeds.rss", seeds_rss(seeds))
    result = await ingestor.refresh(FeedConfig(url=url, name="Seeds"))
    assert result.status == "ok", result.reason
    got = {a.url: a for a in published.articles}
    assert len(got) == len(seeds)
    for seed in seeds:
        article = got[seed.url]
        assert article.title == seed.title
        # every character intact; only whitespace inside a paragraph is collapsed
        assert article.text.split() == seed.text.split()
        assert article.text.count("\n\n") == seed.text.count("\n\n")
        assert article.published == seed.published
        assert article.lang == seed.lang
        assert article.source == "Seeds"
