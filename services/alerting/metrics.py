"""Every metric the alerting service exports."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPDATES_SEEN = Counter(
    "wirewatch_alerting_story_updates_total", "Story updates matched against subscriptions."
)
ARTICLES_SEEN = Counter(
    "wirewatch_alerting_articles_total",
    "Distinct articles seen by alerting, by language.",
    ["lang"],
)
ALERTS = Counter(
    "wirewatch_alerts_total",
    "Alerts by channel and outcome (raised, digested, delivered, failed, dead_lettered, dropped).",
    ["channel", "outcome"],
)
ATTEMPTS = Counter(
    "wirewatch_delivery_attempts_total",
    "Delivery attempts by channel and result.",
    ["channel", "result"],
)
LATENCY = Histogram(
    "wirewatch_alert_latency_seconds",
    "From the article's ingest (fetched time) to the subscriber's acknowledgement "
    "(real-time alerts; digests wait for their window by design).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600),
)
SUBSCRIPTIONS = Gauge("wirewatch_subscriptions", "Subscriptions by mode.", ["mode"])
RETRIES = Counter(
    "wirewatch_delivery_retries_scheduled_total",
    "Failed attempts scheduled for another one on the retry topic, by channel.",
    ["channel"],
)
PENDING = Gauge(
    "wirewatch_delivery_pending",
    "Alerts and digests waiting for a retry on this worker (at the last tick).",
)
DEAD_LETTERED = Counter(
    "wirewatch_alerting_dead_letters_total",
    "Alerts sent whole to the dead-letter topic, by channel and reason (final, exhausted).",
    ["channel", "reason"],
)
DIGESTS = Counter("wirewatch_digests_total", "Digest messages closed (and scheduled for delivery).")
API_REQUESTS = Counter(
    "wirewatch_api_requests_total",
    "Subscriptions API requests by operation and status code.",
    ["operation", "status"],
)
