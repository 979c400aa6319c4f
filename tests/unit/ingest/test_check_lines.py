"""The one stderr line per feed of ``python -m services.ingest check``."""

from __future__ import annotations

from services.ingest.check import summary
from services.ingest.pipeline import RefreshResult

URL = "https://example.org/feed.xml"


def test_ok_line_counts_articles_and_names_why_others_were_skipped() -> None:
    clean = RefreshResult(feed=URL, status="ok", new=1)
    assert summary(URL, clean, 1) == f"ok {URL}: 1 article"
    skipped = RefreshResult(
        feed=URL, status="ok", new=28,
        not_published=(("no http(s) link and no guid", 2),
                       ("near duplicate of an article seen before", 1)),
    )  # fmt: skip
    assert summary(URL, skipped, 28) == (
        f"ok {URL}: 28 articles (3 skipped: 2 no http(s) link and no guid, "
        "1 near duplicate of an article seen before)"
    )


def test_error_line_is_kind_and_reason() -> None:
    failed = RefreshResult(feed=URL, status="error", kind="timeout",
                           reason="timeout: no complete response within 20 s")  # fmt: skip
    assert summary(URL, failed, 0) == f"error {URL}: timeout: no complete response within 20 s"
