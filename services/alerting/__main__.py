"""``python -m services.alerting worker`` runs alerting; ``python -m services.alerting
redrive`` sends dead-lettered alerts back for delivery; ``python -m services.alerting
backtest QUERY [ARCHIVE…]`` shows the alerts a query would have sent."""

from services.alerting.app import build
from services.alerting.cli import backtest_main
from services.alerting.redrive import redrive_main
from shared.streaming import service_main

if __name__ == "__main__":
    raise SystemExit(
        service_main("alerting", None, build, {"redrive": redrive_main, "backtest": backtest_main})
    )
