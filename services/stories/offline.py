"""Cluster an archive offline with the streaming core, and score it against gold labels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .archive import Entry
from .baseline import TfidfBaseline
from .clustering import StoryIndex
from .evaluate import alerts_per_story, bcubed, link_scores, pairwise

__all__ = ["Replay", "baseline", "replay", "report"]


@dataclass(slots=True)
class Replay:
    stories: list[str] = field(default_factory=list)  # predicted story per entry
    links: set[tuple[str, str]] = field(default_factory=set)  # every link ever made
    new: list[bool] = field(default_factory=list)  # whether the entry founded its story


def replay(entries: Sequence[Entry], index: StoryIndex) -> Replay:
    """Assign every entry in order; ``now`` is the latest publication time seen."""
    result = Replay()
    now = None
    for entry in entries:
        published = entry.article.article.published
        now = published if now is None or published > now else now
        story, is_new = index.assign(entry.article, now)
        result.stories.append(story.id)
        result.new.append(is_new)
        for other in story.links:
            result.links.add((min(story.id, other), max(story.id, other)))
    return result


def baseline(entries: Sequence[Entry]) -> Replay:
    """The same archive through the plain TF-IDF single-pass peer (``baseline.py``)."""
    peer = TfidfBaseline()
    result = Replay()
    for entry in entries:
        story, is_new = peer.assign(entry.article)
        result.stories.append(story)
        result.new.append(is_new)
    return result


def report(entries: Sequence[Entry], result: Replay, peer: Replay | None = None) -> dict[str, Any]:
    """Per-language scores, story counts and new-story alerts per real story, then the
    cross-lingual links; with ``peer``, the baseline's pairwise F1 and the ratio to it.

    ``without_largest`` scores the language without its largest real story (the German
    development corpus has one story that holds 95 % of its same-story pairs).
    """
    by_lang: dict[str, tuple[list[str], list[str], list[bool], list[str]]] = {}
    for n, (entry, story) in enumerate(zip(entries, result.stories, strict=True)):
        if entry.story is not None:
            gold, predicted, new, base = by_lang.setdefault(
                entry.article.article.lang, ([], [], [], [])
            )
            gold.append(entry.story)
            predicted.append(story)
            new.append(result.new[n] if result.new else False)
            base.append(peer.stories[n] if peer else "")
    out: dict[str, Any] = {}
    for lang in sorted(by_lang):
        gold, predicted, new, base = by_lang[lang]
        largest = Counter(gold).most_common(1)[0][0]
        rest = [i for i, g in enumerate(gold) if g != largest]
        scores: dict[str, Any] = {
            "articles": len(gold),
            "gold_stories": len(set(gold)),
            "stories": len(set(predicted)),
            "pairwise": pairwise(gold, predicted).as_dict(),
            "bcubed": bcubed(gold, predicted).as_dict(),
            "without_largest": {
                "story": largest,
                "pairwise": pairwise(
                    [gold[i] for i in rest], [predicted[i] for i in rest]
                ).as_dict(),
            },
        }
        if result.new:
            scores["alerts"] = alerts_per_story(gold, new)
        if peer is not None:
            peer_f1 = pairwise(gold, base).f1
            scores["baseline"] = {
                "pairwise_f1": round(peer_f1, 4),
                "bcubed_f1": round(bcubed(gold, base).f1, 4),
                "ratio": round(pairwise(gold, predicted).f1 / peer_f1, 2) if peer_f1 else None,
            }
        out[lang] = scores
    events = [
        (entry.article.article.lang, entry.event, story)
        for entry, story in zip(entries, result.stories, strict=True)
        if entry.event is not None
    ]
    if events:
        out["links"] = {"pairs": len(result.links), **link_scores(events, result.links).as_dict()}
    return out
