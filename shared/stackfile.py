"""Where the running stack's broker is: ``<data_dir>/stack.json``.

``python -m services.stack`` (``make run``) writes it once its broker is up and removes
it when it stops::

    {"bootstrap": "127.0.0.1:47775", "embedded": true, "pid": 4242, "started": "…"}

Every other command (``make replay``, ``python -m services.ingest replay``, a single
service) reads it when ``WIREWATCH_KAFKA_BOOTSTRAP`` is unset (``shared.kafka``). A file
whose ``pid`` is no longer running is stale and ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["StackRecord", "path", "read", "remove", "write"]

FILE_NAME = "stack.json"


@dataclass(frozen=True)
class StackRecord:
    bootstrap: str
    embedded: bool
    pid: int
    started: str = ""


def path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def write(data_dir: Path, bootstrap: str, *, embedded: bool, pid: int | None = None) -> Path:
    """Record the stack's broker (atomically: a reader never sees half a file)."""
    record = StackRecord(
        bootstrap=bootstrap,
        embedded=embedded,
        pid=os.getpid() if pid is None else pid,
        started=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    target = path(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{FILE_NAME}.{os.getpid()}")
    tmp.write_text(json.dumps(asdict(record)) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target


def read(data_dir: Path) -> StackRecord | None:
    """The record of a stack that is running now, or ``None`` (missing, unreadable, stale)."""
    try:
        doc = json.loads(path(data_dir).read_text(encoding="utf-8"))
        record = StackRecord(
            bootstrap=str(doc["bootstrap"]),
            embedded=bool(doc["embedded"]),
            pid=int(doc["pid"]),
            started=str(doc.get("started", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not record.bootstrap or not _alive(record.pid):
        return None
    return record


def remove(data_dir: Path, pid: int | None = None) -> None:
    """Remove the record if it is this process's (another stack's record stays)."""
    target = path(data_dir)
    try:
        doc = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(doc, dict) and doc.get("pid") == (os.getpid() if pid is None else pid):
        with contextlib.suppress(OSError):
            target.unlink()
