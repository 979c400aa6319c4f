"""The ingest orchestrator — the one place that knows the order of work:

    schedule → fetch (SSRF-checked, capped) → parse (entity-safe) → normalise
    → dedup (seen ids, near-duplicate MinHash) → publish → remember

``Ingestor.refresh`` does that for one feed and never raises for bad input: the
``RefreshResult`` carries the status and reason. ``Ingestor.run`` is the polling loop:
it reloads the feeds file when it changes, starts each feed when it is due, and keeps
global and per-host concurrency limits.

An article is marked seen only after ``publish`` returned; if publishing fails the
feed's validators are not updated either, so the next poll fetches the body again and
nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx
import structlog
from datasketch import LeanMinHash

from services.ingest import metrics
from services.ingest.dedup import NearDuplicates, signature, to_bytes
from services.ingest.feeds import FeedConfig, FeedsError, load_feeds
from services.ingest.fetch import Fetched, FetchError, FetchLimits, Validators, fetch
from services.ingest.normalise import normalise_entry
from services.ingest.parse import ParseError, parse_feed
from services.ingest.schedule import PollPolicy, after_error, after_success, initial
from services.ingest.state import FeedState, IngestState, default_path
from shared.records import Article
from shared.settings import Settings

__all__ = ["Ingestor", "RefreshResult", "fetch_limits", "http_client"]

log = structlog.get_logger(__name__)

Publish = Callable[[Article], Awaitable[None]]
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_TICK_S = 1.0  # longest sleep of the polling loop (feeds file changes are seen this fast)
# Parsing is CPU-bound under the GIL: more threads add memory (per-thread allocator and
# BLAS buffers of the language model), not throughput. One worker keeps the loop free.
_PARSE_WORKERS = 1


@dataclass(frozen=True)
class RefreshResult:
    feed: str
    status: Literal["ok", "not_modified", "error"]
    reason: str | None = None  # "<kind>: <message>" for errors
    kind: str | None = None  # the error kind (a FetchError/ParseError kind or publish_failed)
    new: int = 0
    duplicates: int = 0
    near_duplicates: int = 0
    skipped: int = 0
    next_poll: float = 0.0
    parked: bool = False
    # why entries were not published: ((reason, count), ...) in first-seen order
    not_published: tuple[tuple[str, int], ...] = ()


Normalised = list[tuple[Article | str, LeanMinHash | None]]


def _parse_and_normalise(fetched: Fetched, feed: FeedConfig, at: datetime) -> Normalised:
    """CPU work of one feed (run in a worker thread): parse, normalise, sign."""
    parsed = parse_feed(
        fetched.body, feed.url, final_url=fetched.content_location or fetched.url,
        content_type=fetched.content_type,
        name=feed.name,
    )  # fmt: skip
    out: Normalised = []
    for entry in parsed.entries:
        item = normalise_entry(entry, parsed.meta, at)
        sig = signature(f"{item.title}\n\n{item.text}") if isinstance(item, Article) else None
        out.append((item, sig))
    return out


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def oldest_first(items: Normalised) -> Normalised:
    """Feeds list newest first; publish oldest first so a story's first report founds
    it. Skipped entries (reason strings) come first, in feed order."""
    skipped = [pair for pair in items if isinstance(pair[0], str)]
    articles = [pair for pair in items if not isinstance(pair[0], str)]
    articles.sort(key=lambda pair: pair[0].published)  # type: ignore[union-attr]  # strings filtered out above
    return skipped + articles


def fetch_limits(settings: Settings, accept: str = _ACCEPT) -> FetchLimits:
    """The caps, timeouts, allow-list and headers of every feed fetch."""
    return FetchLimits(
        timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.fetch_max_bytes,
        max_redirects=settings.fetch_max_redirects,
        allow=tuple(settings.allow_hosts),
        headers=(
            ("User-Agent", settings.user_agent),
            ("Accept", accept),
            ("Accept-Encoding", "gzip, deflate"),
        ),
    )


def http_client(settings: Settings) -> httpx.AsyncClient:
    """The fetch client: no redirects (``fetch`` follows them, checking each), no proxies
    or certificates from the environment."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.fetch_timeout_s, connect=settings.fetch_connect_timeout_s),
        limits=httpx.Limits(
            max_connections=settings.fetch_concurrency,
            max_keepalive_connections=settings.fetch_concurrency,
        ),
        follow_redirects=False,
        trust_env=False,
    )


def _forget(running: dict[str, asyncio.Task[None]], url: str, _: asyncio.Task[None]) -> None:
    running.pop(url, None)


class Ingestor:
    def __init__(
        self,
        settings: Settings,
        publish: Publish,
        *,
        http: httpx.AsyncClient | None = None,
        state: IngestState | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._publish = publish
        self._http = http
        self._own_http = http is None
        self._state = state if state is not None else IngestState(default_path(settings.data_dir))
        self._clock = clock
        self._rng = random.Random()
        self._policy = PollPolicy(
            min_interval_s=settings.poll_min_interval_s,
            max_interval_s=max(settings.poll_max_interval_s, settings.poll_min_interval_s),
            default_interval_s=settings.poll_interval_s,
            backoff_base_s=settings.backoff_base_s,
            park_after=settings.park_after_failures,
            park_interval_s=settings.park_interval_s,
        )
        self._limits = fetch_limits(settings)
        self._near = NearDuplicates(settings.near_dup_threshold, settings.near_dup_memory)
        self._near.load(self._state.recent_sketches(settings.near_dup_memory))
        self._global = asyncio.Semaphore(settings.fetch_concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = {}
        self._feed_locks: dict[str, asyncio.Lock] = {}
        self._feeds: dict[str, FeedConfig] = {}
        self._next_poll: dict[str, float] = {}
        self._parked: set[str] = set()
        self._ready = False
        self._parser = ThreadPoolExecutor(_PARSE_WORKERS, thread_name_prefix="ingest-parse")

    # lifecycle ---------------------------------------------------------------
    def ready(self) -> bool:
        return self._ready

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = http_client(self._settings)
        return self._http

    async def aclose(self) -> None:
        """Close the HTTP client if this Ingestor made it (the state stays open)."""
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None
        self._parser.shutdown(wait=False)
        self._parser = ThreadPoolExecutor(_PARSE_WORKERS, thread_name_prefix="ingest-parse")

    async def __aenter__(self) -> Ingestor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # one feed ----------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        host = _host(url)
        sem = self._per_host.get(host)
        if sem is None:
            sem = self._per_host[host] = asyncio.Semaphore(self._settings.fetch_per_host)
        async with sem, self._global:
            yield

    async def refresh(self, feed: FeedConfig) -> RefreshResult:
        """Fetch, parse, normalise, dedup and publish one feed once."""
        lock = self._feed_locks.setdefault(feed.url, asyncio.Lock())
        async with lock:
            result = await self._refresh(feed)
        self._next_poll[feed.url] = result.next_poll
        if result.parked:
            self._parked.add(feed.url)
        else:
            self._parked.discard(feed.url)
        metrics.PARKED_FEEDS.set(len(self._parked))
        return result

    async def _refresh(self, feed: FeedConfig) -> RefreshResult:
        now = self._clock()
        known = self._state.feed(feed.url)
        current = known or FeedState(schedule=initial(self._policy, now, feed.interval_s))
        started = time.perf_counter()
        try:
            async with self._slot(feed.url):
                fetched = await fetch(self._client(), feed.url, self._limits, current.validators)
        except FetchError as exc:
            metrics.FETCH_DURATION.observe(time.perf_counter() - started)
            return self._failed(feed, current, exc.kind, str(exc), exc.retry_after_s)
        metrics.FETCH_DURATION.observe(time.perf_counter() - started)
        metrics.FETCHED_BYTES.inc(fetched.wire_bytes)
        if fetched.not_modified:
            return self._succeeded(feed, current, current.validators, fetched, "not_modified")
        at = datetime.fromtimestamp(now, UTC)
        try:
            items = await asyncio.get_running_loop().run_in_executor(
                self._parser, _parse_and_normalise, fetched, feed, at
            )
        except ParseError as exc:
            return self._failed(feed, current, exc.kind, str(exc), None)
        new = exact = near = skipped = 0
        reasons: Counter[str] = Counter()
        for item, sig in oldest_first(items):
            if isinstance(item, str):
                skipped += 1
                reasons[item] += 1
                metrics.ENTRIES_SKIPPED.inc()
                log.info("entry_skipped", feed=feed.url, reason=item)
                continue
            if self._state.is_seen(item.id):
                exact += 1
                reasons["already seen (same id)"] += 1
                metrics.DUPLICATES.labels("exact").inc()
                continue
            original = self._near.find(sig) if sig is not None else None
            if original is not None:
                near += 1
                reasons["near duplicate of an article seen before"] += 1
                metrics.DUPLICATES.labels("near").inc()
                self._state.mark_seen(item.id, feed.url, now)
                log.info("near_duplicate", feed=feed.url, article=item.id, url=item.url,
                         original=original)  # fmt: skip
                continue
            try:
                await self._publish(item)
            except Exception as exc:  # any publish failure: retry the feed later
                return self._publish_failed(feed, current, item, exc, new)
            self._state.mark_seen(item.id, feed.url, now)
            if sig is not None:
                self._near.add(item.id, sig)
                self._state.add_sketch(item.id, to_bytes(sig), now)
            new += 1
            metrics.ARTICLES_PUBLISHED.inc()
        result = self._succeeded(feed, current, fetched.validators, fetched, "ok", changed=new > 0)
        log.info("feed_refreshed", feed=feed.url, new=new, duplicates=exact, near_duplicates=near,
                 skipped=skipped, next_in_s=round(result.next_poll - now, 1))  # fmt: skip
        return replace(
            result, new=new, duplicates=exact, near_duplicates=near, skipped=skipped,
            not_published=tuple(reasons.items()),
        )  # fmt: skip

    def _succeeded(
        self,
        feed: FeedConfig,
        current: FeedState,
        validators: Validators,
        fetched: Fetched,
        status: Literal["ok", "not_modified"],
        *,
        changed: bool = False,
    ) -> RefreshResult:
        metrics.FETCHES.labels(status).inc()
        now = self._clock()
        schedule = after_success(
            current.schedule, self._policy, now, changed=changed, rand=self._rng.random(),
            max_age_s=fetched.max_age_s, fixed_interval_s=feed.interval_s,
        )  # fmt: skip
        if current.schedule.parked:
            log.warning("feed_unparked", feed=feed.url)
        self._state.save_feed(feed.url, FeedState(schedule, validators, None))
        return RefreshResult(feed=feed.url, status=status, next_poll=schedule.next_poll)

    def _failed(
        self,
        feed: FeedConfig,
        current: FeedState,
        kind: str,
        message: str,
        retry_after_s: float | None,
    ) -> RefreshResult:
        metrics.FETCHES.labels(kind).inc()
        now = self._clock()
        schedule = after_error(
            current.schedule, self._policy, now,
            rand=self._rng.random(), retry_after_s=retry_after_s,
        )  # fmt: skip
        reason = f"{kind}: {message}"
        self._state.save_feed(feed.url, replace(current, schedule=schedule, last_error=reason))
        fields = {"feed": feed.url, "kind": kind, "reason": message, "failures": schedule.failures,
                  "retry_in_s": round(schedule.next_poll - now, 1)}  # fmt: skip
        if schedule.parked and not current.schedule.parked:
            log.error("feed_parked", **fields)
        else:
            log.warning("feed_failed", **fields)
        return RefreshResult(
            feed=feed.url, status="error", reason=reason, kind=kind,
            next_poll=schedule.next_poll, parked=schedule.parked,
        )  # fmt: skip

    def _publish_failed(
        self, feed: FeedConfig, current: FeedState, article: Article, exc: Exception, new: int
    ) -> RefreshResult:
        """Keep the old validators, do not count it against the feed: retry soon."""
        metrics.FETCHES.labels("publish_failed").inc()
        now = self._clock()
        retry = now + self._policy.backoff_base_s * (0.5 + self._rng.random() / 2)
        schedule = replace(current.schedule, next_poll=retry)
        reason = f"publish_failed: {type(exc).__name__}: {exc}"
        self._state.save_feed(feed.url, replace(current, schedule=schedule, last_error=reason))
        log.error("publish_failed", feed=feed.url, article=article.id, error=reason,
                  published_before=new, retry_in_s=round(retry - now, 1))  # fmt: skip
        return RefreshResult(
            feed=feed.url, status="error", reason=reason, kind="publish_failed", new=new,
            next_poll=retry, parked=current.schedule.parked,
        )  # fmt: skip

    # the polling loop --------------------------------------------------------
    def _load(self, path: Path) -> None:
        try:
            feeds = load_feeds(path)
        except FeedsError as exc:
            log.error("feeds_file_invalid", path=str(path), error=str(exc), kept=len(self._feeds))
            return
        new = {f.url: f for f in feeds}
        added = new.keys() - self._feeds.keys()
        removed = self._feeds.keys() - new.keys()
        now = self._clock()
        for url in added:
            known = self._state.feed(url)
            self._next_poll[url] = known.schedule.next_poll if known else now
            if known and known.schedule.parked:
                self._parked.add(url)
        for url in removed:
            self._next_poll.pop(url, None)
            self._parked.discard(url)
        self._feeds = new
        metrics.FEEDS.set(len(new))
        metrics.PARKED_FEEDS.set(len(self._parked))
        log.info("feeds_loaded", path=str(path), feeds=len(new), added=len(added),
                 removed=len(removed))  # fmt: skip

    def _file_version(self, path: Path) -> tuple[int, int] | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    async def _refresh_logged(self, feed: FeedConfig) -> None:
        try:
            await self.refresh(feed)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug: log it once with the feed, keep the other feeds going
            log.exception("refresh_crashed", feed=feed.url)
            self._next_poll[feed.url] = self._clock() + self._policy.backoff_base_s

    async def run(self, stop: asyncio.Event) -> None:
        """Poll the feeds in ``settings.feeds_file`` until ``stop`` is set."""
        path = self._settings.feeds_file
        version: tuple[int, int] | None = None
        running: dict[str, asyncio.Task[None]] = {}
        missing_logged = False
        try:
            while not stop.is_set():
                current = self._file_version(path)
                if current is None and not missing_logged:
                    log.warning("feeds_file_missing", path=str(path))
                    missing_logged = True
                elif current is not None and current != version:
                    version, missing_logged = current, False
                    self._load(path)
                self._ready = True
                now = self._clock()
                for url, feed in self._feeds.items():
                    if url not in running and self._next_poll.get(url, now) <= now:
                        task = asyncio.create_task(self._refresh_logged(feed))
                        running[url] = task
                        task.add_done_callback(functools.partial(_forget, running, url))
                due = [t for u, t in self._next_poll.items() if u not in running]
                delay = min([_TICK_S, *(max(0.0, t - now) for t in due)])
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(delay, 0.05)):
                        await stop.wait()
        finally:
            self._ready = False
            for task in list(running.values()):
                task.cancel()
            await asyncio.gather(*running.values(), return_exceptions=True)
            await self.aclose()
