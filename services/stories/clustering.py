"""Online story clustering: one article at a time, candidates from an inverted index.

For each article (Miranda et al. 2018, Laban & Hearst 2017, simplified):

1. drop the stories that went dormant (no article for ``dormant_after``);
2. weigh the article's terms, title terms and names with the live IDF of its language,
   counted over live *stories*, not articles: a burst of fifty reports of one event
   does not make that event's own words common (it would drown them in its own IDF);
3. find candidate stories of the same language through the inverted index (feature →
   stories, newest first, a bounded number per feature), never by scanning all stories;
4. score the best candidates (title, body and name cosines, time decay) and join the
   best one at or above ``threshold``, else found a new story;
5. look for stories in other languages that share enough language-neutral features
   (names, numbers, tagger entities seen in both languages) and link them both ways.

No clock is read: ``now`` is passed in. Every story's state is bounded (capped
centroids, ``max_members`` ids), and ``export``/``load`` restore it exactly.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from itertools import islice
from math import log
from operator import itemgetter
from typing import Any

from shared.records import StorySummary, TaggedArticle

from .features import ArticleFeatures, extract
from .scoring import DORMANT_AFTER, LINK_THRESHOLD, THRESHOLD, Weights, cosine, decay
from .story import MAX_SOURCES, Story
from .vocabulary import Vocabulary

__all__ = ["Limits", "StoryIndex"]


class Limits:
    """Sizes that bound work per article and memory per story."""

    article_terms = 60  # body terms an article contributes (highest IDF first)
    article_names = 30  # names an article contributes
    body_cap, body_keep = 200, 160  # centroid terms: prune to keep when over cap
    title_cap, title_keep = 60, 48
    names_cap, names_keep = 80, 64
    entities_cap = 50
    term_keys, title_keys, name_keys = 12, 8, 10  # what a story is posted under
    query_terms, query_names = 20, 12  # what an article looks up
    scan = 32  # newest story ids read per key
    budget = 160  # story ids read per lookup, all keys together
    candidates = 6  # stories scored in full per article
    candidate_floor = 0.3  # ... if their index overlap is at least this share of the best
    link_candidates = 3
    links = 16
    top_terms = 10


class StoryIndex:
    """Live stories of all languages, with their inverted indexes and IDF statistics."""

    def __init__(
        self,
        *,
        threshold: float = THRESHOLD,
        dormant_after: timedelta = DORMANT_AFTER,
        max_members: int = 50,
        link_threshold: float = LINK_THRESHOLD,
        weights: Weights | None = None,
    ) -> None:
        if max_members < 1:
            raise ValueError("max_members must be at least 1")
        self.threshold = threshold
        self.dormant_after = dormant_after
        self.max_members = max_members
        self.link_threshold = link_threshold
        self.weights = weights or Weights()
        self._stories: dict[str, Story] = {}
        self._vocab: dict[str, Vocabulary] = {}
        self._expiry: list[tuple[datetime, str]] = []
        self._seq = 0
        self._stale_postings = False

    # -- public interface ---------------------------------------------------------

    def assign(self, article: TaggedArticle, now: datetime) -> tuple[StorySummary, bool]:
        """Put ``article`` into its story (or a new one); return it and whether it is new."""
        self._prepare(now)
        features = extract(article)
        vocab = self._vocabulary(features.lang)
        body = _selected(
            features.body_terms, vocab.term_weights(features.body_terms), Limits.article_terms
        )
        title = vocab.term_weights(features.title_terms)
        names = _selected(
            features.names, self._name_weights(vocab, features.names), Limits.article_names
        )

        story, score = self._best(features, vocab, title, body, names)
        is_new = story is None or score < self.threshold
        if story is None or is_new:
            story = Story(
                id=self._new_id(features.id),
                lang=features.lang,
                seq=0,
                first_seen=features.published,
                last_seen=features.published,
                headline=features.title,
                headline_terms=tuple(sorted(features.title_terms)),
            )
            self._stories[story.id] = story
        self._add(story, features, vocab, body, names)
        if story.revision <= 3 or story.revision % 4 == 0:  # links grow with the story
            self._link(story)
        return story.summary(), is_new

    def get(self, story_id: str) -> StorySummary | None:
        story = self._stories.get(story_id)
        return story.summary() if story else None

    def stories(self) -> Iterable[StorySummary]:
        return [story.summary() for story in self._stories.values()]

    def export(self, story_id: str) -> dict[str, Any]:
        """JSON-serialisable state of one live story (``KeyError`` if it is not live)."""
        return self._stories[story_id].to_state()

    def load(self, state: dict[str, Any]) -> None:
        """Restore one exported story; the postings are rebuilt before the next use."""
        story = Story.from_state(state)
        if story.id in self._stories:
            self._drop(self._stories[story.id])
        self._stories[story.id] = story
        self._vocabulary(story.lang).add(
            dict.fromkeys(story.body, 1), dict.fromkeys(story.names, 1), 1
        )
        heapq.heappush(self._expiry, (story.last_seen, story.id))
        self._seq = max(self._seq, story.seq)
        self._stale_postings = True

    def expire(self, now: datetime) -> list[str]:
        """Drop the stories whose last article is older than ``now - dormant_after``."""
        cutoff = now - self.dormant_after
        dropped = []
        while self._expiry and self._expiry[0][0] < cutoff:
            last_seen, story_id = heapq.heappop(self._expiry)
            story = self._stories.get(story_id)
            if story is not None and story.last_seen == last_seen:
                self._drop(story)
                dropped.append(story_id)
        return sorted(dropped)

    def __len__(self) -> int:
        return len(self._stories)

    def __contains__(self, story_id: object) -> bool:
        return story_id in self._stories

    # -- candidates and scores ------------------------------------------------------

    def _best(
        self,
        features: ArticleFeatures,
        vocab: Vocabulary,
        title: Mapping[str, float],
        body: Mapping[str, float],
        names: Mapping[str, float],
    ) -> tuple[Story | None, float]:
        query = dict(islice(body.items(), Limits.query_terms))
        query.update(title)
        ordered = sorted(query.items(), key=_score, reverse=True)  # rarest first
        scores = vocab.term_postings.score(ordered, Limits.scan, Limits.budget)
        by_name = vocab.name_postings.score(
            islice(names.items(), Limits.query_names), Limits.scan, Limits.budget // 2
        )
        if not scores:
            scores = by_name
        else:
            for story_id, weight in by_name.items():
                if story_id in scores:
                    scores[story_id] += weight
                else:
                    scores[story_id] = weight
        if not scores:
            return None, 0.0
        title_sq, body_sq, names_sq = _squares(title), _squares(body), _squares(names)
        title_norm, body_norm, names_norm = (
            math.sqrt(sum(sq.values())) for sq in (title_sq, body_sq, names_sq)
        )
        w = self.weights
        best: Story | None = None
        best_score = -1.0
        ranked = _top(scores, Limits.candidates)
        floor = ranked[0][1] * Limits.candidate_floor
        for story_id, overlap in ranked:
            if overlap < floor:
                break
            story = self._stories[story_id]
            t_norm, b_norm, n_norm = story.norms
            score = (
                w.title * cosine(title_sq, title_norm, story.title, t_norm)
                + w.body * cosine(body_sq, body_norm, story.body, b_norm)
                + w.names * cosine(names_sq, names_norm, story.names, n_norm)
            ) * decay(features.published, story.first_seen, story.last_seen, w.half_life)
            if score > best_score or (score == best_score and best and story.id < best.id):
                best, best_score = story, score
        return best, best_score

    # -- story updates ----------------------------------------------------------------

    def _add(
        self,
        story: Story,
        features: ArticleFeatures,
        vocab: Vocabulary,
        body: Mapping[str, float],
        names: Mapping[str, float],
    ) -> None:
        self._seq += 1
        story.seq = self._seq
        story.revision += 1
        story.article_count += 1
        story.first_seen = min(story.first_seen, features.published)
        moved = features.published > story.last_seen or story.revision == 1
        story.last_seen = max(story.last_seen, features.published)
        ones_body = dict.fromkeys(body, 1)
        ones_names = dict.fromkeys(names, 1)
        vocab.add(  # story frequency: features new to this story's centroid
            {key: 1 for key in body if key not in story.body},
            {key: 1 for key in names if key not in story.names},
            1 if story.revision == 1 else 0,
        )
        _count(story.body, ones_body)
        _count(story.names, ones_names)
        _count(story.title, dict.fromkeys(features.title_terms, 1))
        _count(story.entities, dict.fromkeys(features.entities, 1))
        if features.source not in story.sources and len(story.sources) < MAX_SOURCES:
            story.sources.append(features.source)
        story.members.append(features.id)
        del story.members[: -self.max_members]

        body_w = vocab.term_weights(story.body)
        names_w = self._name_weights(vocab, story.names)
        pruned_body = _prune(story.body, body_w, Limits.body_cap, Limits.body_keep)
        pruned_names = _prune(story.names, names_w, Limits.names_cap, Limits.names_keep)
        if pruned_body or pruned_names:
            vocab.remove(dict.fromkeys(pruned_body, 1), dict.fromkeys(pruned_names, 1), 0)
        # Title terms weigh as in the body (before pruning), else with the IDF after it.
        n_docs, df = 1 + vocab.docs, vocab.terms.get
        title_w = {t: body_w.get(t) or log(n_docs / (1 + df(t, 0))) + 1.0 for t in story.title}
        _prune(story.title, title_w, Limits.title_cap, Limits.title_keep)
        if len(story.entities) > Limits.entities_cap:
            _prune(
                story.entities,
                dict.fromkeys(story.entities, 1.0),
                Limits.entities_cap,
                Limits.entities_cap,
            )

        story.norms = (
            _norm(story.title, title_w),
            _norm(story.body, body_w),
            _norm(story.names, names_w),
        )
        self._update_headline(story, features, vocab)
        ranked_body = _ranked(story.body, body_w, Limits.term_keys)
        story.top_terms = tuple(ranked_body[: Limits.top_terms])
        term_keys = tuple(
            dict.fromkeys(ranked_body + _ranked(story.title, title_w, Limits.title_keys))
        )
        name_keys = tuple(_ranked(story.names, names_w, Limits.name_keys))
        old_terms, old_names = story.term_keys, story.name_keys
        if old_terms != term_keys:
            vocab.term_postings.remove(story.id, set(old_terms) - set(term_keys))
        if old_names != name_keys:
            vocab.name_postings.remove(story.id, set(old_names) - set(name_keys))
        vocab.term_postings.touch(story.id, term_keys)
        vocab.name_postings.touch(story.id, name_keys)
        story.term_keys, story.name_keys = term_keys, name_keys
        if moved:
            heapq.heappush(self._expiry, (story.last_seen, story.id))

    def _update_headline(self, story: Story, features: ArticleFeatures, vocab: Vocabulary) -> None:
        """Keep the headline whose title is closest to the title centroid."""
        if story.revision == 1:
            return
        candidate = tuple(sorted(features.title_terms))

        def closeness(terms: tuple[str, ...]) -> float:
            sq = {t: w**2 for t, w in vocab.term_weights(terms).items()}
            return cosine(sq, math.sqrt(sum(sq.values())), story.title, story.norms[0])

        if closeness(candidate) > closeness(story.headline_terms):
            story.headline, story.headline_terms = features.title, candidate

    def _drop(self, story: Story) -> None:
        vocab = self._vocab[story.lang]
        vocab.remove(dict.fromkeys(story.body, 1), dict.fromkeys(story.names, 1), 1)
        vocab.term_postings.remove(story.id, story.term_keys)
        vocab.name_postings.remove(story.id, story.name_keys)
        for other_id in story.links:
            other = self._stories.get(other_id)
            if other is not None and story.id in other.links:
                other.links.remove(story.id)
        del self._stories[story.id]

    # -- cross-lingual links ------------------------------------------------------------

    def _link(self, story: Story) -> None:
        """Link ``story`` to the stories of other languages that share its neutral names."""
        own_vocab = self._vocab[story.lang]
        for lang, other_vocab in self._vocab.items():
            if lang == story.lang or not other_vocab.docs or len(story.links) >= Limits.links:
                continue
            shared = self._neutral(story, own_vocab, other_vocab)
            if not shared:
                continue
            query = [
                (name, w)
                for w, name in sorted([(w, name) for name, w in shared.items()], reverse=True)[
                    : Limits.name_keys
                ]
            ]
            scores = other_vocab.name_postings.score(query, Limits.scan, Limits.budget // 2)
            shared_sq = sum(w * w for w in shared.values())
            for other_id, _ in _top(scores, Limits.link_candidates):
                other = self._stories[other_id]
                if other_id in story.links or len(other.links) >= Limits.links:
                    continue
                score = self._shared_score(
                    story, other, wa=shared, wa_sq=shared_sq, va=own_vocab, vb=other_vocab
                )
                if score >= self.link_threshold:
                    story.links.append(other_id)
                    other.links.append(story.id)

    def _link_score(self, a: Story, b: Story) -> float:
        """Cosine of two stories over the names seen in both languages, time-decayed."""
        va, vb = self._vocab[a.lang], self._vocab[b.lang]
        wa = self._neutral(a, va, vb)
        return self._shared_score(a, b, wa=wa, wa_sq=sum(w * w for w in wa.values()), va=va, vb=vb)

    @staticmethod
    def _neutral(story: Story, own: Vocabulary, other: Vocabulary) -> dict[str, float]:
        """Count × IDF over both languages of the story's names that ``other`` has too."""
        other_names = other.names
        n_docs = 1 + own.docs + other.docs
        own_df, other_df = own.names.get, other_names.get
        return {
            name: count * (log(n_docs / (1 + own_df(name, 0) + other_df(name, 0))) + 1.0)
            for name, count in story.names.items()
            if name in other_names
        }

    def _shared_score(
        self,
        a: Story,
        b: Story,
        *,
        wa: Mapping[str, float],
        wa_sq: float,
        va: Vocabulary,
        vb: Vocabulary,
    ) -> float:
        """``_link_score`` of ``a`` and ``b``, given ``a``'s neutral weights ``wa``."""
        wb = self._neutral(b, vb, va)
        dot = sum(w * wb[n] for n, w in wa.items() if n in wb)
        if not dot:
            return 0.0
        norm = math.sqrt(wa_sq * sum(w * w for w in wb.values()))
        time = decay(a.last_seen, b.first_seen, b.last_seen, self.weights.half_life)
        return dot / norm * time

    def _name_weights(self, vocab: Vocabulary, names: Iterable[str]) -> dict[str, float]:
        """IDF of each name, damped unless it is language-neutral: a number, a tagger
        entity, or a name also seen in another language (German capitalises every
        noun; a name shared with English is more likely a real name)."""
        others = [other.names for other in self._vocab.values() if other is not vocab]
        damp = self.weights.local_name
        weights = vocab.name_weights(names)
        if len(others) == 1:
            other = others[0]
            for name, w in weights.items():
                if name[0] not in "#@" and name not in other:
                    weights[name] = w * damp
        else:
            for name, w in weights.items():
                if name[0] not in "#@" and not any(name in o for o in others):
                    weights[name] = w * damp
        return weights

    # -- housekeeping ---------------------------------------------------------------------

    def _prepare(self, now: datetime) -> None:
        if self._stale_postings:
            self._rebuild()
        self.expire(now)

    def _rebuild(self) -> None:
        """After loads: repost every story in update order and repair links both ways."""
        for vocab in self._vocab.values():
            vocab.term_postings.clear()
            vocab.name_postings.clear()
        for story in sorted(self._stories.values(), key=lambda s: s.seq):
            vocab = self._vocab[story.lang]
            vocab.term_postings.touch(story.id, story.term_keys)
            vocab.name_postings.touch(story.id, story.name_keys)
            story.links = [other for other in story.links if other in self._stories]
        for story in self._stories.values():
            for other_id in story.links:
                other = self._stories[other_id]
                if story.id not in other.links:
                    other.links.append(story.id)
        self._stale_postings = False

    def _vocabulary(self, lang: str) -> Vocabulary:
        vocab = self._vocab.get(lang)
        if vocab is None:
            vocab = self._vocab[lang] = Vocabulary()
        return vocab

    def _new_id(self, article_id: str) -> str:
        digest = hashlib.sha1(article_id.encode(), usedforsecurity=False).hexdigest()
        while "st_" + digest[:12] in self._stories:
            digest = hashlib.sha1(digest.encode(), usedforsecurity=False).hexdigest()
        return "st_" + digest[:12]


_score = itemgetter(1)  # candidates: best first, ties in posting order (deterministic)


def _selected(counts: Mapping[str, int], weights: Mapping[str, float], k: int) -> dict[str, float]:
    """IDF of the ``k`` features with the highest TF-IDF (sublinear TF), heaviest first."""
    ranked = sorted(
        [((1.0 if n == 1 else 1.0 + log(n)) * weights[key], key) for key, n in counts.items()],
        reverse=True,
    )
    return {key: weights[key] for _, key in ranked[:k]}


def _top(scores: dict[str, float], k: int) -> list[tuple[str, float]]:
    """The ``k`` best-scored ids, ties in the order of ``scores`` (as ``heapq.nlargest``)."""
    return sorted(scores.items(), key=_score, reverse=True)[:k]


def _norm(centroid: Mapping[str, int], weights: Mapping[str, float]) -> float:
    """``scoring.centroid_norm`` with the weights given as a mapping."""
    total = 0.0
    for key, count in centroid.items():
        w = count * weights[key]
        total += w * w
    return math.sqrt(total)


def _squares(weights: Mapping[str, float]) -> dict[str, float]:
    return {key: w * w for key, w in weights.items()}


def _count(counts: dict[str, int], delta: Mapping[str, int]) -> None:
    for key, n in delta.items():
        counts[key] = counts.get(key, 0) + n


def _ranked(counts: Mapping[str, int], weight: Mapping[str, float], k: int) -> list[str]:
    """The ``k`` keys of highest count × weight (ties: the greater key first)."""
    ranked = sorted([(c * weight[key], key) for key, c in counts.items()], reverse=True)
    return [key for _, key in ranked[:k]]


def _prune(
    counts: dict[str, int], weight: Mapping[str, float], cap: int, keep: int
) -> dict[str, int]:
    """Above ``cap`` entries, drop the lightest down to ``keep``; return what was dropped."""
    if len(counts) <= cap:
        return {}
    ranked = sorted((c * weight[key], key) for key, c in counts.items())
    dropped = {key: counts.pop(key) for _, key in ranked[: len(counts) - keep]}
    return dropped
