"""Settings of one Regal sandbox process, fixed at start."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_RATE_LIMIT = 300
"""Requests per second per account, as Regal documents."""

DEFAULT_WEBHOOK_TIMEOUT = 5.0
"""Seconds Regal waits for a webhook receiver before giving up."""


@dataclass(frozen=True)
class SandboxSettings:
    """Say where the sandbox listens and which accounts it serves.

    An empty ``api_keys`` makes the sandbox generate one account key at
    start; ``rate_limit`` 0 turns the limit off.
    """

    host: str = "127.0.0.1"
    port: int = 0
    api_keys: tuple[str, ...] = ()
    rate_limit: int = DEFAULT_RATE_LIMIT
    state_dir: Path | None = None
    brand: str = "sandbox-brand"
    shutdown_timeout: float = 5.0
    log_level: str = "info"
    """Lowest level the command-line entry point logs; in-process runs keep theirs."""
