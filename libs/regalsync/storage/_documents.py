"""A small versioned document store, for configurations."""

from __future__ import annotations

from regalsync.storage._component import Component
from regalsync.storage._models import (
    Document,
    DocumentNotFound,
    DocumentVersion,
)
from regalsync.storage._sql import Row, Tx

__all__ = ["DocumentStore"]

# The head row numbers versions; its upsert serialises concurrent puts.
_NEXT_VERSION = (
    "INSERT INTO document_heads (kind, tenant, latest_version)"
    " VALUES (?, ?, 1) ON CONFLICT (kind, tenant) DO UPDATE"
    " SET latest_version = document_heads.latest_version + 1"
    " RETURNING latest_version"
)


class DocumentStore(Component):
    """Keep every version of a document and which one is active."""

    async def put_document(self, kind: str, tenant: str, body: bytes) -> int:
        """Store a new version (not yet active); return its number."""
        now = self._clock()

        async def work(tx: Tx) -> int:
            version = int((await tx.fetch(_NEXT_VERSION, (kind, tenant)))[0][0])
            await tx.execute(
                "INSERT INTO documents (kind, tenant, version, body,"
                " created_at) VALUES (?, ?, ?, ?, ?)",
                (kind, tenant, version, body, now),
            )
            return version

        return await self._backend.run(work)

    async def get_document(
        self, kind: str, tenant: str, version: int | None = None
    ) -> Document | None:
        """Return a version of a document, the active one by default, or
        None when there is no such version (or none is active)."""
        if version is None:
            sql = (
                "SELECT d.version, d.body, d.created_at FROM documents d"
                " JOIN document_heads h ON h.kind = d.kind"
                " AND h.tenant = d.tenant AND h.active_version = d.version"
                " WHERE d.kind = ? AND d.tenant = ?"
            )
            params: tuple[object, ...] = (kind, tenant)
        else:
            sql = (
                "SELECT version, body, created_at FROM documents"
                " WHERE kind = ? AND tenant = ? AND version = ?"
            )
            params = (kind, tenant, version)

        async def work(tx: Tx) -> list[Row]:
            return await tx.fetch(sql, params)

        rows = await self._backend.run(work, write=False, one_statement=True)
        if not rows:
            return None
        number, body, created_at = rows[0]

        return Document(kind, tenant, int(number), bytes(body), created_at)

    async def list_document_versions(
        self, kind: str, tenant: str
    ) -> list[DocumentVersion]:
        """Return every version of a document, oldest first."""

        async def work(tx: Tx) -> list[Row]:
            return await tx.fetch(
                "SELECT d.version, d.created_at,"
                " CASE WHEN h.active_version = d.version THEN 1 ELSE 0 END"
                " FROM documents d JOIN document_heads h"
                " ON h.kind = d.kind AND h.tenant = d.tenant"
                " WHERE d.kind = ? AND d.tenant = ? ORDER BY d.version",
                (kind, tenant),
            )

        rows = await self._backend.run(work, write=False)

        return [
            DocumentVersion(int(version), float(created), bool(active))
            for version, created, active in rows
        ]

    async def activate_document(
        self, kind: str, tenant: str, version: int
    ) -> None:
        """Make `version` the one `get_document` returns by default."""

        async def work(tx: Tx) -> int:
            return await tx.execute(
                "UPDATE document_heads SET active_version = ?"
                " WHERE kind = ? AND tenant = ? AND EXISTS ("
                " SELECT 1 FROM documents WHERE kind = ? AND tenant = ?"
                " AND version = ?)",
                (version, kind, tenant, kind, tenant, version),
            )

        if await self._backend.run(work) != 1:
            raise DocumentNotFound(
                f"{kind} of tenant {tenant!r} has no version {version}"
            )

    async def list_document_tenants(self, kind: str) -> list[str]:
        """Return the tenants that have an active document of `kind`."""

        async def work(tx: Tx) -> list[Row]:
            return await tx.fetch(
                "SELECT tenant FROM document_heads WHERE kind = ?"
                " AND active_version IS NOT NULL ORDER BY tenant",
                (kind,),
            )

        return [row[0] for row in await self._backend.run(work, write=False)]
