"""Pick the backend a storage URL names, and bring its schema up to date."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs

import structlog

from regalsync.storage._migrations import load_migrations
from regalsync.storage._models import UnsupportedStorageUrl
from regalsync.storage._postgres import PostgresBackend
from regalsync.storage._sql import Backend
from regalsync.storage._sqlite import SqliteBackend
from regalsync.storage._storage import Storage
from regalsync.storage.clock import Clock, system_clock

__all__ = ["migrate", "open_storage"]

_log = structlog.get_logger(__name__)

_SQLITE = "sqlite://"
_POSTGRES = ("postgresql://", "postgres://")
_MEMORY = ":memory:"


async def open_storage(
    url: str,
    *,
    clock: Clock = system_clock,
    apply_migrations: bool = True,
    max_connections: int = 10,
) -> Storage:
    """Connect to the database `url` names and return its storage.

    `sqlite:///relative.db`, `sqlite:////absolute.db` (optionally with
    `?synchronous=normal`), `sqlite:///:memory:`, or `postgresql://...`.
    Missing migrations are applied first unless `apply_migrations` is
    False (a deployment that runs `migrate` as a separate job).
    """
    backend = await _connect(url, max_connections)
    try:
        if apply_migrations:
            await _migrate(backend)
    except BaseException:
        await backend.close()
        raise

    return Storage(backend, clock)


async def migrate(url: str) -> list[int]:
    """Apply the migrations the database at `url` lacks; return their
    versions. Safe to run from several processes at once."""
    backend = await _connect(url, max_connections=1)
    try:
        return await _migrate(backend)
    finally:
        await backend.close()


async def _connect(url: str, max_connections: int) -> Backend:
    if url.startswith(_POSTGRES):
        return await PostgresBackend.connect(
            url, max_connections=max_connections
        )
    if not url.startswith(_SQLITE + "/"):
        raise UnsupportedStorageUrl(
            "storage URL must start with sqlite:/// or postgresql://"
        )

    path, _, query = url.removeprefix(_SQLITE + "/").partition("?")
    if not path:
        raise UnsupportedStorageUrl("sqlite URL names no file")
    options = {key: values[-1] for key, values in parse_qs(query).items()}
    synchronous = options.get("synchronous", "full")
    if synchronous.upper() not in ("FULL", "NORMAL"):
        raise UnsupportedStorageUrl("synchronous must be full or normal")
    if path != _MEMORY:
        await asyncio.to_thread(_ensure_parent, Path(path))

    return await SqliteBackend.connect(path, synchronous=synchronous)


async def _migrate(backend: Backend) -> list[int]:
    name = backend.dialect.name
    migrations = await asyncio.to_thread(load_migrations, name)
    if not migrations:
        raise RuntimeError(f"no {name} migrations packaged with regalsync")
    applied = await backend.migrate(migrations)
    if applied:
        _log.info("storage_migrated", backend=name, versions=applied)

    return applied


def _ensure_parent(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
