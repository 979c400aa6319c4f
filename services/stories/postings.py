"""Inverted index: feature key → story ids, most recently updated story last.

A lookup reads at most ``scan`` ids per key, newest first, so finding candidates costs
the same with a thousand or a hundred thousand live stories: a key shared by many
stories (a common word, a famous name) only offers the ones updated most recently.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

__all__ = ["Postings"]


class Postings:
    def __init__(self) -> None:
        self._lists: dict[str, dict[str, None]] = {}

    def touch(self, story_id: str, keys: Iterable[str]) -> None:
        """Post ``story_id`` under ``keys`` as the most recent entry."""
        lists = self._lists
        for key in keys:
            posting = lists.get(key)
            if posting is None:
                lists[key] = {story_id: None}
            else:
                posting.pop(story_id, None)
                posting[story_id] = None

    def remove(self, story_id: str, keys: Iterable[str]) -> None:
        lists = self._lists
        for key in keys:
            posting = lists.get(key)
            if posting is not None:
                posting.pop(story_id, None)
                if not posting:
                    del lists[key]

    def score(
        self, weighted_keys: Iterable[tuple[str, float]], scan: int, budget: int
    ) -> dict[str, float]:
        """Sum of key weights per story, over the ``scan`` newest ids of each key.

        Keys are read in the order given (heaviest first) until ``budget`` ids in all
        have been read, so a lookup costs at most ``budget`` steps however many
        stories share the article's commonest features.
        """
        scores: dict[str, float] = {}
        lists = self._lists
        for key, weight in weighted_keys:
            if budget <= 0:
                break
            posting = lists.get(key)
            if posting is None:
                continue
            take = scan if scan < budget else budget
            if len(posting) > take:
                ids: Iterable[str] = list(islice(reversed(posting), take))
                budget -= take
            else:
                ids = posting
                budget -= len(posting)
            if not scores:
                scores = dict.fromkeys(ids, weight)
            elif scores.keys().isdisjoint(ids):
                scores.update(dict.fromkeys(ids, weight))  # C loops: the common case
            else:
                for story_id in ids:
                    if story_id in scores:
                        scores[story_id] += weight
                    else:
                        scores[story_id] = weight
        return scores

    def clear(self) -> None:
        self._lists.clear()

    def __len__(self) -> int:
        return len(self._lists)
