"""The URL-safety (SSRF) guard used by ingest (feeds) and alerting (webhooks, Apprise).

Pure: ``check_url`` takes a URL, the addresses its host resolved to and an allow-list,
and says why it is refused, or returns ``None``. ``resolve_and_check`` adds the DNS
look-up. Call it for the first URL and again for every redirect target.
``checked_addresses`` does the same and returns the checked addresses, so a client can
connect to exactly those (no second look-up an attacker's DNS could answer differently).

Refused by default: schemes other than http/https, credentials in the URL, and hosts
whose addresses are loopback, private, link-local, multicast, reserved, unspecified,
shared (CGNAT) or a cloud metadata address (169.254.169.254, fd00:ec2::254, ...).
``allow`` holds host names, addresses or networks (CIDR) exempt from the address rule.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class UnsafeURL(ValueError):
    """The URL may not be fetched; the message says why."""


def _allowed(host: str, addr: Address | None, allow: Sequence[str]) -> bool:
    for entry in allow:
        if entry.lower() == host.lower():
            return True
        if addr is not None:
            try:
                if addr in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


def address_problem(addr: Address) -> str | None:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if addr in METADATA:
        return "a cloud metadata address"
    checks = (
        ("loopback", addr.is_loopback),
        ("link-local", addr.is_link_local),
        ("multicast", addr.is_multicast),
        ("unspecified", addr.is_unspecified),
        ("shared (CGNAT)", isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT),
        ("private", addr.is_private),
        ("reserved", addr.is_reserved),
    )
    for name, hit in checks:
        if hit:
            return f"a {name} address"
    return None


def check_url(url: str, addresses: Iterable[str], allow: Sequence[str] = ()) -> str | None:
    """Why ``url`` (whose host resolved to ``addresses``) is unsafe, or ``None``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"malformed URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"scheme {parts.scheme or '(none)'!r} is not http or https"
    if parts.username or parts.password:
        return "credentials in the URL are not allowed"
    host = parts.hostname or ""
    if not host:
        return "no host"
    if port == 0:
        return "port 0"
    addrs = list(addresses)
    if not addrs:
        return f"{host} did not resolve"
    for raw in addrs:
        try:
            addr = ipaddress.ip_address(raw.split("%", 1)[0])
        except ValueError:
            return f"{host} resolved to an invalid address {raw!r}"
        problem = address_problem(addr)
        if problem and not _allowed(host, addr, allow):
            if _is_literal(host):
                return f"{host} is {problem}"
            return f"{host} resolves to {addr}, {problem}"
    return None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


async def resolve(host: str, port: int) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


async def checked_addresses(url: str, allow: Sequence[str] = ()) -> list[str]:
    """The addresses ``url``'s host resolves to, all checked; raise ``UnsafeURL`` if any
    is unsafe. Connect to one of these (not to a fresh look-up of the host name) to close
    the DNS-rebinding gap between the check and the connection."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").strip("[]")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURL(f"malformed URL: {exc}") from None
    addresses = await resolve(host, port) if host and parts.scheme in ("http", "https") else []
    problem = check_url(url, addresses or ([] if host else ["0.0.0.0"]), allow)  # noqa: S104 - placeholder for a hostless URL, refused by check_url
    if problem:
        raise UnsafeURL(problem)
    return addresses


async def resolve_and_check(url: str, allow: Sequence[str] = ()) -> None:
    """Raise ``UnsafeURL`` unless ``url`` is safe to request now."""
    await checked_addresses(url, allow)


def _target(url: str) -> tuple[str, int] | str:
    """(host, port) of ``url``, or why it has none."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").strip("[]")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        return f"malformed URL: {exc}"
    return host, port


def _destination(url: str, addresses: list[str], host: str, allow: Sequence[str]) -> str | None:
    if not url.lower().startswith(("http://", "https://")):
        return check_url(url, [], allow)
    if host and not addresses:
        return None  # no answer now: the sender resolves again (and retries) when it sends
    return check_url(url, addresses or ["0.0.0.0"], allow)  # noqa: S104 - hostless: refused by check_url


async def destination_problem(url: str, allow: Sequence[str] = ()) -> str | None:
    """Why ``url`` may not be configured as a destination (a webhook, an Apprise host),
    resolving its host now, or ``None``. A host that does not resolve at the moment is
    not refused: the sender checks again before every request and retries a failed
    look-up."""
    target = _target(url)
    if isinstance(target, str):
        return target
    host, port = target
    web = url.lower().startswith(("http://", "https://"))
    addresses = await resolve(host, port) if host and web else []
    return _destination(url, addresses, host, allow)


def destination_problem_sync(url: str, allow: Sequence[str] = ()) -> str | None:
    """``destination_problem`` for code outside an event loop (the subscription file)."""
    target = _target(url)
    if isinstance(target, str):
        return target
    host, port = target
    addresses: list[str] = []
    if _is_literal(host):
        addresses = [host]
    elif host and url.lower().startswith(("http://", "https://")):
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            infos = []
        addresses = sorted({str(info[4][0]) for info in infos})
    return _destination(url, addresses, host, allow)
