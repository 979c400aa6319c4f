"""Refuse XML that declares entities, before any parser sees it.

feedparser drops external entities and the classic billion-laughs entities, but it
expands internal literal entities (a 100 KB entity used 10,000 times is a 1 GB
"quadratic blow-up"). Feeds have no need for entity declarations, so a document with
a DOCTYPE that declares any ``<!ENTITY`` is refused outright, as defusedxml's
``EntitiesForbidden`` would. The scan is cheap and encoding-agnostic: NUL bytes are
removed first so UTF-16/UTF-32 markup reads as ASCII, and EBCDIC is decoded.
"""

from __future__ import annotations

import re

__all__ = ["UnsafeXML", "check_xml"]

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_EBCDIC_XML_DECL = b"\x4c\x6f\xa7\x94"  # "<?xm" in cp037


class UnsafeXML(ValueError):
    """The document declares entities (or is otherwise refused before parsing)."""


def _ascii_view(data: bytes) -> bytes:
    if data.startswith(_EBCDIC_XML_DECL):
        return data.decode("cp037", errors="replace").encode("ascii", errors="replace")
    return data.replace(b"\x00", b"")


def check_xml(data: bytes) -> None:
    """Raise ``UnsafeXML`` if ``data`` has a DOCTYPE that declares entities."""
    view = _ascii_view(data)
    doctype = _DOCTYPE.search(view)
    if doctype is None:
        return
    if _ENTITY.search(view, doctype.start()):
        raise UnsafeXML("the document declares XML entities (refused: entity expansion/XXE)")
