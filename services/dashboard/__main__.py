"""``python -m services.dashboard worker`` runs the dashboard (page and JSON API)."""

from services.dashboard.app import build
from shared.streaming import service_main

if __name__ == "__main__":
    raise SystemExit(service_main("dashboard", None, build))
