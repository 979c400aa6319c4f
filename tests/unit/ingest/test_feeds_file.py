"""The feeds file: formats accepted and the errors that name the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.ingest.feeds import FeedConfig, FeedsError, load_feeds, parse_feeds


def test_full_and_short_forms(tmp_path: Path):
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "feeds:\n"
        "  - url: https://a.example/rss\n    name: A\n    interval: 600\n"
        "  - https://b.example/atom\n"
        "  - url: https://a.example/rss\n    name: duplicate ignored\n"
    )
    assert load_feeds(path) == [
        FeedConfig("https://a.example/rss", "A", 600.0),
        FeedConfig("https://b.example/atom"),
    ]


@pytest.mark.parametrize("text", ["", "feeds: []", "feeds:\n", "# only a comment\n"])
def test_empty(text):
    assert parse_feeds(text) == []


def test_the_shipped_default_is_empty():
    assert load_feeds(Path(__file__).resolve().parents[3] / "config" / "feeds.yaml") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feeds: [", "not valid YAML"),
        ("- https://a.example/", "mapping with one key 'feeds'"),
        ("feeds: {url: x}", "'feeds' must be a list"),
        ("feeds: [42]", "feeds[0]: expected a URL"),
        ("feeds: [{name: x}]", "feeds[0]: 'url' must be"),
        ("feeds: [ftp://a.example/]", "feeds[0]: 'ftp://a.example/' is not an http(s) URL"),
        ("feeds: [{url: 'https://a.example/', interval: -1}]", "'interval' must be a positive"),
        ("feeds: [{url: 'https://a.example/', interval: yes}]", "'interval' must be a positive"),
        ("feeds: [{url: 'https://a.example/', colour: red}]", "unknown key(s) colour"),
        ("feeds: [https://ok.example/, {url: ''}]", "feeds[1]"),
    ],
)
def test_errors_name_the_problem(text, message):
    with pytest.raises(FeedsError, match=None) as err:
        parse_feeds(text, "feeds.yaml")
    assert message in str(err.value) and str(err.value).startswith("feeds.yaml")


def test_unreadable_file(tmp_path: Path):
    with pytest.raises(FeedsError, match="cannot read"):
        load_feeds(tmp_path / "missing.yaml")
