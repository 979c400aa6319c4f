"""The offline ``cluster`` command on JSONL and on Miranda et al.'s JSON list."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from services.stories.cli import cluster_main

from .builders import DEVSTREAM

ARTICLES = [
    {
        "id": "1",
        "date": "2014-10-21 09:00:00",
        "lang": "eng",
        "cluster": "c1",
        "title": "Fed holds interest rates steady",
        "text": "The Federal Reserve kept its rate unchanged. Jerome Powell spoke in Washington.",
    },
    {
        "id": "2",
        "date": "2014-10-21 10:00:00",
        "lang": "eng",
        "cluster": "c1",
        "title": "Powell: Fed holds rates, watches inflation",
        "text": "Jerome Powell said the Federal Reserve kept its rate unchanged in Washington.",
    },
    {
        "id": "3",
        "date": "2014-10-21 11:00:00",
        "lang": "deu",
        "cluster": "c2",
        "title": "Hochwasser in Valencia",
        "text": "In Valencia mussten 4.000 Menschen ihre "
        "Häuser verlassen. Der Flughafen Valencia wurde geschlossen.",
    },
]


def test_assignments_from_a_miranda_json_list(tmp_path: Path, capsys) -> None:
    path = tmp_path / "dataset.test.json"
    path.write_text(json.dumps(ARTICLES))
    assert cluster_main([str(path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["id"] for line in lines] == ["1", "2", "3"]
    assert lines[0]["story"] == lines[1]["story"] != lines[2]["story"]


def test_evaluate_prints_scores_per_language(capsys) -> None:
    assert cluster_main([str(DEVSTREAM), "--evaluate"]) == 0
    rows = {row["lang"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert set(rows) == {"de", "en", "links"}
    assert set(rows["en"]["pairwise"]) == {"p", "r", "f1"} and rows["en"]["bcubed"]["f1"] > 0.5


def test_reads_jsonl_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys) -> None:

    lines = "\n".join(json.dumps(a) for a in ARTICLES)
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert cluster_main(["--threshold", "0.99", "--dormant-hours", "1"]) == 0
    stories = [json.loads(line)["story"] for line in capsys.readouterr().out.splitlines()]
    assert len(set(stories)) == 3


def test_bad_input_is_reported_not_raised(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "1"}\nnot json\n')
    assert cluster_main([str(path)]) == 2
    assert "cannot read" in capsys.readouterr().err
