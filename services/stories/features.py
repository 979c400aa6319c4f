"""What the clusterer sees of one article: term, title and name sets, before weighting."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from shared.records import TaggedArticle

from .tokens import names, numbers, terms

__all__ = ["ArticleFeatures", "extract"]


@dataclass(frozen=True, slots=True)
class ArticleFeatures:
    """Unweighted features; the index weights them with its live IDF."""

    id: str
    lang: str
    title: str
    source: str
    published: datetime
    title_terms: frozenset[str]
    body_terms: Counter[str]  # term → occurrences in title + text
    names: Counter[str]  # name, number or ``@entity`` → occurrences
    entities: tuple[str, ...]


def extract(tagged: TaggedArticle) -> ArticleFeatures:
    """Terms of title and title + text, names, numbers and tagger entities (``@id``)."""
    article = tagged.article
    lang = article.lang.lower()[:2]
    entities = tuple(sorted(tagged.entities))
    text = f"{article.title}\n{article.text}"
    title_terms = terms(article.title, lang)
    name_counts = Counter(names(text))
    name_counts.update(numbers(text))
    name_counts.update({"@" + entity: 2 for entity in entities})
    return ArticleFeatures(
        id=article.id,
        lang=lang,
        title=article.title,
        source=article.source,
        published=article.published,
        title_terms=frozenset(title_terms),
        body_terms=Counter(title_terms + terms(article.text, lang)),
        names=name_counts,
        entities=entities,
    )
