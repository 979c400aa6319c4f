"""``python -m services.tagger worker`` runs the tagger; ``python -m services.tagger tag``
tags JSON lines or text from stdin with the configured watchlist, without Kafka."""

from services.tagger.app import build
from services.tagger.cli import tag_main
from shared.streaming import service_main

if __name__ == "__main__":
    raise SystemExit(service_main("tagger", None, build, {"tag": tag_main}))
