"""``make bench`` = ``python -m bench.run``: run every benchmark of the project, each as a
subprocess with a time limit, and rewrite BENCHMARKS.md with the machine, the date, each
command, its markdown table and the goals beside the figures.

    python -m bench.run                     # everything, full sizes
    python -m bench.run tagging pipeline    # a subset (the others' sections are kept)
    python -m bench.run --quick             # smaller sizes (smoke test)
    python -m bench.run --quick --no-write  # do not touch BENCHMARKS.md

Each benchmark prints a markdown report and, as its last line, one JSON object; every
speed figure in it is a ratio to a baseline measured in the same run (these machines
are shared and noisy). A benchmark that is missing, fails or times out is reported as
such in BENCHMARKS.md and makes the exit status non-zero.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "BENCHMARKS.md"
QUICK_NOTE = " — **quick mode** (smaller sizes)"
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d.* \[(debug|info|warning|error)\s*\] ")


@dataclass(frozen=True)
class Bench:
    name: str
    script: str  # path relative to ROOT, or a module after "-m "
    what: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    timeout_full: float
    timeout_quick: float
    goals: str

    def argv(self, quick: bool) -> list[str]:
        head = self.script.split() if self.script.startswith("-m ") else [self.script]
        return [sys.executable, *head, *(self.quick if quick else self.full)]

    def present(self) -> bool:
        if self.script.startswith("-m "):
            return (ROOT / (self.script[3:].replace(".", "/") + ".py")).exists()
        return (ROOT / self.script).exists()


BENCHES = (
    Bench(
        "ingest",
        "bench/bench_ingest.py",
        "10,000-feed loopback farm through Ingestor.refresh vs plain httpx GETs",
        (),
        ("--feeds", "1000"),
        1800,
        300,
        "steady cycle ≤ 60 s, peak RSS ≤ 500 MB",
    ),
    Bench(
        "tagging",
        "bench/bench_tagging.py",
        "Matcher.find_mentions vs a raw pyahocorasick scan of the same text",
        ("--runs", "5"),
        ("--runs", "3"),
        1200,
        300,
        "core / raw ≥ 0.5",
    ),
    Bench(
        "stories",
        "bench/bench_stories.py",
        "story assignment at 1k/10k/100k live stories",
        ("--runs", "3"),
        ("--size", "1000", "--runs", "3"),
        2400,
        300,
        "≥ 2,000 articles/CPU-s at 100,000 live stories within 2 GB",
    ),
    Bench(
        "matching",
        "bench/bench_matching.py",
        "subscription matching (anchor index) vs same-run brute force",
        ("--runs", "3"),
        ("--subs", "10000", "--articles", "300", "--runs", "3"),
        1800,
        300,
        "see the script's table",
    ),
    Bench(
        "backtest",
        "bench/bench_backtest.py",
        "backtest over an archive vs the stories core alone; preview over a day at 10/s",
        ("--runs", "3"),
        ("--quick", "--runs", "1"),
        1200,
        300,
        "backtest ≥ 1,000 articles/s at 1,000 live stories; preview ≤ 300 ms",
    ),
    Bench(
        "pipeline",
        "-m bench.bench_pipeline",
        "the whole pipeline as processes vs a bare faust pass-through; latency; RSS",
        ("--runs", "3"),
        ("--quick", "--runs", "1"),
        3 * 3600,
        1500,
        "pipeline / pass-through ≥ 1.0; p99 latency ≤ 250 ms at 200 articles/s",
    ),
)


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return {
        "cores": str(os.cpu_count()),
        "memory": f"{mem / 2**30:.1f} GiB",
        "cpu": cpu,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "load": load,
        "commit": _git("rev-parse", "--short", "HEAD"),
    }


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


@dataclass
class Outcome:
    bench: Bench
    command: str
    status: str  # ok | failed | timeout | missing
    seconds: float
    markdown: str
    data: dict[str, Any] | None
    tail: str


def run_one(bench: Bench, quick: bool, log_dir: Path) -> Outcome:
    argv = bench.argv(quick)
    shown = " ".join(shlex.quote(a) for a in ["python", *argv[1:]])
    if not bench.present():
        return Outcome(bench, shown, "missing", 0.0, "", None, "")
    timeout = bench.timeout_quick if quick else bench.timeout_full
    log_dir.mkdir(parents=True, exist_ok=True)
    err_path = log_dir / f"{bench.name}.stderr.log"
    print(f"bench | {bench.name}: {shown} (limit {timeout:.0f} s)", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    with err_path.open("w") as err:
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, _ = proc.communicate(timeout=timeout)
            status = "ok" if proc.returncode == 0 else "failed"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # the benchmark and every service it started
            stdout, _ = proc.communicate()
            status = "timeout"
    seconds = time.monotonic() - t0
    lines = stdout.rstrip().splitlines()
    data = None
    if lines:
        try:
            data = json.loads(lines[-1])
            lines = lines[:-1]
        except json.JSONDecodeError:
            data = None
    if status == "ok" and data is None:
        status = "failed"
    tail = "\n".join(err_path.read_text(errors="replace").splitlines()[-15:])
    print(f"bench | {bench.name}: {status} in {seconds:,.0f} s", file=sys.stderr, flush=True)
    return Outcome(bench, shown, status, seconds, "\n".join(lines).strip(), data, tail)


def _demote(markdown: str) -> str:
    """Headings of a benchmark's own report go below ours (levels 1-3 → 3, deeper → 4); log lines
    a benchmark let slip onto stdout are dropped."""
    out = []
    for line in markdown.splitlines():
        if _LOG_LINE.match(line):
            continue
        level = len(line) - len(line.lstrip("#"))
        out.append("#" * (3 if level <= 3 else 4) + line[level:] if level else line)
    return "\n".join(out)


def _goal_lines(o: Outcome) -> list[str]:
    goals = (o.data or {}).get("goals")
    if not isinstance(goals, dict):
        return [f"Goal: {o.bench.goals}."]
    lines = []
    for name, g in goals.items():
        if not isinstance(g, dict):
            continue
        value = g.get("value")
        shown = f"{value:,.3g}" if isinstance(value, int | float) else str(value)
        verdict = "met" if g.get("met") else "**not met**"
        lines.append(f"- {name}: {shown} (goal {g.get('goal')}) — {verdict}")
    return lines or [f"Goal: {o.bench.goals}."]


def kept_sections(text: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """From an earlier BENCHMARKS.md: its date and commit, and per benchmark its summary
    row and its section, so that a subset run keeps the benchmarks it did not run."""
    date = next(
        (ln[len("- date: ") :] for ln in text.splitlines() if ln.startswith("- date: ")), "?"
    )
    commit = next((ln.split()[2] for ln in text.splitlines() if ln.startswith("- commit ")), "?")
    rows = {ln.split("|")[1].strip(): ln for ln in text.splitlines() if ln.startswith("| ")}
    out: dict[str, tuple[str, str]] = {}
    parts = text.split("\n## ")
    for part in parts[1:]:
        name, _, body = part.partition("\n")
        if name.strip() in rows:
            out[name.strip()] = (rows[name.strip()], body.strip("\n"))
    return f"{date}, commit {commit}", out


def render(
    outcomes: list[Outcome],
    info: dict[str, str],
    quick: bool,
    started: datetime,
    kept: tuple[str, dict[str, tuple[str, str]]] = ("", {}),
) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench.run`); do not edit by hand. Every speed "
        "figure is compared with a baseline measured in the same run on the same machine, "
        "because the machines are shared and noisy: read the ratios, not the absolute rates.",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC{QUICK_NOTE if quick else ''}",
        f"- machine: {info['cores']} cores, {info['memory']}, {info['cpu']}",
        f"- Python {info['python']}, {info['os']}; load average at start {info['load']}",
        f"- commit {info['commit']} (plus the working tree at the time)",
        "",
        "| benchmark | what | status | time | goal |",
        "|---|---|---|---:|---|",
    ]
    ran = {o.bench.name: o for o in outcomes}
    when, old = kept
    for bench in BENCHES:
        o = ran.get(bench.name)
        if o is not None:
            lines.append(
                f"| {o.bench.name} | {o.bench.what} | {o.status} | {o.seconds:,.0f} s "
                f"| {o.bench.goals} |"
            )
        elif bench.name in old:
            lines.append(old[bench.name][0])
    for bench in BENCHES:
        if bench.name not in ran:
            if bench.name in old:
                note = f"*Not re-run by this run: kept from the run of {when}.*"
                lines += ["", f"## {bench.name}", "", note, "", old[bench.name][1]]
            continue
        o = ran[bench.name]
        lines += ["", f"## {o.bench.name}", "", f"`{o.command}`", ""]
        if o.status == "missing":
            lines.append(f"Not run: `{o.bench.script}` does not exist yet.")
            continue
        if o.markdown:
            lines += [_demote(o.markdown), ""]
        lines += _goal_lines(o)
        notes = ROOT / "bench" / f"{o.bench.name}-notes.md"
        if notes.exists():  # hand-written analysis (profiles) kept beside the figures
            lines += ["", _demote(notes.read_text().strip())]
        if o.status != "ok":
            lines += ["", f"**{o.status}** after {o.seconds:,.0f} s; stderr tail:", "", "```"]
            lines += [o.tail, "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", help=f"subset of: {', '.join(b.name for b in BENCHES)}")
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--no-write", action="store_true", help="print, do not write --out")
    args = ap.parse_args(argv)
    known = {b.name: b for b in BENCHES}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        ap.error(f"unknown benchmark(s) {unknown}; known: {', '.join(known)}")
    chosen = [known[n] for n in args.names] if args.names else list(BENCHES)
    started = datetime.now(UTC)
    info = machine()
    outcomes = [run_one(b, args.quick, ROOT / "var" / "bench" / "logs") for b in chosen]
    kept = kept_sections(args.out.read_text()) if args.names and args.out.exists() else ("", {})
    text = render(outcomes, info, args.quick, started, kept)
    if args.no_write:
        print(text)
    else:
        args.out.write_text(text)
        print(f"bench | wrote {args.out}", file=sys.stderr)
    summary = {o.bench.name: {"status": o.status, "data": o.data} for o in outcomes}
    print(json.dumps({"bench": "all", "quick": args.quick, "results": summary}, default=str))
    return 0 if all(o.status in ("ok", "missing") for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
