"""``python -m services.stories worker`` runs the stories worker; ``python -m services.stories
cluster [ARCHIVE.jsonl]`` clusters an archive offline with the same core."""

from services.stories.app import build
from services.stories.cli import cluster_main
from shared.streaming import service_main

if __name__ == "__main__":
    raise SystemExit(service_main("stories", None, build, {"cluster": cluster_main}))
