"""The README tells the truth about settings, services and topics."""

from __future__ import annotations

from services.stack.processes import SERVICES
from shared import topics
from shared.settings import ROOT, markdown_table

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_settings_table_is_the_generated_one() -> None:
    assert markdown_table() in README, "run `python -m shared.settings` and paste its table"


def test_every_service_command_is_documented() -> None:
    for argv in SERVICES.values():
        assert f"python {' '.join(argv)}" in README, argv


def test_every_topic_is_documented() -> None:
    for spec in topics.ALL:
        assert spec.name in README, spec.name
