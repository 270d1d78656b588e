"""Set up structlog and stdlib logging once per process.

Every record, ours or a library's (grpc, aiohttp), goes through the same
chain: context variables (request id, tenant), logger name, level,
redaction of personal data and secrets, ISO timestamp, service name, then
one renderer: console on a terminal, JSON lines otherwise.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from regalsync.redaction import redact_event

__all__ = ["configure_logging"]

_HANDLER_NAME = "regalsync"
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
# Chatty libraries whose debug output says nothing an operator needs.
_QUIET_LOGGERS = ("asyncio", "aiohttp.access", "grpc._cython", "urllib3")


def configure_logging(
    fmt: str = "auto",
    level: str = "info",
    service: str = "",
    *,
    stream: TextIO | None = None,
) -> None:
    """Route structlog and stdlib logging to one redacting renderer.

    ``fmt`` is ``auto`` (console on a terminal, else ``json``), ``json`` or
    ``console``. Calling it again replaces the previous set-up, so tests
    can point output at their own ``stream``.
    """
    output = sys.stderr if stream is None else stream
    threshold = _LEVELS[level.lower()]
    shared = _shared_processors(service)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _renderer(fmt, output),
        ],
    )
    _install_handler(output, formatter, threshold)


def _shared_processors(service: str) -> list[Processor]:
    processors: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
        # Tracebacks become text here so redaction sees them too.
        structlog.processors.format_exc_info,
        redact_event,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if service:
        processors.append(_ServiceName(service))

    return processors


def _renderer(fmt: str, output: TextIO) -> Processor:
    if fmt == "auto":
        fmt = "console" if output.isatty() else "json"
    if fmt == "console":
        return structlog.dev.ConsoleRenderer(
            colors=output.isatty(),
            exception_formatter=structlog.dev.plain_traceback,
        )
    if fmt == "json":
        return structlog.processors.JSONRenderer()

    raise ValueError(f"unknown log format {fmt!r}")


def _install_handler(
    output: TextIO, formatter: logging.Formatter, threshold: int
) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(output)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(threshold)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(threshold, logging.WARNING))


class _ServiceName:
    """Stamp every event with the name of the service that logged it."""

    def __init__(self, service: str) -> None:
        self._service = service

    def __call__(
        self, logger: WrappedLogger, method_name: str, event_dict: EventDict
    ) -> EventDict:
        event_dict.setdefault("service", self._service)

        return event_dict
