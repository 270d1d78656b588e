"""The seam between the primitives and a database backend.

The primitives are written once, in SQL that SQLite and PostgreSQL
both accept, with `?` placeholders. A backend supplies transactions and
the few clauses that differ.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

__all__ = [
    "CHUNK",
    "Backend",
    "Dialect",
    "Migration",
    "OneStatementTx",
    "Row",
    "TooManyStatements",
    "Tx",
    "any_of",
    "chunked",
    "placeholders",
    "rows_of",
]

T = TypeVar("T")
Row = tuple[Any, ...]

# Far below SQLite's 32766 bound variables, and keeps statements small.
CHUNK = 400


@dataclass(frozen=True, slots=True)
class Dialect:
    """The clauses that differ between backends."""

    name: str
    # Appended to a SELECT that reads rows it is about to change.
    for_update: str
    # Appended to a claim so that concurrent claimers pass each other by.
    skip_locked: str
    # Whether a list travels as one array parameter (see `any_of`).
    arrays: bool = False


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered schema change."""

    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        """Split the script into statements (none may contain `;`)."""
        return [s.strip() for s in self.sql.split(";") if s.strip()]


class Tx(Protocol):
    """An open transaction."""

    async def fetch(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Run a statement and return its rows."""

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run a statement and return how many rows it changed."""


class Backend(Protocol):
    """A database that runs units of work as transactions."""

    dialect: Dialect

    async def run(
        self,
        work: Callable[[Tx], Awaitable[T]],
        *,
        write: bool = True,
        one_statement: bool = False,
    ) -> T:
        """Run `work` in one transaction; commit on return, roll back on
        error.

        `one_statement` promises that `work` runs a single statement,
        which a backend may then send without BEGIN and COMMIT of its
        own: the statement is a transaction by itself. A second
        statement raises `TooManyStatements`.
        """

    async def migrate(self, migrations: Sequence[Migration]) -> list[int]:
        """Apply the migrations not yet applied; return their versions."""

    async def close(self) -> None:
        """Release the connections."""


class TooManyStatements(RuntimeError):
    """A unit of work run as one statement tried to run another."""


class OneStatementTx:
    """A Tx that lets through one statement, for `one_statement` work."""

    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._spent = False

    async def fetch(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        self._spend()
        return await self._tx.fetch(sql, params)

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        self._spend()
        return await self._tx.execute(sql, params)

    def _spend(self) -> None:
        if self._spent:
            raise TooManyStatements("a one-statement unit of work ran a second statement")
        self._spent = True


def placeholders(count: int, width: int = 1) -> str:
    """Return `count` comma-separated groups of `width` placeholders."""
    group = "?" if width == 1 else "(" + ", ".join("?" * width) + ")"

    return ", ".join([group] * count)


def any_of(
    dialect: Dialect, column: str, values: Sequence[object]
) -> tuple[str, list[object]]:
    """Return `column` is one of `values`, as SQL and its parameters.

    On PostgreSQL the values are one array parameter, so the statement's
    text is the same however many there are: the driver parses it once
    and the server prepares and plans it once, instead of every time a
    batch has a new size. SQLite has no arrays and gets one `?` each.
    """
    if dialect.arrays:
        return f"{column} = ANY(?)", [list(values)]
    return f"{column} IN ({placeholders(len(values))})", list(values)


def rows_of(
    dialect: Dialect, types: Sequence[str], rows: Sequence[Sequence[object]]
) -> tuple[str, list[object]]:
    """Return the source of an `INSERT ... <source>` of `rows`, and its
    parameters, in the rows' order.

    `types` names each column's PostgreSQL type. On PostgreSQL the rows
    travel as one array per column, for the reason given in `any_of`.
    """
    if not dialect.arrays:
        params = [value for row in rows for value in row]
        return "VALUES " + placeholders(len(rows), len(types)), params
    names = [f"c{index}" for index in range(len(types))]
    arrays = ", ".join(f"?::{kind}[]" for kind in types)
    # Assembled from our column names and types only; values are bound.
    source = (
        f"SELECT {', '.join(names)} FROM unnest({arrays})"  # noqa: S608
        f" WITH ORDINALITY AS u({', '.join(names)}, n) ORDER BY n"
    )
    return source, [list(column) for column in zip(*rows, strict=True)]


def chunked(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Yield `values` in slices small enough for one statement."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
