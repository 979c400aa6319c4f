"""Capped Content-Encoding decoding: bombs stop at the cap, mislabelled bodies pass."""

from __future__ import annotations

import gzip
import zlib

import pytest

from services.ingest.decompress import BodyTooLarge, CappedDecoder, DecodeError

XML = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def decode(encoding: str | None, data: bytes, limit: int = 1 << 20, chunk: int = 7) -> bytes:
    dec = CappedDecoder(encoding, limit)
    out = [dec.feed(data[i : i + chunk]) for i in range(0, len(data), chunk)]
    out.append(dec.flush())
    return b"".join(out)


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        (None, XML),
        ("identity", XML),
        ("gzip", gzip.compress(XML)),
        ("x-gzip", gzip.compress(XML)),
        ("deflate", zlib.compress(XML)),
        ("deflate", zlib.compress(XML)[2:-4]),  # raw deflate, as some servers send
        ("gzip", gzip.compress(XML[:30]) + gzip.compress(XML[30:])),  # two members
        ("gzip", XML),  # mislabelled: plain XML with Content-Encoding gzip
        ("deflate", XML),
    ],
)
def test_decodes(encoding, data):
    assert decode(encoding, data) == XML


def test_a_gzip_bomb_stops_at_the_cap_without_inflating_it():
    bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)  # 64 MiB → ~64 KiB
    dec = CappedDecoder("gzip", 1 << 20)
    produced = 0
    with pytest.raises(BodyTooLarge):
        for i in range(0, len(bomb), 8192):
            produced += len(dec.feed(bomb[i : i + 8192]))
    assert produced <= 1 << 20
    assert dec.decoded_bytes <= (1 << 20) + 1


def test_identity_body_over_the_cap():
    with pytest.raises(BodyTooLarge):
        decode(None, b"x" * 101, limit=100)


@pytest.mark.parametrize(
    ("encoding", "data"),
    [("gzip", b"\x1f\x8b\x08\x00garbage-garbage"), ("gzip", b"\x00\x01binary"), ("br", XML)],
)
def test_corrupt_or_unsupported(encoding, data):
    with pytest.raises(DecodeError):
        decode(encoding, data)
