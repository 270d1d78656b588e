"""Versioned documents, such as tenant configurations."""

from __future__ import annotations

import asyncio

import pytest

from regalsync.storage import DocumentNotFound, Storage

KIND = "configuration"


class TestDocuments:
    async def test_versions_count_from_one(self, storage: Storage) -> None:
        """Each put creates the next version number for that tenant."""
        assert await storage.put_document(KIND, "acme", b"v1") == 1
        assert await storage.put_document(KIND, "acme", b"v2") == 2
        assert await storage.put_document(KIND, "globex", b"v1") == 1

    async def test_new_version_is_not_active(self, storage: Storage) -> None:
        """A stored version is not served until it is activated."""
        await storage.put_document(KIND, "acme", b"v1")

        assert await storage.get_document(KIND, "acme") is None
        document = await storage.get_document(KIND, "acme", version=1)
        assert document is not None and document.body == b"v1"

    async def test_activate_switches_the_served_version(
        self, storage: Storage
    ) -> None:
        """Activating a version makes it the one read by default."""
        await storage.put_document(KIND, "acme", b"v1")
        await storage.put_document(KIND, "acme", b"v2")
        await storage.activate_document(KIND, "acme", 2)
        await storage.activate_document(KIND, "acme", 1)

        document = await storage.get_document(KIND, "acme")

        assert document is not None
        assert (document.version, document.body) == (1, b"v1")

    async def test_activate_unknown_version_fails(
        self, storage: Storage
    ) -> None:
        """Activating a version that does not exist is refused."""
        await storage.put_document(KIND, "acme", b"v1")
        await storage.activate_document(KIND, "acme", 1)

        with pytest.raises(DocumentNotFound):
            await storage.activate_document(KIND, "acme", 7)
        with pytest.raises(DocumentNotFound):
            await storage.activate_document(KIND, "globex", 1)
        active = await storage.get_document(KIND, "acme")
        assert active is not None and active.version == 1

    async def test_versions_are_listed_with_the_active_one(
        self, storage: Storage
    ) -> None:
        """Listing shows every version and marks the active one."""
        await storage.put_document(KIND, "acme", b"v1")
        await storage.put_document(KIND, "acme", b"v2")
        await storage.activate_document(KIND, "acme", 1)

        versions = await storage.list_document_versions(KIND, "acme")

        assert [(v.version, v.active) for v in versions] == [
            (1, True), (2, False),
        ]

    async def test_tenants_with_active_documents(
        self, storage: Storage
    ) -> None:
        """Only tenants with an active version are listed."""
        for tenant in ("globex", "acme", "initech"):
            await storage.put_document(KIND, tenant, b"v1")
        for tenant in ("globex", "acme"):
            await storage.activate_document(KIND, tenant, 1)

        assert await storage.list_document_tenants(KIND) == ["acme", "globex"]

    async def test_concurrent_puts_get_distinct_versions(
        self, storage: Storage, second_storage: Storage
    ) -> None:
        """Replicas storing at once never get the same version number."""
        versions = await asyncio.gather(*(
            (storage if n % 2 else second_storage).put_document(
                KIND, "acme", b"v"
            )
            for n in range(10)
        ))

        assert sorted(versions) == list(range(1, 11))
