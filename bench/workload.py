"""A synthetic, deterministic news archive and subscription set for the pipeline benchmark.

Articles (~3 KB of text, German and English) belong to stories whose sizes are heavy-
tailed (about half are single articles, a few run to hundreds); the articles of one
story share its topic words and names and are published within hours of each other.
Mentions of the four watched entities follow the stories: ~80 % of stories mention none,
~14 % one entity, ~6 % two, and a story's articles mention its entities with p = 0.85;
articles of other stories mention an entity in passing with p = 0.02. So most articles
mention nothing, some one or two entities — as in a general news feed.

Subscriptions are realistic queries over those entities and the archive's topic words
(entity pairs, entity AND keywords, keyword pairs, language filters, NOT clauses), each
delivered to a webhook URL.

    python -m bench.workload articles 5000 var/bench/archive-5000.jsonl
    python -m bench.workload subscriptions 1000 http://127.0.0.1:9000/hook out.yaml
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

import orjson
import yaml


def _words(text: str) -> list[str]:
    return text.split()


ARTICLES_PER_HOUR = 2_000  # a large aggregator: 100,000 articles span ~2 days
TEXT_BYTES = 3_000
ENTITIES = ("elon_musk", "sam_altman", "openai", "tesla_roadster")
PAIRS = (
    ("elon_musk", "sam_altman"),
    ("sam_altman", "openai"),
    ("elon_musk", "tesla_roadster"),
    ("elon_musk", "openai"),
)
# Mention texts the default watchlist recognises (full forms; "Musk" alone after the full
# name, as newspapers write it).
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "elon_musk": {
        "de": ("Elon Musk", "Musk", "Tesla-Chef Elon Musk"),
        "en": ("Elon Musk", "Musk", "Tesla boss Elon Musk"),
    },
    "sam_altman": {
        "de": ("Sam Altman", "OpenAI-Chef Sam Altman"),
        "en": ("Sam Altman", "OpenAI chief executive Sam Altman"),
    },
    "openai": {
        "de": ("OpenAI",),
        "en": ("OpenAI",),
    },
    "tesla_roadster": {
        "de": ("Tesla Roadster", "Tesla-Roadster"),
        "en": ("Tesla Roadster", "Tesla Roadster"),
    },
}
FUNCTION = {
    "de": _words(
        "der die das und in zu den von mit sich des auf für ist im dem nicht ein eine "
        "als auch es an werden aus er hat dass sie nach wird bei einer um am sind noch "
        "wie einem über einen so zum war haben nur oder aber vor zur bis mehr durch man "
        "sein wurde sei hatte kann gegen vom schon wenn habe seine ihre dann unter wir "
        "soll ich eines jahr zwei diese dieser wieder keine seinem ob dort"
    ),
    "en": _words(
        "the of and to in a is that for it as was with be by on not he this are or his "
        "from at which but have an they you were her she there been one all we their "
        "has would when if so no will more about can said after into than its also two "
        "first new some could these other over most may such only then where many "
        "before those while because"
    ),
}
CONTENT = {
    "de": _words(
        "Regierung Unternehmen Markt Prozent Millionen Milliarden Euro Bericht Woche "
        "Entscheidung Gericht Klage Streit Vertrag Preis Kunden Behörde Ministerium "
        "Sprecher Angaben Zeitung Interview Analyse Experten Zukunft Technologie Daten "
        "Entwicklung Wachstum Investitionen Aktie Börse Anleger Quartal Umsatz Gewinn "
        "Verluste Strategie Verhandlungen Sicherheit Politik Wirtschaft Gesellschaft "
        "Forschung Energie Verkehr Stadt Land Bundesregierung Parlament Wahl Partei "
        "Kritik Vorwurf Forderung Plan Projekt Ziel Jahr Monat Tag Zeit Frage Antwort "
        "erklärte sagte betonte kündigte warnte forderte berichtete bestätigte wies "
        "neue große wichtige deutliche schnelle erste letzte hohe weitere mögliche"
    ),
    "en": _words(
        "government company market percent million billion dollars report week decision "
        "court lawsuit dispute contract price customers agency ministry spokesperson "
        "statement newspaper interview analysis experts future technology data "
        "development growth investment shares stock investors quarter revenue profit "
        "losses strategy talks security politics economy society research energy "
        "transport city country parliament election party criticism claim demand plan "
        "project goal year month day time question answer said told announced warned "
        "called reported confirmed denied new large important clear fast first last "
        "high further possible major recent"
    ),
}
SYLLABLES = _words(
    "ka lo mi ter san dor vel pru gan tis mor bel quin zar fo ret lun pax dru sol "
    "ber nik ost hal wen trum fal gor sen dix"
)
TOPIC_WORDS = 6_000
NAMES = 3_000


@dataclass(frozen=True, slots=True)
class Story:
    index: int
    lang: str
    size: int
    start: datetime
    topic: tuple[str, ...]
    names: tuple[str, ...]
    entities: tuple[str, ...]


class Vocabulary:
    """Invented topic words and names, Zipf-popular, the same for a given seed."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"vocab-{seed}")
        words: dict[str, None] = {}
        while len(words) < TOPIC_WORDS + NAMES:
            words["".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))] = None
        pool = list(words)
        self.topic = pool[:TOPIC_WORDS]
        self.names = [w.capitalize() for w in pool[TOPIC_WORDS:]]
        self.topic_cum = list(accumulate(1 / (r + 1) ** 0.9 for r in range(len(self.topic))))
        self.name_cum = list(accumulate(1 / (r + 1) ** 0.8 for r in range(len(self.names))))
        self.content_cum = {
            lang: list(accumulate(1 / (r + 1) for r in range(len(CONTENT[lang]))))
            for lang in CONTENT
        }

    def draw_topic(self, rng: random.Random, k: int) -> tuple[str, ...]:
        return tuple(dict.fromkeys(rng.choices(self.topic, cum_weights=self.topic_cum, k=k)))

    def draw_names(self, rng: random.Random, k: int) -> tuple[str, ...]:
        return tuple(dict.fromkeys(rng.choices(self.names, cum_weights=self.name_cum, k=k)))


def _story_size(rng: random.Random) -> int:
    """Heavy-tailed: P(1) ~ 0.5, mean ~ 4, a few stories of hundreds."""
    if rng.random() < 0.5:
        return 1
    return min(400, 1 + int(rng.paretovariate(1.3)))


def _story_entities(rng: random.Random) -> tuple[str, ...]:
    roll = rng.random()
    if roll < 0.80:
        return ()
    if roll < 0.94:
        return (rng.choices(ENTITIES, weights=(4, 3, 3, 1))[0],)
    return rng.choice(PAIRS)


def default_start(n: int, now: datetime | None = None) -> datetime:
    """Publication times end about an hour before ``now``: the stories service expires
    stories by wall clock (``STORY_DORMANT_AFTER_S``), so an archive must be recent."""
    now = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    return now - timedelta(hours=math.ceil(n / ARTICLES_PER_HOUR) + 2)


def plan(n: int, seed: int, start: datetime) -> list[tuple[datetime, Story, int]]:
    """(published, story, position in story) for ``n`` articles, in publication order.
    Everything but the time origin ``start`` depends on ``seed`` alone."""
    rng = random.Random(f"plan-{seed}")
    vocab = Vocabulary(seed)
    span_h = max(1.0, n / ARTICLES_PER_HOUR)
    slots: list[tuple[datetime, Story, int]] = []
    index = 0
    while len(slots) < n:
        size = min(_story_size(rng), n - len(slots))
        story = Story(
            index=index,
            lang="de" if rng.random() < 0.55 else "en",
            size=size,
            start=start + timedelta(hours=rng.uniform(0, span_h)),
            topic=vocab.draw_topic(rng, 14),
            names=vocab.draw_names(rng, 4),
            entities=_story_entities(rng),
        )
        at = story.start
        for pos in range(size):
            slots.append((at, story, pos))
            at += timedelta(minutes=rng.expovariate(1 / 20))  # a follow-up every ~20 min
        index += 1
    slots.sort(key=lambda s: (s[0], s[1].index, s[2]))
    return slots


def _sentence(rng: random.Random, vocab: Vocabulary, story: Story, lang: str) -> list[str]:
    fn, content = FUNCTION[lang], CONTENT[lang]
    words = []
    for _ in range(rng.randint(9, 16)):
        roll = rng.random()
        if roll < 0.45:
            words.append(rng.choice(fn))
        elif roll < 0.70:
            words.append(rng.choices(content, cum_weights=vocab.content_cum[lang])[0])
        elif roll < 0.88:
            words.append(rng.choice(story.topic))
        elif roll < 0.94:
            words.append(rng.choice(story.names))
        else:
            words.append(
                vocab.topic[
                    bisect.bisect(vocab.topic_cum, rng.random() * vocab.topic_cum[-1])
                    % len(vocab.topic)
                ]
            )
    return words


def article(
    i: int, published: datetime, story: Story, pos: int, seed: int, vocab: Vocabulary
) -> dict[str, Any]:
    rng = random.Random(f"article-{seed}-{i}")
    lang = story.lang
    mentioned = [e for e in story.entities if rng.random() < 0.85]
    if not story.entities and rng.random() < 0.02:
        mentioned.append(rng.choice(ENTITIES))
    sentences: list[str] = []
    size = 0
    while size < TEXT_BYTES:
        words = _sentence(rng, vocab, story, lang)
        if mentioned and rng.random() < 0.25:
            entity = rng.choice(mentioned)
            words.insert(rng.randint(0, len(words)), rng.choice(ALIASES[entity][lang]))
        line = " ".join(words)
        line = line[0].upper() + line[1:] + "."
        sentences.append(line)
        size += len(line.encode()) + 1
    # every mentioned entity at least once, in its full form, early in the text
    for entity in mentioned:
        full = ALIASES[entity][lang][0]
        sentences.insert(
            rng.randint(0, min(3, len(sentences))),
            f"{full} {rng.choice(FUNCTION[lang])} {rng.choice(story.topic)}.",
        )
    title_words = [*story.topic[:4], story.names[0]]
    rng.shuffle(title_words)
    if mentioned and rng.random() < 0.6:
        title_words.insert(0, ALIASES[mentioned[0]][lang][0] + ":")
    paragraphs = [" ".join(sentences[k : k + 5]) for k in range(0, len(sentences), 5)]
    source = f"source-{rng.randint(1, 60)}.example"
    return {
        "id": f"bench-{seed}-{i:07d}",
        "url": f"https://{source}/{story.index}/{pos}-{i}",
        "title": " ".join(title_words).capitalize(),
        "text": "\n\n".join(paragraphs),
        "lang": lang,
        "published": published.isoformat(),
        "source": source,
    }


def generate(n: int, seed: int = 1, start: datetime | None = None) -> Any:
    """Yield ``n`` archive records (dicts in the replay's JSONL format)."""
    vocab = Vocabulary(seed)
    for i, (published, story, pos) in enumerate(plan(n, seed, start or default_start(n))):
        yield article(i, published, story, pos, seed, vocab)


def write_archive(path: Path, n: int, seed: int = 1, start: datetime | None = None) -> Path:
    """Write the archive; a file already there for the same (n, seed, start) is reused."""
    start = start or default_start(n)
    path.parent.mkdir(parents=True, exist_ok=True)
    done = path.with_suffix(".done")
    stamp = f"{n} {seed} {start.isoformat()}"
    if path.exists() and done.exists() and done.read_text() == stamp:
        return path
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        for record in generate(n, seed, start):
            fh.write(orjson.dumps(record) + b"\n")
    tmp.replace(path)
    done.write_text(stamp)
    return path


def subscriptions(n: int, url: str, secret: str, seed: int = 1) -> list[dict[str, Any]]:
    """``n`` webhook subscriptions with realistic queries over the archive's vocabulary.

    Mostly narrow interests (an entity with topic keywords, keyword pairs), a few broad
    ones (one entity, an entity pair, an entity in one language). Keywords are drawn
    uniformly from the topic vocabulary below its 50 most common words, as people
    subscribe to specific things, not to the commonest words of the news.
    """
    rng = random.Random(f"subs-{seed}")
    vocab = Vocabulary(seed)
    specific = vocab.topic[50:]
    subs = []
    for i in range(n):
        e1, e2 = rng.sample(ENTITIES, 2)
        w1, w2, w3 = rng.sample(specific, 3)
        roll = rng.random()
        if roll < 0.01:
            query = f"@{e1}"
        elif roll < 0.05:
            query = f"@{e1} AND @{e2}"
        elif roll < 0.08:
            query = f"@{e1} AND lang:{rng.choice(('de', 'en'))}"
        elif roll < 0.55:
            query = f"@{e1} AND ({w1} OR {w2})"
        elif roll < 0.93:
            query = f"{w1} AND {w2}"
        elif roll < 0.97:
            query = f"@{e1} AND {w1} AND NOT {w3}"
        else:
            query = f'"{w1} {w2}" OR (@{e1} AND {w3})'
        sub: dict[str, Any] = {
            "id": f"bench-{i:05d}",
            "query": query,
            "channel": {"type": "webhook", "url": url, "secret": secret},
        }
        if rng.random() < 0.3:
            sub["updates"] = {"every_articles": rng.choice((5, 10, 20))}
        subs.append(sub)
    return subs


def write_subscriptions(path: Path, subs: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"subscriptions": subs}, sort_keys=False))
    return path


def stats(records: list[dict[str, Any]]) -> dict[str, float]:
    """Shape of an archive sample: bytes, languages, share of articles with mentions."""
    n = len(records)
    fulls = {forms[lang][0] for forms in ALIASES.values() for lang in ("de", "en")}
    with_mention = sum(any(f in r["text"] for f in fulls) for r in records)
    return {
        "articles": n,
        "mean_text_bytes": sum(len(r["text"].encode()) for r in records) / max(1, n),
        "share_de": sum(r["lang"] == "de" for r in records) / max(1, n),
        "share_with_mentions": with_mention / max(1, n),
        "stories": len({r["url"].split("/")[3] for r in records}),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.workload", description=__doc__.split("\n")[0]
    )
    sub = ap.add_subparsers(dest="what", required=True)
    a = sub.add_parser("articles")
    a.add_argument("n", type=int)
    a.add_argument("out", type=Path)
    a.add_argument("--seed", type=int, default=1)
    s = sub.add_parser("subscriptions")
    s.add_argument("n", type=int)
    s.add_argument("url")
    s.add_argument("out", type=Path)
    s.add_argument("--secret", default="whsec_" + "YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldC0wMQ==")
    s.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if args.what == "articles":
        write_archive(args.out, args.n, args.seed)
        with args.out.open("rb") as fh:
            sample = [orjson.loads(line) for _, line in zip(range(2000), fh, strict=False)]
        print(orjson.dumps(stats(sample)).decode())
    else:
        write_subscriptions(args.out, subscriptions(args.n, args.url, args.secret, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
