"""The one settings object. Every setting is an environment variable ``WIREWATCH_<NAME>``;
nothing else in wirewatch reads the environment. Wrong values fail at start-up with a
message naming the setting.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WIREWATCH_", extra="ignore")

    # Kafka -------------------------------------------------------------------
    kafka_bootstrap: str = Field(
        "",
        description="host:port[,host:port]. Empty: `python -m services.stack` starts the "
        "embedded Tansu broker and records it in DATA_DIR/stack.json, where every other "
        "command finds it; with neither, a single service refuses to start.",
    )
    kafka_idempotence: Literal["auto", "true", "false"] = Field(
        "auto",
        description="Idempotent producers. auto: on unless the broker rejects InitProducerId "
        "(Tansu does: one log line, then off); true: stop with that line; false: off.",
    )
    kafka_replication: int = Field(1, ge=1, description="Replication factor of created topics.")
    kafka_session_timeout_s: float = Field(
        10.0, gt=0, description="Group session: a dead worker's partitions move after this."
    )
    kafka_heartbeat_s: float = Field(1.0, gt=0, description="Consumer-group heartbeat interval.")
    kafka_fetch_wait_ms: int = Field(
        50,
        ge=1,
        le=10_000,
        description="Longest a consumer's fetch waits at the broker for records. Tansu "
        "holds a fetch for about half of it even when records are waiting (Faust's built-in "
        "1,500 ms added ~400 ms per hop), Kafka answers at once; lower costs idle polls.",
    )
    kafka_connect_attempts: int = Field(
        30, ge=1, description="Broker connection attempts at start (backoff up to 5 s)."
    )

    # HTTP ------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address every HTTP endpoint binds to.")
    ingest_port: int = Field(8081, ge=0, le=65535, description="ingest: /metrics, /health, /ready.")
    tagger_port: int = Field(8082, ge=0, le=65535, description="tagger worker's web server.")
    stories_port: int = Field(8083, ge=0, le=65535, description="stories: also /stories.")
    alerting_port: int = Field(
        8084, ge=0, le=65535, description="alerting: also /subscriptions, /openapi.json."
    )
    dashboard_port: int = Field(8085, ge=0, le=65535, description="The built-in web page.")
    alerting_url: str = Field(
        "",
        description="Where the page reaches alerting's API (preview, create). Empty: "
        "http://127.0.0.1:ALERTING_PORT (one machine, make run).",
    )

    # Files -----------------------------------------------------------------
    data_dir: Path = Field(ROOT / "var", description="Local state: ingest DB, Faust data, logs.")
    feeds_file: Path = Field(ROOT / "config" / "feeds.yaml", description="Feeds to poll.")
    watchlist_file: Path = Field(
        ROOT / "config" / "watchlist.yaml", description="Watched entities (reloaded)."
    )
    subscriptions_file: Path = Field(
        ROOT / "config" / "subscriptions.yaml", description="Declarative subscriptions (reloaded)."
    )
    seeds_dir: Path = Field(ROOT / "seeds", description="What `replay` publishes by default.")

    # Ingest ----------------------------------------------------------------
    poll_interval_s: float = Field(300.0, gt=0, description="First poll interval of a new feed.")
    fetch_timeout_s: float = Field(20.0, gt=0, description="Whole fetch, all redirects included.")
    fetch_max_bytes: int = Field(
        5 * 1024 * 1024, gt=0, description="Body cap, on the wire and after decompression."
    )
    fetch_max_redirects: int = Field(5, ge=0, description="Redirects followed, each one checked.")
    allow_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts or CIDRs exempt from the private-address guard "
        '(JSON list, e.g. ["127.0.0.1"]). Tests and private deployments only.',
    )
    fetch_connect_timeout_s: float = Field(5.0, gt=0, description="TCP/TLS connect bound.")
    fetch_concurrency: int = Field(64, ge=1, description="Fetches in flight, all hosts.")
    fetch_per_host: int = Field(4, ge=1, description="Fetches in flight per host.")
    poll_min_interval_s: float = Field(60.0, gt=0, description="Fastest adaptive poll.")
    poll_max_interval_s: float = Field(6 * 3600.0, gt=0, description="Slowest adaptive poll.")
    backoff_base_s: float = Field(60.0, gt=0, description="First retry delay after an error.")
    park_after_failures: int = Field(8, ge=1, description="Consecutive errors that park a feed.")
    park_interval_s: float = Field(24 * 3600.0, gt=0, description="Retry period of a parked feed.")
    near_dup_threshold: float = Field(0.8, gt=0, le=1, description="MinHash Jaccard for near-dups.")
    near_dup_memory: int = Field(50_000, ge=0, description="Recent texts kept for near-dup checks.")
    user_agent: str = Field("wirewatch/0.1 (news monitor)", description="Sent with every fetch.")

    # Stories ---------------------------------------------------------------
    story_threshold: float = Field(  # = services/stories/scoring.THRESHOLD (a test checks)
        0.335, gt=0, le=1, description="Similarity an article needs to join a story."
    )
    story_dormant_after_s: float = Field(
        3 * 24 * 3600.0, gt=0, description="Quiet event time after which a story leaves memory."
    )

    # Alerting --------------------------------------------------------------
    delivery_attempts: int = Field(8, ge=1, description="Attempts before dead-lettering.")
    preview_max_updates: int = Field(
        100_000,
        ge=1,
        description="Story updates alerting keeps for POST /subscriptions/preview (~1.1 KB "
        "each; the last 24 h at most).",
    )
    delivery_timeout_s: float = Field(10.0, gt=0, description="One delivery attempt, whole.")
    api_tokens: list[SecretStr] = Field(
        default_factory=list,
        description="Bearer tokens allowed to change subscriptions through the API (JSON "
        "list). Empty: every write is refused.",
    )
    delivery_schedule_s: list[float] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0],
        min_length=1,
        description="Waits after failed attempt 1, 2, … (JSON list; the last repeats up to "
        "DELIVERY_ATTEMPTS). Default as Svix: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.",
    )
    delivery_jitter: float = Field(0.1, ge=0, lt=1, description="± fraction added to each wait.")
    delivery_retry_after_cap_s: float = Field(
        3600.0, gt=0, description="Longest Retry-After a receiver may ask for."
    )
    alerting_tick_s: float = Field(
        1.0, gt=0, description="How often due retries and digests are looked for."
    )
    subscriptions_reload_s: float = Field(
        2.0, gt=0, description="How often the subscription file is checked for changes."
    )
    api_write_wait_s: float = Field(
        5.0, gt=0, description="How long an API write waits to be applied by its own worker."
    )
    digest_unit_s: float = Field(
        60.0, gt=0, description="Seconds in one digest minute (tests shorten it)."
    )
    smtp_host: str = Field("", description="SMTP relay for email channels. Empty: no email.")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP relay port.")
    smtp_sender: str = Field("wirewatch@localhost", description="From: of alert emails.")
    smtp_username: str = Field("", description="SMTP login (empty: none).")
    smtp_password: SecretStr = Field(SecretStr(""), description="SMTP password.")
    smtp_starttls: bool | None = Field(
        None, description="STARTTLS: true requires it, false never, unset if offered."
    )
    smtp_use_tls: bool = Field(False, description="Implicit TLS from the first byte (port 465).")

    @field_validator("kafka_idempotence", mode="before")
    @classmethod
    def _idempotence(cls, value: object) -> object:
        if value is None:
            return "auto"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            lowered = value.strip().lower()
            aliases = {"1": "true", "yes": "true", "on": "true", "0": "false", "no": "false",
                       "off": "false"}  # fmt: skip
            return aliases.get(lowered, lowered)
        return value

    @field_validator("delivery_schedule_s")
    @classmethod
    def _schedule(cls, value: list[float]) -> list[float]:
        if any(wait <= 0 for wait in value):
            raise ValueError("every wait must be > 0 seconds")
        return value

    # Process ---------------------------------------------------------------
    gc_thaw_every: int = Field(
        10,
        ge=0,
        description="Faust workers freeze what survives a full garbage collection, so the "
        "next ones scan only newer objects (largest pauses at 200 articles/s: 116-141 ms cut "
        "to 31-43 ms); every "
        "Nth full collection scans everything again, freeing leaked cycles. 0: Python's "
        "own collector.",
    )

    # Logging ---------------------------------------------------------------
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="debug, info, warning or error."
    )
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="auto: console lines on a terminal, JSON otherwise."
    )

    @property
    def embedded(self) -> bool:
        return not self.kafka_bootstrap


class SettingsError(SystemExit):
    """Start-up failure: the message names every bad setting."""


def load() -> Settings:
    """Build the settings from the environment, or exit with one clear message."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = [
            f"  WIREWATCH_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        ]
        raise SettingsError("wirewatch: invalid settings:\n" + "\n".join(lines)) from None


@lru_cache(maxsize=1)
def get() -> Settings:
    return load()


def _shown(value: object) -> str:
    if isinstance(value, SecretStr):
        value = "***" if value.get_secret_value() else ""
    if isinstance(value, Path):
        value = value.relative_to(ROOT) if value.is_relative_to(ROOT) else value
    if value is None:
        return "auto"
    return f"`{value}`" if value not in ("", []) else "empty"


def markdown_table() -> str:
    """The settings table of the README, generated from this class (a test compares)."""
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        meaning = (field.description or "").replace("|", "/")
        rows.append(f"| `WIREWATCH_{name.upper()}` | {_shown(default)} | {meaning} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())  # noqa: T201 - `python -m shared.settings` prints the README table
