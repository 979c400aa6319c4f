"""The online clustering core: joining, dormancy, restore, candidates, links."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from services.stories import clustering
from services.stories.clustering import Limits, StoryIndex
from services.stories.offline import replay

from .builders import T0, seed_article, tagged

FED = (
    "Fed holds interest rates steady as inflation lingers",
    "The Federal Reserve kept its benchmark rate unchanged on Wednesday. Jerome Powell "
    "said the committee would keep watching the labour market. Markets had expected "
    "the decision.",
)
FED_2 = (
    "Powell: Fed in no hurry to cut interest rates",
    "Jerome Powell said the Federal Reserve was in no hurry to lower its benchmark "
    "rate. Inflation remains above the target, Powell told reporters in Washington.",
)
FLOOD = (
    "Floods force thousands from homes in Valencia",
    "Heavy rain flooded large parts of Valencia overnight. Emergency services "
    "evacuated 4,000 residents and closed the airport.",
)
ROADSTER_EN = (
    "Musk and Altman trade barbs over cancelled Tesla Roadster reservation",
    "Sam Altman posted screenshots of his attempt to recover a 39,000 euro deposit for a "
    "Tesla Roadster he reserved in 2018. Elon Musk replied on X that Altman had received "
    "a refund within 24 hours. The OpenAI CEO wrote that 7.5 years was a long time to "
    "wait. Musk and Altman co-founded OpenAI before Musk left its board in 2018.",
)
EARNINGS_EN = (
    "Tesla profit falls as Musk promises robotaxis on earnings call",
    "Tesla reported third-quarter revenue of 28 billion dollars, while net profit fell 37 "
    "percent. On the earnings call, Elon Musk told analysts that robotaxis would launch in "
    "Austin next year. Tesla shares dropped 4 percent in after-hours trading.",
)


def test_related_articles_join_and_unrelated_found_new_stories() -> None:
    index = StoryIndex()
    first, new1 = index.assign(tagged("a1", "en", *FED, T0, source="reuters"), T0)
    flood, new2 = index.assign(tagged("a2", "en", *FLOOD, T0), T0)
    later = T0 + timedelta(hours=5)
    second, new3 = index.assign(tagged("a3", "en", *FED_2, later, source="apnews"), later)
    assert (new1, new2, new3) == (True, True, False)
    assert second.id == first.id != flood.id
    assert second.revision == 2 and second.article_count == 2 and second.source_count == 2
    assert second.members == ("a1", "a3")
    assert (second.first_seen, second.last_seen) == (T0, later)
    assert first.id.startswith("st_") and len(index) == 2
    assert index.get(first.id) == second
    assert {s.id for s in index.stories()} == {first.id, flood.id}


def test_a_story_id_is_stable_for_its_founding_article() -> None:
    one, _ = StoryIndex().assign(tagged("a1", "en", *FED, T0), T0)
    two, _ = StoryIndex().assign(tagged("a1", "en", *FED, T0), T0)
    assert one.id == two.id


def test_threshold_decides_join() -> None:
    strict = StoryIndex(threshold=0.99)
    strict.assign(tagged("a1", "en", *FED, T0), T0)
    _, is_new = strict.assign(tagged("a3", "en", *FED_2, T0), T0)
    assert is_new


def test_languages_never_share_a_story() -> None:
    index = StoryIndex()
    en, _ = index.assign(tagged("en", "en", *ROADSTER_EN, T0), T0)
    de, is_new = index.assign(seed_article(), T0)
    assert is_new and de.id != en.id and de.lang == "de"


def test_dormant_stories_are_dropped_and_release_memory() -> None:
    index = StoryIndex(dormant_after=timedelta(days=3))
    fed, _ = index.assign(tagged("a1", "en", *FED, T0), T0)
    assert index.expire(T0 + timedelta(days=2)) == []
    later = T0 + timedelta(days=4)
    flood, is_new = index.assign(tagged("a2", "en", *FED_2, later), later)
    assert is_new, "a dormant story must not take new articles"
    assert index.get(fed.id) is None and len(index) == 1
    assert index.expire(later + timedelta(days=3, seconds=1)) == [flood.id]
    assert len(index) == 0
    vocab = index._vocab["en"]
    assert vocab.docs == 0 and not vocab.terms and not vocab.names
    assert len(vocab.term_postings) == 0 and len(vocab.name_postings) == 0


def test_activity_keeps_a_story_alive() -> None:
    index = StoryIndex(dormant_after=timedelta(days=3))
    story, _ = index.assign(tagged("a1", "en", *FED, T0), T0)
    day2 = T0 + timedelta(days=2)
    index.assign(tagged("a2", "en", *FED_2, day2), day2)
    assert index.expire(T0 + timedelta(days=4)) == []
    assert index.get(story.id) is not None


def test_story_state_is_bounded() -> None:
    index = StoryIndex(max_members=3)
    for n in range(6):
        t = T0 + timedelta(minutes=n)
        story, _ = index.assign(
            seed_article(t).model_copy(
                update={"article": seed_article(t).article.model_copy(update={"id": f"s{n}"})}
            ),
            t,
        )
    assert story.article_count == 6 and story.members == ("s3", "s4", "s5")
    state = index.export(story.id)
    assert len(state["body"]) <= Limits.body_cap and len(state["names"]) <= Limits.names_cap
    assert len(state["title"]) <= Limits.title_cap


def test_export_load_assign_behaves_as_if_never_restarted(devstream) -> None:
    head, tail = devstream[:430], devstream[430:]
    now = max(e.article.article.published for e in head)
    running = StoryIndex()
    replay(head, running)
    states = [json.loads(json.dumps(running.export(s.id))) for s in running.stories()]
    random.Random(7).shuffle(states)
    restarted = StoryIndex()
    for state in states:
        restarted.load(state)
    assert len(restarted) == len(running)
    for entry in tail:
        now = max(now, entry.article.article.published)
        expected = running.assign(entry.article, now)
        assert restarted.assign(entry.article, now) == expected
    assert sorted(s.id for s in restarted.stories()) == sorted(s.id for s in running.stories())


def test_load_replaces_a_story_that_is_already_live() -> None:
    index = StoryIndex()
    story, _ = index.assign(tagged("a1", "en", *FED, T0), T0)
    state = index.export(story.id)
    index.load(state)
    index.load(state)
    assert len(index) == 1 and index._vocab["en"].docs == 1
    assert index.export(story.id) == state


def test_candidates_come_from_the_inverted_index(monkeypatch: pytest.MonkeyPatch) -> None:
    index = StoryIndex()
    rng = random.Random(3)
    letters = "abcdefghijklmnopqrstuvwxyz"
    for n in range(400):  # 400 unrelated stories with their own vocabulary
        words = ["".join(rng.choices(letters, k=8)) for _ in range(12)]
        index.assign(tagged(f"x{n}", "en", " ".join(words[:4]), " ".join(words), T0), T0)
    assert len(index) == 400
    scored = []
    real = clustering.cosine

    def counting(*args):
        scored.append(args)
        return real(*args)

    monkeypatch.setattr(clustering, "cosine", counting)
    _, is_new = index.assign(tagged("fed", "en", *FED, T0), T0)
    assert is_new and scored == []  # no shared feature: nothing is compared
    index.assign(tagged("fed2", "en", *FED_2, T0), T0)
    assert 0 < len(scored) <= 3 * Limits.candidates + 2  # + the headline check


def test_seed_article_links_to_english_report_of_the_same_dispute() -> None:
    index = StoryIndex()
    index.assign(tagged("fed", "en", *FED, T0), T0)
    de, _ = index.assign(seed_article(), T0)
    t1 = T0 + timedelta(hours=3)
    earnings, _ = index.assign(tagged("earn", "en", *EARNINGS_EN, t1), t1)
    t2 = T0 + timedelta(hours=4)
    en, _ = index.assign(tagged("road", "en", *ROADSTER_EN, t2), t2)
    assert en.id != earnings.id
    assert de.id in en.links
    assert en.id in index.get(de.id).links  # links go both ways
    assert de.id not in index.get(earnings.id).links, "same people, another event"


def test_links_disappear_with_the_linked_story() -> None:
    index = StoryIndex(dormant_after=timedelta(days=1))
    de, _ = index.assign(seed_article(), T0)
    t1 = T0 + timedelta(hours=20)
    en, _ = index.assign(tagged("road", "en", *ROADSTER_EN, t1), t1)
    assert de.id in en.links
    assert index.expire(T0 + timedelta(hours=25)) == [de.id]
    assert index.get(en.id).links == ()
