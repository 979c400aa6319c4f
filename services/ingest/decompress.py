"""Content-Encoding decoding with a cap on the decoded size.

httpx decodes gzip without a bound (a 64 KiB chunk can become 67 MB), so the
fetcher reads raw bytes and feeds them here. ``feed`` never returns more than the
room left under ``limit``: a gzip or deflate bomb stops at the cap with
``BodyTooLarge`` instead of filling memory.

Servers that label a plain body as gzip/deflate are tolerated: if the body does not
start like the declared encoding but looks like text/XML, it passes through as-is.
"""

from __future__ import annotations

import zlib

__all__ = ["BodyTooLarge", "CappedDecoder", "DecodeError"]

_GZIP_MAGIC = b"\x1f\x8b"
_TEXTISH = (b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b" ", b"\n", b"\r", b"\t")


class BodyTooLarge(ValueError):
    """The (decoded) body passed the size cap."""


class DecodeError(ValueError):
    """The body does not decode with its declared Content-Encoding."""


class CappedDecoder:
    """Decode one response body of ``encoding`` ('' / identity / gzip / deflate)."""

    def __init__(self, encoding: str | None, limit: int) -> None:
        enc = (encoding or "").strip().lower()
        if enc in ("", "identity", "none"):
            enc = "identity"
        elif enc in ("gzip", "x-gzip"):
            enc = "gzip"
        elif enc != "deflate":
            raise DecodeError(f"unsupported Content-Encoding {encoding!r}")
        self._encoding = enc
        self._limit = limit
        self._out = 0
        self._zlib: zlib._Decompress | None = None
        self._sniffed = enc == "identity"
        self._head = b""

    @property
    def decoded_bytes(self) -> int:
        return self._out

    def _count(self, data: bytes) -> bytes:
        self._out += len(data)
        if self._out > self._limit:
            raise BodyTooLarge(f"body exceeds {self._limit} bytes after decoding")
        return data

    def _start(self, head: bytes) -> None:
        """Choose the decoder from the first bytes."""
        self._sniffed = True
        if self._encoding == "gzip":
            if head.startswith(_GZIP_MAGIC):
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
            elif head.lstrip().startswith(_TEXTISH) or head.startswith(_TEXTISH):
                self._encoding = "identity"
            else:
                raise DecodeError("Content-Encoding gzip but the body is not gzip")
        # deflate: zlib-wrapped (RFC 1950) or, as some servers send, raw
        elif len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0:
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        elif head.startswith(_TEXTISH):
            self._encoding = "identity"
        else:
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)

    def _inflate(self, data: bytes) -> bytes:
        assert self._zlib is not None
        parts: list[bytes] = []
        while data:
            room = self._limit - self._out
            try:
                chunk = self._zlib.decompress(data, room + 1)
            except zlib.error as exc:
                raise DecodeError(f"{self._encoding} body is corrupt: {exc}") from None
            parts.append(self._count(chunk))
            data = self._zlib.unconsumed_tail
            if not data and self._zlib.eof and self._zlib.unused_data:
                # concatenated gzip members (RFC 1952 allows several)
                data = self._zlib.unused_data
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return b"".join(parts)

    def feed(self, data: bytes) -> bytes:
        """Decode the next raw chunk; raises ``BodyTooLarge`` or ``DecodeError``."""
        if not self._sniffed:
            self._head += data
            if len(self._head) < 2:
                return b""
            data, self._head = self._head, b""
            self._start(data)
        if self._encoding == "identity":
            return self._count(data)
        return self._inflate(data)

    def flush(self) -> bytes:
        """The rest of the body once the raw stream ended."""
        out = b""
        if not self._sniffed and self._head:
            head, self._head = self._head, b""
            self._encoding = "identity"
            self._sniffed = True
            out = self._count(head)
        if self._zlib is not None:
            try:
                out += self._count(self._zlib.flush())
            except zlib.error as exc:
                raise DecodeError(f"{self._encoding} body is corrupt: {exc}") from None
        return out
