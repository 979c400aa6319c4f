"""Structured logging: one line per event, JSON when not on a terminal (or when
``WIREWATCH_LOG_FORMAT=json``), readable console lines on a tty. Standard-library
loggers (faust, aiokafka) go through the same renderer; Faust workers get the same
configuration through ``dict_config``."""

from __future__ import annotations

import logging
import logging.config
import sys
from typing import Any

import structlog

from shared.settings import Settings

_NOISY = ("aiokafka", "faust", "mode", "aiohttp.access", "httpx", "httpcore", "apprise")
_CHAIN: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def dict_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` that renders every record through structlog."""
    json_out = settings.log_format == "json" or (
        settings.log_format == "auto" and not sys.stderr.isatty()
    )
    renderer = (
        structlog.processors.JSONRenderer()
        if json_out
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    level = settings.log_level.upper()
    quiet = "WARNING" if level in ("DEBUG", "INFO") else level
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structlog": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": _CHAIN,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "structlog",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {name: {"level": quiet} for name in _NOISY},
    }


def setup(settings: Settings, service: str) -> structlog.stdlib.BoundLogger:
    structlog.configure(
        processors=[*_CHAIN, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.config.dictConfig(dict_config(settings))
    structlog.contextvars.bind_contextvars(service=service)
    return structlog.get_logger(service)  # type: ignore[no-any-return]
