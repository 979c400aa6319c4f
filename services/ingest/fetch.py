"""Fetch one feed URL: bytes in memory or a ``FetchError`` that says why not.

Every hop is checked by the SSRF guard before any connection is made, and the
connection goes to the address that was checked (the request names the IP, the Host
header and TLS SNI name the host), so a DNS answer that changes between check and
connect cannot reach a private address. Redirects are followed by hand (each hop
checked, at most ``max_redirects``). The whole exchange runs under one
``asyncio.timeout`` because httpx timeouts are per operation. The body is read raw
and decoded here with a cap on both the wire size and the decoded size.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from services.ingest.decompress import BodyTooLarge, CappedDecoder, DecodeError
from shared.backoff import retry_after
from shared.urlsafety import UnsafeURL, checked_addresses

__all__ = [
    "FetchError",
    "FetchLimits",
    "Fetched",
    "Validators",
    "fetch",
    "parse_max_age",
]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_AGE = re.compile(r"(?:^|[,\s])(s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Validators:
    """What the server told us last time, for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchLimits:
    timeout_s: float
    max_bytes: int
    max_redirects: int
    allow: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()  # sent with every request


@dataclass(frozen=True)
class Fetched:
    """A 200 (``body`` set) or a 304 (``not_modified``)."""

    url: str
    status: int
    body: bytes = b""
    content_type: str | None = None
    content_location: str | None = None  # resolved against ``url``: the base for relative links
    validators: Validators = field(default_factory=Validators)
    max_age_s: float | None = None
    wire_bytes: int = 0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class FetchError(Exception):
    """The fetch failed. ``kind`` is a small fixed vocabulary (a metric label);
    ``retry_after_s`` is what a 429/503 asked for, if anything."""

    KINDS = (
        "unsafe_url",
        "timeout",
        "too_large",
        "redirects",
        "http_error",
        "rate_limited",
        "unavailable",
        "network",
        "decode",
    )

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        assert kind in self.KINDS, kind
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after_s = retry_after_s


def parse_max_age(cache_control: str | None) -> float | None:
    """``max-age`` (or ``s-maxage``) from Cache-Control; ``no-cache``/``no-store`` → 0."""
    if not cache_control:
        return None
    lowered = cache_control.lower()
    if "no-store" in lowered or "no-cache" in lowered:
        return 0.0
    ages = [float(m.group(2)) for m in _MAX_AGE.finditer(cache_control)]
    return max(ages) if ages else None


def _content_location(url: str, headers: httpx.Headers) -> str | None:
    value = headers.get("content-location")
    if not value:
        return None
    try:
        return urljoin(url, value.strip())
    except ValueError:
        return None


def _pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The request URL naming ``address``, the Host header and the TLS extensions."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    ip_host = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = f"{ip_host}:{parts.port}" if parts.port else ip_host
    host_header = parts.netloc.rsplit("@", 1)[-1]
    extensions: dict[str, str] = {}
    if parts.scheme == "https":
        extensions["sni_hostname"] = host
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return target, {"Host": host_header}, extensions


async def _read_body(response: httpx.Response, limits: FetchLimits) -> tuple[bytes, int]:
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > limits.max_bytes:
        raise FetchError("too_large", f"Content-Length {length} exceeds {limits.max_bytes} bytes")
    try:
        decoder = CappedDecoder(response.headers.get("content-encoding"), limits.max_bytes)
    except DecodeError as exc:
        raise FetchError("decode", str(exc)) from None
    parts: list[bytes] = []
    wire = 0
    try:
        async for chunk in response.aiter_raw():
            wire += len(chunk)
            if wire > limits.max_bytes:
                raise FetchError("too_large", f"body exceeds {limits.max_bytes} bytes on the wire")
            parts.append(decoder.feed(chunk))
        parts.append(decoder.flush())
    except BodyTooLarge as exc:
        raise FetchError("too_large", str(exc)) from None
    except DecodeError as exc:
        raise FetchError("decode", str(exc)) from None
    return b"".join(parts), wire


async def _exchange(
    client: httpx.AsyncClient, url: str, validators: Validators, limits: FetchLimits
) -> Fetched:
    headers = dict(limits.headers)
    headers.setdefault("Accept-Encoding", "gzip, deflate")  # the encodings we decode
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    current = url
    for _hop in range(limits.max_redirects + 1):
        try:
            addresses = await checked_addresses(current, limits.allow)
        except UnsafeURL as exc:
            raise FetchError("unsafe_url", f"refused {current}: {exc}") from None
        target, host_header, extensions = _pinned(current, addresses[0])
        request = client.build_request(
            "GET", target, headers={**headers, **host_header}, extensions=extensions
        )
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            status = response.status_code
            if status in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise FetchError("http_error", f"HTTP {status} without Location", status=status)
                current = urljoin(current, location.strip())
                continue
            if status == 304:
                return Fetched(url=current, status=304)
            if status in (429, 503):
                wait = retry_after(response.headers.get("retry-after"), time.time())
                kind = "rate_limited" if status == 429 else "unavailable"
                raise FetchError(kind, f"HTTP {status}", status=status, retry_after_s=wait)
            if not 200 <= status < 300:
                raise FetchError("http_error", f"HTTP {status}", status=status)
            body, wire = await _read_body(response, limits)
            return Fetched(
                url=current,
                status=status,
                body=body,
                content_type=response.headers.get("content-type"),
                content_location=_content_location(current, response.headers),
                validators=Validators(
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                ),
                max_age_s=parse_max_age(response.headers.get("cache-control")),
                wire_bytes=wire,
            )
        finally:
            await response.aclose()
    raise FetchError("redirects", f"more than {limits.max_redirects} redirects (last: {current})")


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    limits: FetchLimits,
    validators: Validators | None = None,
) -> Fetched:
    """GET ``url`` within ``limits``; raises ``FetchError`` (never anything else for
    network or server misbehaviour)."""
    try:
        async with asyncio.timeout(limits.timeout_s):
            return await _exchange(client, url, validators or Validators(), limits)
    except TimeoutError:
        raise FetchError("timeout", f"no complete response within {limits.timeout_s:g} s") from None
    except httpx.TimeoutException as exc:
        raise FetchError("timeout", f"{type(exc).__name__} ({exc})") from None
    except httpx.HTTPError as exc:  # transport and protocol errors
        raise FetchError("network", f"{type(exc).__name__}: {exc}") from None
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
        raise FetchError("network", f"bad request URL: {exc}") from None
