"""What every group of storage primitives needs: a backend and a clock."""

from __future__ import annotations

from regalsync.storage._sql import Backend
from regalsync.storage.clock import Clock

__all__ = ["Component"]


class Component:
    """Hold the backend and clock that the primitive groups share."""

    def __init__(self, backend: Backend, clock: Clock) -> None:
        self._backend = backend
        self._clock = clock
