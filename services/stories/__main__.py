"""``python -m services.stories worker`` runs the stories worker; ``cluster ARCHIVE``
clusters an archive offline with the same core; ``evaluate ARCHIVE`` scores the real
pipeline (replay → tagger → stories) against gold labels."""

from services.stories.app import build
from services.stories.cli import cluster_main
from services.stories.harness import evaluate_main
from shared.streaming import service_main

if __name__ == "__main__":
    raise SystemExit(
        service_main("stories", None, build, {"cluster": cluster_main, "evaluate": evaluate_main})
    )
