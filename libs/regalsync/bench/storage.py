"""Where the benchmarked suite keeps its state: SQLite, or a fresh PostgreSQL schema."""

from __future__ import annotations

import os
from urllib.parse import quote

import psycopg

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def storage_env(kind: str, run_id: str) -> dict[str, str]:
    """Return the environment that points the services at the chosen storage.

    PostgreSQL runs get their own schema in ``REGALSYNC_BENCH_POSTGRES_DSN``
    (default: the local server's ``test`` database), so runs never share state.
    """
    if kind == "sqlite":
        return {}
    dsn = os.environ.get("REGALSYNC_BENCH_POSTGRES_DSN", DEFAULT_DSN)
    schema = f"bench_{run_id}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    separator = "&" if "?" in dsn else "?"
    options = quote(f"-csearch_path={schema}")
    return {"REGALSYNC_STORAGE_URL": f"{dsn}{separator}options={options}"}
