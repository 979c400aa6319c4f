"""``python -m shared.create_topics``: create every wirewatch topic on the configured
cluster (idempotent). The topics are defined in ``shared.topics``; creating them is
``shared.kafka.ensure_topics``."""

from __future__ import annotations

import asyncio

from shared import kafka, logs, settings


def main() -> int:
    conf = settings.load()
    logs.setup(conf, "topics")
    asyncio.run(kafka.ensure_topics(conf))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
