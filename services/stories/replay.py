"""Cluster an archive offline with the streaming core, and score it against gold labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .archive import Entry
from .clustering import StoryIndex
from .evaluate import bcubed, link_scores, pairwise

__all__ = ["Replay", "replay", "report"]


@dataclass(slots=True)
class Replay:
    stories: list[str] = field(default_factory=list)  # predicted story per entry
    links: set[tuple[str, str]] = field(default_factory=set)  # every link ever made


def replay(entries: Sequence[Entry], index: StoryIndex) -> Replay:
    """Assign every entry in order; ``now`` is the latest publication time seen."""
    result = Replay()
    now = None
    for entry in entries:
        published = entry.article.article.published
        now = published if now is None or published > now else now
        story, _ = index.assign(entry.article, now)
        result.stories.append(story.id)
        for other in story.links:
            result.links.add((min(story.id, other), max(story.id, other)))
    return result


def report(entries: Sequence[Entry], result: Replay) -> dict[str, Any]:
    """Per-language pairwise and B-cubed scores, story counts, and cross-lingual links."""
    by_lang: dict[str, tuple[list[str], list[str]]] = {}
    for entry, story in zip(entries, result.stories, strict=True):
        if entry.story is not None:
            gold, predicted = by_lang.setdefault(entry.article.article.lang, ([], []))
            gold.append(entry.story)
            predicted.append(story)
    out: dict[str, Any] = {}
    for lang in sorted(by_lang):
        gold, predicted = by_lang[lang]
        out[lang] = {
            "articles": len(gold),
            "gold_stories": len(set(gold)),
            "stories": len(set(predicted)),
            "pairwise": pairwise(gold, predicted).as_dict(),
            "bcubed": bcubed(gold, predicted).as_dict(),
        }
    events = [
        (entry.article.article.lang, entry.event, story)
        for entry, story in zip(entries, result.stories, strict=True)
        if entry.event is not None
    ]
    if events:
        out["links"] = {"pairs": len(result.links), **link_scores(events, result.links).as_dict()}
    return out
