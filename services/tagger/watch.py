"""Hot reload of the watchlist: ``WatchlistReloader(path).current()`` returns a Matcher
for the file as it is now. The tagger calls it for every article; it costs one ``stat``
when nothing changed. A file that changed but does not load (bad YAML, bad entity) is logged
and the previous Matcher stays in use; only the first load may raise."""

from __future__ import annotations

import hashlib
from pathlib import Path

import structlog

from services.tagger.matcher import Matcher
from services.tagger.watchlist import WatchlistError, parse_watchlist

__all__ = ["WatchlistReloader"]

log = structlog.get_logger(__name__)

_Stamp = tuple[int, int]  # (mtime_ns, size)


class WatchlistReloader:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._stamp: _Stamp | None = None
        self._digest = ""
        self._matcher: Matcher | None = None
        self.current()  # fail fast: the first load raises WatchlistError

    @property
    def path(self) -> Path:
        return self._path

    def current(self) -> Matcher:
        try:
            stat = self._path.stat()
        except OSError as exc:
            return self._keep(f"cannot stat: {exc.strerror or exc}")
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp and self._matcher is not None:
            return self._matcher
        try:
            raw = self._path.read_bytes()
        except OSError as exc:
            return self._keep(f"cannot read: {exc.strerror or exc}")
        digest = hashlib.sha256(raw).hexdigest()
        if digest == self._digest and self._matcher is not None:
            self._stamp = stamp
            return self._matcher
        try:
            matcher = Matcher(parse_watchlist(raw, str(self._path)))
        except WatchlistError as exc:
            self._stamp, self._digest = stamp, digest  # do not re-parse every batch
            return self._keep(str(exc))
        if self._matcher is not None:
            log.info(
                "watchlist_reloaded",
                path=str(self._path),
                old_version=self._matcher.version,
                version=matcher.version,
            )
        self._stamp, self._digest, self._matcher = stamp, digest, matcher
        return matcher

    def _keep(self, error: str) -> Matcher:
        if self._matcher is None:
            raise WatchlistError(error if str(self._path) in error else f"{self._path}: {error}")
        log.error(
            "watchlist_invalid", path=str(self._path), error=error, version=self._matcher.version
        )
        return self._matcher
