"""Run every storage contract test on SQLite and on PostgreSQL.

PostgreSQL comes from REGALSYNC_TEST_POSTGRES_DSN when set, else from a
throwaway container when Docker answers; otherwise those tests skip and
say why. Each test gets its own schema, dropped afterwards, so parallel
runs on one server never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

from regalsync.storage import ManualClock, Storage, open_storage

DSN_VARIABLE = "REGALSYNC_TEST_POSTGRES_DSN"


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """Return a PostgreSQL server's URL, starting one if need be."""
    dsn = os.environ.get(DSN_VARIABLE)
    if dsn:
        yield dsn
        return

    try:
        from testcontainers.community.postgres import PostgresContainer

        container = PostgresContainer("postgres:16-alpine", driver=None)
        container.start()
    except Exception as error:  # Docker absent, unreachable or refusing.
        reason = type(error).__name__
        pytest.skip(f"no PostgreSQL: set {DSN_VARIABLE} or start Docker ({reason})")
    try:
        yield container.get_connection_url()
    finally:
        container.stop()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
async def storage_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """Return the URL of an empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/storage.db"
        return

    dsn: str = request.getfixturevalue("postgres_dsn")
    schema = f"regalsync_test_{uuid.uuid4().hex[:16]}"
    async with await psycopg.AsyncConnection.connect(
        dsn, autocommit=True
    ) as admin:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            separator = "&" if "?" in dsn else "?"
            yield f"{dsn}{separator}options=-csearch_path%3D{schema}"
        finally:
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def clock() -> ManualClock:
    """Return a clock that moves only when a test advances it."""
    return ManualClock()


@pytest.fixture
async def storage(
    storage_url: str, clock: ManualClock
) -> AsyncIterator[Storage]:
    """Return storage on a fresh, migrated database."""
    opened = await open_storage(storage_url, clock=clock)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def second_storage(
    storage_url: str, clock: ManualClock
) -> AsyncIterator[Storage]:
    """Return another connection to the same database, as a replica
    would hold."""
    opened = await open_storage(storage_url, clock=clock)
    try:
        yield opened
    finally:
        await opened.close()
