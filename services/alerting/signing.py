"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

The signed content is ``f"{msg_id}.{timestamp}."`` followed by the exact body bytes;
the signature is HMAC-SHA256 keyed with the base64-decoded part of ``whsec_<base64>``,
sent as ``webhook-signature: v1,<base64>`` next to ``webhook-id`` (the alert id, so a
receiver can drop repeats) and ``webhook-timestamp`` (Unix seconds). A header may carry
several space-separated signatures (secret rotation); one valid ``v1`` is enough.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

__all__ = ["InvalidSignature", "headers", "new_secret", "sign", "verify"]

PREFIX = "whsec_"


class InvalidSignature(ValueError):
    """The request is not signed by the secret (or is too old/new); the message says how."""


def new_secret() -> str:
    """A fresh ``whsec_`` secret with 32 random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("webhook secret is not 'whsec_' followed by base64") from None


def _digest(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    return hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256>``."""
    return "v1," + base64.b64encode(_digest(_key(secret), msg_id, timestamp, body)).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_s: int = 300,
    now: int | None = None,
) -> None:
    """Raise ``InvalidSignature`` unless ``body`` carries a valid, fresh signature."""
    lower = {k.lower(): v for k, v in headers.items()}
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        if name not in lower:
            raise InvalidSignature(f"missing header {name}")
    msg_id, raw_ts, signatures = (
        lower["webhook-id"],
        lower["webhook-timestamp"],
        lower["webhook-signature"],
    )
    try:
        timestamp = int(raw_ts)
    except ValueError:
        raise InvalidSignature(f"webhook-timestamp {raw_ts!r} is not an integer") from None
    now = int(time.time()) if now is None else now
    if timestamp < now - tolerance_s:
        raise InvalidSignature("webhook-timestamp is too old")
    if timestamp > now + tolerance_s:
        raise InvalidSignature("webhook-timestamp is in the future")
    expected = _digest(_key(secret), msg_id, timestamp, body)
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(given, expected):
            return
    raise InvalidSignature("no matching v1 signature")
