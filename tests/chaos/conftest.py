"""Fault injection on the whole pipeline (``make chaos``). These tests only run when
selected with ``-m chaos``; each scenario's figures are printed and written to CHAOS.md
at the end of the session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIGURES: dict[str, dict[str, Any]] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without ``-m chaos`` (a plain ``pytest``), the scenarios are deselected, not skipped:
    ``make test`` and ``make chaos`` select them explicitly."""
    if "chaos" in (config.getoption("-m") or ""):
        return
    chosen = [item for item in items if "chaos" not in item.keywords]
    if len(chosen) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if "chaos" in i.keywords])
        items[:] = chosen


@pytest.fixture(scope="session")
def chaos_report() -> Iterator[dict[str, dict[str, Any]]]:
    yield FIGURES
    if FIGURES:
        path = ROOT / "CHAOS.md"
        write_report({**previous(path), **FIGURES}, path)


def previous(path: Path) -> dict[str, dict[str, Any]]:
    """The figures of the last report, so a run of one scenario keeps the others'."""
    try:
        text = path.read_text()
        block = text[text.index("```json") + len("```json") : text.rindex("```")]
        old = json.loads(block)
    except (OSError, ValueError):
        return {}
    return old if isinstance(old, dict) else {}


def write_report(figures: dict[str, dict[str, Any]], path: Path) -> None:
    lines = [
        "# Fault injection",
        "",
        "Written by `make chaos` (`pytest -m chaos tests/chaos`); do not edit by hand. The "
        "whole pipeline runs as processes on the embedded broker with a replay in flight and "
        "a loopback webhook receiver that counts distinct `webhook-id`s (idempotency keys). "
        "The subscription `every-article` (`lang:de OR lang:en`, an update for every article) "
        "must deliver one alert per article: **lost** = articles without one; **extra keys** "
        "= articles alerted under more than one key (a repeat the receiver cannot recognise); "
        "**duplicates** = re-sends of a key already received (allowed: at-least-once).",
        "",
        f"Last written: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC (each scenario keeps the "
        "figures of the last run that included it; `ran_at` in the raw figures).",
        "",
        "| scenario | result | articles | alerts expected | received (distinct) "
        "| lost | extra keys | duplicates by key | time to recover | notes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, f in figures.items():
        rec = f.get("recover_s")
        lines.append(
            f"| {name} | {f.get('result', '?')} | {f.get('articles', '–')} "
            f"| {f.get('expected', '–')} | {f.get('received_distinct', '–')} "
            f"| {f.get('lost', '–')} | {f.get('extra_keys', '–')} | {f.get('duplicates', '–')} "
            f"| {'–' if rec is None else f'{rec:.1f} s'} | {f.get('notes', '')} |"
        )
    lines += ["", "Raw figures:", "", "```json", json.dumps(figures, indent=1, default=str), "```"]
    path.write_text("\n".join(lines) + "\n")
