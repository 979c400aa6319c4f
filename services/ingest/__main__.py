"""``python -m services.ingest``:

- ``run``: poll the feeds until stopped;
- ``replay [ARCHIVE.jsonl ...] [--speed N | --interval S]``: publish the seeds or
  archives and exit (into the running stack when ``WIREWATCH_KAFKA_BOOTSTRAP`` is unset);
- ``check URL... [--json]``: fetch, parse and normalise feeds as polling would, publish
  nothing;
- ``import-opml FILE|URL [--feeds FILE]`` / ``export-opml [--feeds FILE] [-o FILE]``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from pathlib import Path

from services.ingest import app, cli
from shared import kafka, logs
from shared import settings as settings_mod


def _parser() -> argparse.ArgumentParser:
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
    ck = sub.add_parser("check", help="try feeds as polling would; publish nothing")
    ck.add_argument("urls", nargs="+", metavar="URL", help="feed URLs")
    ck.add_argument("--json", action="store_true", help="articles as JSON lines on stdout")
    im = sub.add_parser("import-opml", help="add an OPML file's (or URL's) feeds to the feeds file")
    im.add_argument("source", metavar="FILE|URL", help="an OPML file, or its http(s) URL")
    im.add_argument("--feeds", type=Path, help="feeds file (default: WIREWATCH_FEEDS_FILE)")
    ex = sub.add_parser("export-opml", help="write the feeds file as OPML 2.0")
    ex.add_argument("--feeds", type=Path, help="feeds file (default: WIREWATCH_FEEDS_FILE)")
    ex.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = settings_mod.load()
    if args.command in ("check", "import-opml", "export-opml"):
        # Only the command's own lines on stderr (the pipeline's per-feed log lines would
        # repeat them); errors still show.
        logs.setup(settings.model_copy(update={"log_level": "error"}), "ingest-cli")
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        if args.command == "check":
            return asyncio.run(cli.check(settings, args.urls, as_json=args.json))
        feeds_file = args.feeds or settings.feeds_file
        if args.command == "import-opml":
            return cli.import_opml(settings, args.source, feeds_file)
        return cli.export_opml(feeds_file, args.output)
    settings = kafka.located(settings)  # the running stack's broker when none is set
    if args.command == "run":
        asyncio.run(app.run(settings))
        return 0
    return asyncio.run(app.replay(settings, args.archives, args.speed, args.max_gap, args.interval))


def _main() -> int:
    try:
        return main()
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `check … | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        return 1


if __name__ == "__main__":
    raise SystemExit(_main())
