"""The data sets that live beside the repository, in ``../shared/data`` (real news texts
and hostile inputs gathered from other projects' test suites: not ours to commit).

A test that needs one fails with one line naming it when it is absent; it never skips."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.settings import ROOT

SHARED_DATA = ROOT.parent / "shared" / "data"


def require(path: Path) -> Path:
    """``path``, or fail the calling test with one line saying what is missing and where."""
    if not path.exists():
        pytest.fail(
            f"{path} is missing: this test reads the shared data set that lives beside the "
            f"repository ({SHARED_DATA}); put it there",
            pytrace=False,
        )
    return path
