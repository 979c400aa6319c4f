"""``python -m services.stories worker`` runs the stories worker; ``cluster ARCHIVE``
clusters an archive offline with the same core; ``evaluate ARCHIVE`` scores the real
pipeline (replay → tagger → stories) against gold labels, with the stack's evaluation
tool (``services/stack/evaluate.py``: it starts processes, so it lives with the stack)."""

from services.stories.app import build
from services.stories.cli import cluster_main
from shared.streaming import service_main


def evaluate_main(argv: list[str] | None = None) -> int:
    from services.stack.evaluate import evaluate_main as stack_evaluate  # noqa: PLC0415

    return stack_evaluate(argv)


if __name__ == "__main__":
    raise SystemExit(
        service_main("stories", None, build, {"cluster": cluster_main, "evaluate": evaluate_main})
    )
