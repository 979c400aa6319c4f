"""The README tells the truth about settings, services and topics; it and the pages
under docs/ link only to what exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.stack.processes import SERVICES
from shared import topics
from shared.settings import ROOT, markdown_table
from tests.support import docs

README = docs.README.read_text(encoding="utf-8")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_settings_table_is_the_generated_one() -> None:
    assert markdown_table() in README, "run `python -m shared.settings` and paste its table"


def test_every_service_command_is_documented() -> None:
    for argv in SERVICES.values():
        assert f"python {' '.join(argv)}" in README, argv


def test_every_topic_is_documented() -> None:
    for spec in topics.ALL:
        assert spec.name in README, spec.name


@pytest.mark.parametrize("page", docs.PAGES, ids=[p.name for p in docs.PAGES])
def test_every_link_leads_somewhere(page: Path) -> None:
    """The pages moved out of the README link to each other: each link's file exists and
    its #anchor is a heading there."""
    broken = []
    in_code = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code:
            continue
        for target in LINK.findall(line):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, fragment = target.partition("#")
            goal = (page.parent / path).resolve() if path else page
            if not goal.exists() or (
                fragment and goal.suffix == ".md" and fragment not in docs.anchors(goal)
            ):
                broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)}: links to nothing: {broken}"
