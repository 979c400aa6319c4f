"""Every Prometheus metric of the ingest service (labels are small fixed sets: never
a URL or an article id)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

FETCHES = Counter(
    "wirewatch_ingest_fetches_total",
    "Feed fetches by outcome: ok, not_modified, or the error kind "
    "(unsafe_url, timeout, too_large, redirects, http_error, rate_limited, unavailable, "
    "network, decode, unsafe_xml, not_a_feed, publish_failed).",
    ["outcome"],
)
FETCHED_BYTES = Counter(
    "wirewatch_ingest_fetched_bytes_total", "Response body bytes received (on the wire)."
)
FETCH_DURATION = Histogram(
    "wirewatch_ingest_fetch_duration_seconds",
    "Time from the first request to the last body byte (or the error).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60),
)
ARTICLES_PUBLISHED = Counter(
    "wirewatch_ingest_articles_published_total", "New articles handed to the broker."
)
DUPLICATES = Counter(
    "wirewatch_ingest_duplicates_total",
    "Articles not published because already seen: exact (same id) or near (similar text).",
    ["kind"],
)
ENTRIES_SKIPPED = Counter(
    "wirewatch_ingest_entries_skipped_total", "Feed entries unusable as articles."
)
PARKED_FEEDS = Gauge(
    "wirewatch_ingest_parked_feeds", "Feeds parked after repeated errors (retried rarely)."
)
FEEDS = Gauge("wirewatch_ingest_feeds", "Feeds in the feeds file.")
