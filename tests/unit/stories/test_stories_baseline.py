"""The plain TF-IDF single-pass peer that the evaluation prints beside the system."""

from __future__ import annotations

from datetime import timedelta

from services.stories.baseline import TfidfBaseline

from .builders import T0, tagged


def test_baseline_joins_the_same_words_and_founds_on_new_ones() -> None:
    peer = TfidfBaseline(threshold=0.3)
    first, new1 = peer.assign(tagged("a1", "en", "Fed holds rates", "The Fed kept rates.", T0))
    same, new2 = peer.assign(
        tagged("a2", "en", "Fed holds rates steady", "The Fed kept its rates.", T0)
    )
    other, new3 = peer.assign(tagged("a3", "en", "Storm in Valencia", "Floods hit Spain.", T0))
    assert (new1, new2, new3) == (True, False, True)
    assert same == first != other


def test_baseline_keeps_languages_apart_and_closes_dormant_stories() -> None:
    peer = TfidfBaseline(threshold=0.1, dormant_after=timedelta(hours=1))
    en, _ = peer.assign(tagged("a1", "en", "Tesla Roadster", "Tesla Roadster", T0))
    de, new_de = peer.assign(tagged("a2", "de", "Tesla Roadster", "Tesla Roadster", T0))
    late, new_late = peer.assign(
        tagged("a3", "en", "Tesla Roadster", "Tesla Roadster", T0 + timedelta(hours=2))
    )
    assert new_de and de != en
    assert new_late and late != en
