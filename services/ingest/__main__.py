"""``python -m services.ingest run`` polls feeds; ``python -m services.ingest replay
[ARCHIVE.jsonl ...] [--speed N]`` publishes the seeds or archives and exits."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from services.ingest import app
from shared import settings as settings_mod


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.ingest")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="poll the feeds in WIREWATCH_FEEDS_FILE until stopped")
    rp = sub.add_parser("replay", help="publish the seed articles or JSONL archives")
    rp.add_argument("archives", nargs="*", type=Path, help="JSONL archives (default: seeds/)")
    rp.add_argument(
        "--speed",
        type=float,
        default=0.0,
        help="0 = as fast as possible (default), 1 = real time, N = N× real time",
    )
    rp.add_argument(
        "--max-gap", type=float, default=5.0, help="longest wait between two articles (s)"
    )
    rp.add_argument(
        "--interval",
        type=float,
        default=0.0,
        help="fixed wait between articles (s); overrides --speed",
    )
    args = parser.parse_args(argv)
    settings = settings_mod.load()
    if args.command == "run":
        asyncio.run(app.run(settings))
        return 0
    return asyncio.run(app.replay(settings, args.archives, args.speed, args.max_gap, args.interval))


if __name__ == "__main__":
    raise SystemExit(main())
