"""Bulk API 2.0 query jobs, as simple-salesforce's ``bulk2`` client uses them."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest


def rows(page: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(page)))


def contacts(sf: Salesforce, count: int) -> list[str]:
    return [sf.Contact.create({"LastName": f"Bulk {n}", "Email": f"b{n}@example.com"})["id"]
            for n in range(count)]


def jobs_url(sf: Salesforce, tail: str = "") -> str:
    return f"{sf.bulk2_url}query{tail}"


class TestQueryJobs:
    def test_bulk2_query_returns_every_record_as_csv(self, sf: Salesforce) -> None:
        """sf.bulk2.Contact.query pages through all matching records."""
        ids = contacts(sf, 5)

        pages = list(sf.bulk2.Contact.query("SELECT Id, LastName FROM Contact",
                                            max_records=2, wait=0))

        assert [len(rows(p)) for p in pages] == [2, 2, 1]
        assert sorted(r["Id"] for p in pages for r in rows(p)) == sorted(ids)

    def test_values_are_quoted_and_nulls_empty(self, sf: Salesforce) -> None:
        """Text with commas and quotes survives; null fields read as empty."""
        sf.Contact.create({"LastName": 'O"Neil, Jr.'})

        [page] = sf.bulk2.Contact.query("SELECT LastName, Email FROM Contact", wait=0)

        assert rows(page) == [{"LastName": 'O"Neil, Jr.', "Email": ""}]

    def test_job_reports_progress_then_completion(self, sf: Salesforce) -> None:
        """A new job is UploadComplete, then InProgress, then JobComplete."""
        job = self.create(sf, "SELECT Id FROM Contact")
        states = [self.call(sf, "GET", f"/{job['id']}").json()["state"] for _ in range(2)]

        assert [job["state"], *states] == ["UploadComplete", "InProgress", "JobComplete"]

    def test_results_carry_locator_and_count_headers(self, sf: Salesforce) -> None:
        """Each page names the next one; the last page's locator is null."""
        contacts(sf, 3)
        job = self.create(sf, "SELECT Id FROM Contact")
        self.finish(sf, job["id"])
        first = self.call(sf, "GET", f"/{job['id']}/results", params={"maxRecords": 2})
        second = self.call(sf, "GET", f"/{job['id']}/results",
                           params={"maxRecords": 2, "locator": first.headers["Sforce-Locator"]})

        assert first.headers["Sforce-NumberOfRecords"] == "2"
        assert second.headers["Sforce-NumberOfRecords"] == "1"
        assert second.headers["Sforce-Locator"] == "null"

    def test_query_all_includes_deleted_records(self, sf: Salesforce) -> None:
        """A queryAll job also returns records in the recycle bin."""
        [kept, deleted] = contacts(sf, 2)
        sf.Contact.delete(deleted)

        live = [r["Id"] for p in sf.bulk2.Contact.query("SELECT Id FROM Contact", wait=0)
                for r in rows(p)]
        every = [r["Id"] for p in sf.bulk2.Contact.query_all("SELECT Id FROM Contact", wait=0)
                 for r in rows(p)]

        assert live == [kept]
        assert sorted(every) == sorted([kept, deleted])

    def test_bad_query_is_refused(self, sf: Salesforce) -> None:
        """A job whose SOQL names an unknown field is refused with INVALID_FIELD."""
        with pytest.raises(SalesforceMalformedRequest) as refused:
            list(sf.bulk2.Contact.query("SELECT Nope__c FROM Contact", wait=0))
        assert "INVALID_FIELD" in str(refused.value)

    def test_unknown_job_is_not_found(self, sf: Salesforce) -> None:
        """Asking for a job that does not exist answers 404."""
        assert self.call(sf, "GET", "/750000000000999AAA").status_code == 404

    def create(self, sf: Salesforce, query: str) -> dict[str, Any]:
        response = self.call(sf, "POST", "", json={"operation": "query", "query": query})
        assert response.status_code == 200, response.text
        created: dict[str, Any] = response.json()
        return created

    def finish(self, sf: Salesforce, job_id: str) -> None:
        while self.call(sf, "GET", f"/{job_id}").json()["state"] != "JobComplete":
            pass

    def call(self, sf: Salesforce, method: str, tail: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {sf.session_id}"}
        return sf.session.request(method, jobs_url(sf, tail), headers=headers, **kw)
