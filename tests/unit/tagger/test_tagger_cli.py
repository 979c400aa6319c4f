"""The tag command: JSON lines and plain text in, one JSON line per article out."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from services.tagger.cli import tag_main

WATCHLIST = Path(__file__).resolve().parents[3] / "config" / "watchlist.yaml"
Capture = pytest.CaptureFixture[str]


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: Capture, stdin: str, *args: str
) -> tuple[int, list[dict], str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = tag_main(["--watchlist", str(WATCHLIST), *args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_json_and_plain_lines(monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    article = {"id": "x1", "title": "Musk", "text": "Ein Roadster von Tesla", "lang": "de"}
    stdin = json.dumps(article) + "\n\nSam Altman spoke.\n{not json\n"
    code, rows, _ = run(monkeypatch, capsys, stdin)
    assert code == 0
    assert [r["id"] for r in rows] == ["x1", "line-3", "line-4"]
    assert [(m["entity"], m["field"], m["text"]) for m in rows[0]["mentions"]] == [
        ("elon_musk", "title", "Musk"),
        ("tesla_roadster", "text", "Roadster"),
    ]
    assert rows[1]["mentions"][0]["start"] == 0
    assert rows[1]["mentions"][0]["snippet"] == "Sam Altman spoke."
    assert rows[2]["mentions"] == []


def test_plain_flag(monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    _, rows, _ = run(monkeypatch, capsys, '{"text": "OpenAI"}\n', "--plain")
    assert rows[0]["mentions"][0]["text"] == "OpenAI"
    assert rows[0]["mentions"][0]["start"] == 10


def test_bad_watchlist(tmp_path: Path, capsys: Capture) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("entities: 1", encoding="utf-8")
    assert tag_main(["--watchlist", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err
