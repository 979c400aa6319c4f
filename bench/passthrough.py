"""The baseline of the pipeline benchmark: a bare faust-streaming pass-through agent,
``bench.passthrough-in`` → ``bench.passthrough-out``, raw bytes, one send and one
counter increment per event (the services count the same way), with the app settings
every wirewatch service uses (``shared.streaming.make_app``: at_least_once, acks=all,
Prometheus sensor) on the same broker.

    WIREWATCH_KAFKA_BOOTSTRAP=127.0.0.1:PORT WIREWATCH_TAGGER_PORT=8090 \
        python -m bench.passthrough worker
"""

from __future__ import annotations

import faust
from prometheus_client import Counter

from shared import topics
from shared.records import Article
from shared.settings import Settings
from shared.streaming import make_app, service_main, topic

SOURCE = topics.TopicSpec("bench.passthrough-in", 4, Article)
SINK = topics.TopicSpec("bench.passthrough-out", 4, Article)
PORT_SETTING = "WIREWATCH_TAGGER_PORT"  # the bench gives it the tagger's port variable
PASSED = Counter("bench_passthrough_events_total", "Events passed through (after the send).")


def build(settings: Settings) -> faust.App:
    app = make_app("bench-passthrough", settings, settings.tagger_port)
    source, sink = topic(app, SOURCE), topic(app, SINK)

    @app.agent(source)
    async def passthrough(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await sink.send(key=event.key, value=event.value)
            PASSED.inc()

    return app


def main(argv: list[str] | None = None) -> int:
    return service_main("bench-passthrough", argv, build)


if __name__ == "__main__":
    raise SystemExit(main())
