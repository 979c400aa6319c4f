"""``tag --explain``: every candidate the tagger dropped, with the rule that dropped it."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from services.ingest.replay import load_seeds
from services.tagger.cli import tag_main
from services.tagger.explain import Explainer
from services.tagger.matcher import Matcher
from shared.settings import ROOT

SEEDS = {a.id: a for a in load_seeds(ROOT / "seeds", datetime(2026, 1, 1, tzinfo=UTC))}


@pytest.fixture(scope="module")
def explainer(matcher: Matcher) -> Explainer:
    return Explainer(matcher)


def rules(explainer: Explainer, title: str, text: str, lang: str) -> list[tuple[str, str, str]]:
    mentions, dropped = explainer.explain(title, text, lang)
    assert mentions == explainer.matcher.find_mentions(title, text, lang)  # the same mentions
    for d in dropped:
        value = title if d.field == "title" else text
        assert value[d.start : d.end] == d.text
    return [(d.entity, d.text, d.rule) for d in dropped]


def test_each_rule_is_named(explainer: Explainer) -> None:
    text = (
        "The Altmann family and musk perfume. Sam Altman of OpenAI spoke. "
        "Mazda MX-5 Roadster. Der Tesla-Chef lobt Muskeln."
    )
    assert rules(explainer, "Robert Altman retrospective", text, "en") == [
        ("sam_altman", "Altman", "exclusion"),
        ("sam_altman", "Altmann", "look-alike"),
        ("elon_musk", "musk", "look-alike"),
        ("sam_altman", "Altman", "overlap"),
        ("tesla_roadster", "Roadster", "exclusion"),
        ("elon_musk", "Tesla-Chef", "language"),
        ("elon_musk", "Muskeln", "look-alike"),
    ]
    _, dropped = explainer.explain("Robert Altman retrospective", text, "en")
    assert dropped[0].detail == "'Robert' right before it"
    assert dropped[3].detail == "inside the longer mention 'Sam Altman'"


def test_missing_context(explainer: Explainer) -> None:
    _, dropped = explainer.explain("Altman spricht", "Ein Roadster kam.", "de")
    assert [(d.entity, d.rule) for d in dropped] == [
        ("sam_altman", "missing context"),
        ("tesla_roadster", "missing context"),
    ]
    assert dropped[1].detail == "none of ['Tesla', 'Musk', 'Elon Musk'] within 400 characters"


def test_the_trap_seeds_say_why_they_have_no_mention(explainer: Explainer) -> None:
    by_title = {a.title: a for a in SEEDS.values()}
    mazda = by_title["Mazda gives the MX-5 Roadster a lighter special edition"]
    director = by_title["Robert Altman retrospective opens with a restored print of Nashville"]
    for article, entity in ((mazda, "tesla_roadster"), (director, "sam_altman")):
        mentions, dropped = explainer.explain(article.title, article.text, article.lang)
        assert mentions == ()
        assert dropped and {d.entity for d in dropped} == {entity}
        assert {d.rule for d in dropped} <= {"exclusion", "missing context"}
        assert "exclusion" in {d.rule for d in dropped}


def test_cli_explain(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    article = {"id": "r1", "title": "Robert Altman", "text": "A film.", "lang": "en"}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(article) + "\n"))
    watchlist = str(ROOT / "config" / "watchlist.yaml")
    assert tag_main(["--watchlist", watchlist, "--explain"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["mentions"] == []
    assert row["dropped"] == [
        {
            "entity": "sam_altman",
            "alias": "Altman",
            "text": "Altman",
            "field": "title",
            "start": 7,
            "end": 13,
            "rule": "exclusion",
            "detail": "'Robert' right before it",
        }
    ]
