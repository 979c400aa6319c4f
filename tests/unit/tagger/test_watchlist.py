"""Watchlist loading: the default file, version hashes, and errors that name the file,
the entity and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.tagger.watchlist import Watchlist, WatchlistError, load_watchlist


def test_default_watchlist(default_watchlist: Path) -> None:
    watchlist = load_watchlist(default_watchlist)
    assert [e.id for e in watchlist.entities] == [
        "elon_musk",
        "sam_altman",
        "openai",
        "tesla_roadster",
    ]
    altman = watchlist.entity("sam_altman").aliases
    assert any(a.text == "Altman" and a.case_sensitive and a.require for a in altman)
    assert any(a.langs == frozenset({"de"}) for a in altman)


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "watch.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_version_is_content_hash(tmp_path: Path) -> None:
    body = "entities:\n  - {id: a, name: A, type: person, aliases: [Ann]}\n"
    first = load_watchlist(write(tmp_path, body))
    assert isinstance(first, Watchlist)
    assert len(first.version) == 12
    assert load_watchlist(write(tmp_path, body)).version == first.version
    assert load_watchlist(write(tmp_path, body + "# note\n")).version != first.version


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("entities: [}", ["not valid YAML"]),
        ("entities: []", ["'entities'"]),
        ("entities:\n  - {id: Bad-Id, name: A, type: person, aliases: [x]}", ["'id'"]),
        ("entities:\n  - {id: a, name: A, type: robot, aliases: [x]}", ["'a'", "'type'"]),
        ("entities:\n  - {id: a, name: A, type: person}", ["'a'", "'aliases'"]),
        ("entities:\n  - {id: a, name: A, type: person, aliases: [' - ']}", ["'a'", "aliases"]),
        (
            "entities:\n  - {id: a, name: A, type: person, aliases: [{text: x, inflekt: true}]}",
            ["'a'", "'aliases'[0]", "inflekt"],
        ),
        (
            "entities:\n  - {id: a, name: A, type: person, aliases: "
            "[{text: x, require: {any: [y], within: -3}}]}",
            ["'a'", "require.within"],
        ),
        (
            "entities:\n  - {id: a, name: A, type: person, aliases: "
            "[{text: x, case_sensitive: 1}]}",
            ["'a'", "case_sensitive"],
        ),
        (
            "entities:\n  - {id: a, name: A, type: person, aliases: [x]}\n"
            "  - {id: a, name: B, type: person, aliases: [y]}",
            ["'a'", "'id'", "duplicate"],
        ),
        ("entities:\n  - {id: a, name: A, type: person, alias: [x]}", ["'a'", "'alias'"]),
    ],
)
def test_errors_name_file_entity_field(tmp_path: Path, body: str, names: list[str]) -> None:
    path = write(tmp_path, body)
    with pytest.raises(WatchlistError) as info:
        load_watchlist(path)
    message = str(info.value)
    assert message.startswith(str(path))
    for name in names:
        assert name in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError, match="cannot read"):
        load_watchlist(tmp_path / "absent.yaml")
