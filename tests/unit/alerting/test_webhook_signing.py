"""Standard Webhooks signing, checked against the spec's published vector and against an
independent verifier written here from the spec (it does not import signing.py's helpers)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from services.alerting import signing

# The test vector used by the standardwebhooks reference libraries.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def independent_verify(secret: str, headers: dict[str, str], body: bytes, now: int) -> bool:
    """A from-the-spec verifier: HMAC-SHA256 over "id.timestamp.body", base64, v1 list."""
    key = base64.b64decode(secret.split("_", 1)[1])
    msg_id = headers["webhook-id"]
    ts = headers["webhook-timestamp"]
    if abs(now - int(ts)) > 300:
        return False
    mac = hmac.new(key, msg_id.encode() + b"." + ts.encode() + b"." + body, hashlib.sha256)
    expected = base64.b64encode(mac.digest()).decode()
    for part in headers["webhook-signature"].split():
        version, sig = part.split(",", 1)
        if version == "v1" and hmac.compare_digest(sig, expected):
            return True
    return False


def test_published_vector() -> None:
    assert signing.sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIGNATURE
    h = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TS),
        "webhook-signature": VECTOR_SIGNATURE,
    }
    signing.verify(VECTOR_SECRET, h, VECTOR_BODY, now=VECTOR_TS)


@pytest.mark.parametrize("body", [b"", b"{}", '{"ü": "Zürich"}'.encode(), bytes(range(256))])
def test_sign_agrees_with_independent_verifier(body: bytes) -> None:
    secret = signing.new_secret()
    h = signing.headers(secret, "alrt_1", 1_700_000_000, body)
    assert set(h) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert independent_verify(secret, h, body, now=1_700_000_000)
    assert not independent_verify(secret, h, body + b" ", now=1_700_000_000)
    assert not independent_verify(signing.new_secret(), h, body, now=1_700_000_000)


def test_new_secret_shape() -> None:
    a, b = signing.new_secret(), signing.new_secret()
    assert a != b
    assert a.startswith("whsec_")
    assert len(base64.b64decode(a.removeprefix("whsec_"))) == 32


def headers_for(secret: str, body: bytes, ts: int = 1000) -> dict[str, str]:
    return signing.headers(secret, "msg_1", ts, body)


def test_verify_accepts_and_is_case_insensitive() -> None:
    h = headers_for(VECTOR_SECRET, b"x")
    signing.verify(VECTOR_SECRET, {k.upper(): v for k, v in h.items()}, b"x", now=1000)


def test_verify_accepts_one_of_several_signatures() -> None:
    h = headers_for(VECTOR_SECRET, b"x")
    other = signing.sign(signing.new_secret(), "msg_1", 1000, b"x")
    h["webhook-signature"] = f"v2,abc {other} {h['webhook-signature']}"
    signing.verify(VECTOR_SECRET, h, b"x", now=1000)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.pop("webhook-id"), "missing header webhook-id"),
        (lambda h: h.pop("webhook-signature"), "missing header webhook-signature"),
        (
            lambda h: h.update({"webhook-timestamp": "soon"}),
            "webhook-timestamp 'soon' is not an integer",
        ),
        (lambda h: h.update({"webhook-timestamp": "600"}), "webhook-timestamp is too old"),
        (lambda h: h.update({"webhook-timestamp": "1400"}), "webhook-timestamp is in the future"),
        (lambda h: h.update({"webhook-id": "msg_2"}), "no matching v1 signature"),
        (lambda h: h.update({"webhook-signature": "v1,!!!"}), "no matching v1 signature"),
        (
            lambda h: h.update({"webhook-signature": h["webhook-signature"].replace("v1", "v2")}),
            "no matching v1 signature",
        ),
    ],
)
def test_verify_rejects(change: object, message: str) -> None:
    h = headers_for(VECTOR_SECRET, b"x")
    change(h)  # type: ignore[operator]
    with pytest.raises(signing.InvalidSignature) as info:
        signing.verify(VECTOR_SECRET, h, b"x", now=1000)
    assert str(info.value) == message


def test_verify_rejects_tampered_body() -> None:
    h = headers_for(VECTOR_SECRET, b'{"a":1}')
    with pytest.raises(signing.InvalidSignature, match="no matching v1 signature"):
        signing.verify(VECTOR_SECRET, h, b'{"a":2}', now=1000)


def test_tolerance_is_inclusive_and_configurable() -> None:
    h = headers_for(VECTOR_SECRET, b"x", ts=1000)
    signing.verify(VECTOR_SECRET, h, b"x", now=1300)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(VECTOR_SECRET, h, b"x", now=1301)
    signing.verify(VECTOR_SECRET, h, b"x", now=1301, tolerance_s=301)
