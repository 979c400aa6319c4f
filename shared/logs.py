"""Structured logging: one line per event, JSON when not on a terminal (or when
``WIREWATCH_LOG_FORMAT=json``), readable console lines on a tty. Standard-library
loggers (faust, aiokafka) go through the same renderer."""

from __future__ import annotations

import logging
import sys

import structlog

from shared.settings import Settings

_NOISY = ("aiokafka", "faust", "mode", "aiohttp.access", "httpx", "httpcore")


def setup(settings: Settings, service: str) -> structlog.stdlib.BoundLogger:
    json_out = settings.log_format == "json" or (
        settings.log_format == "auto" and not sys.stderr.isatty()
    )
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = (
        structlog.processors.JSONRenderer()
        if json_out
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = getattr(logging, settings.log_level.upper())
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    structlog.contextvars.bind_contextvars(service=service)
    return structlog.get_logger(service)
