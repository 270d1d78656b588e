"""Load numbered schema migrations and apply the missing ones."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from importlib import resources

import structlog

from regalsync.storage._sql import Migration, Tx

__all__ = ["apply_migrations", "load_migrations"]

_log = structlog.get_logger(__name__)

_FILE = re.compile(r"^(\d{4})_(\w+)\.(\w+)\.sql$")


def load_migrations(backend: str) -> list[Migration]:
    """Return the migrations written for `backend`, in version order."""
    folder = resources.files("regalsync.storage.migrations")
    found = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match and match.group(3) == backend:
            version, name = int(match.group(1)), match.group(2)
            found.append(Migration(version, name, entry.read_text("utf-8")))

    return sorted(found, key=lambda migration: migration.version)


async def apply_migrations(
    tx: Tx, migrations: Sequence[Migration], ledger_ddl: str
) -> list[int]:
    """Apply, inside the caller's locked transaction, the migrations not
    yet recorded in `schema_migrations`; return their versions."""
    await tx.execute(ledger_ddl)
    rows = await tx.fetch("SELECT version FROM schema_migrations")
    applied = {int(row[0]) for row in rows}
    newest_known = max((m.version for m in migrations), default=0)
    if applied and max(applied) > newest_known:
        # An older replica during a rolling upgrade; migrations are
        # additive, so it keeps working, but operators should know.
        _log.warning(
            "storage_schema_newer_than_code",
            schema_version=max(applied),
            code_version=newest_known,
        )

    done = []
    for migration in migrations:
        if migration.version in applied:
            continue
        for statement in migration.statements():
            await tx.execute(statement)
        await tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at)"
            " VALUES (?, ?, ?)",
            (migration.version, migration.name, time.time()),
        )
        done.append(migration.version)

    return done
