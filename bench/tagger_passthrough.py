"""The same-run baseline of the tagger agent benchmark (``bench/bench_tagging.py
--agent``): a bare faust-streaming pass-through agent, ``bench.tagger-in`` →
``bench.tagger-out``, raw bytes, one send per event, with the app settings every
wirewatch service uses (``shared.streaming.make_app``: at_least_once, acks=all), on the
same broker as the tagger.

    WIREWATCH_KAFKA_BOOTSTRAP=127.0.0.1:PORT WIREWATCH_TAGGER_PORT=8090 \
        python bench/tagger_passthrough.py worker
"""

from __future__ import annotations

import sys
from pathlib import Path

import faust

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared import topics
from shared.records import Article
from shared.settings import Settings
from shared.streaming import make_app, service_main, topic

SOURCE = topics.TopicSpec("bench.tagger-in", 4, Article)
SINK = topics.TopicSpec("bench.tagger-out", 4, Article)


def build(settings: Settings) -> faust.App:
    app = make_app("bench-tagger-passthrough", settings, settings.tagger_port)
    source, sink = topic(app, SOURCE), topic(app, SINK)

    @app.agent(source)
    async def passthrough(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await sink.send(key=event.key, value=event.value)

    return app


if __name__ == "__main__":
    raise SystemExit(service_main("bench-tagger-passthrough", None, build))
