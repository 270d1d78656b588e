"""Lead conversion, change transactions, query paging, state files and start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sf_harness import background_sandbox, client
from simple_salesforce import Salesforce

from sandbox.salesforce.app import RunningSandbox
from sandbox.salesforce.changes import Transaction
from sandbox.salesforce.context import SandboxConfig


@pytest.fixture
def transactions(sandbox: RunningSandbox) -> Iterator[list[Transaction]]:
    """Record what the store tells its change listener."""
    seen: list[Transaction] = []
    store = sandbox.state.store
    previous, store.listener = store.listener, seen.append
    yield seen
    store.listener = previous


class TestLeadConversion:
    def test_conversion_creates_account_contact_opportunity(
        self, sf: Salesforce, control: Callable[..., Any],
    ) -> None:
        """The lead is marked converted with the ids of the records it became."""
        lead_id = sf.Lead.create({"LastName": "Doe", "Company": "Acme",
                                  "Email": "jo@example.com", "SMS_Opt_In__c": True})["id"]
        result = control("POST", f"/sandbox/leads/{lead_id}/convert", {})
        lead = sf.Lead.get(lead_id)
        assert lead["IsConverted"] is True
        assert lead["ConvertedAccountId"] == result["account_id"]
        assert lead["ConvertedContactId"] == result["contact_id"]
        assert lead["ConvertedOpportunityId"] == result["opportunity_id"]
        assert lead["ConvertedDate"] is not None
        contact = sf.Contact.get(result["contact_id"])
        assert contact["AccountId"] == result["account_id"]
        assert contact["SMS_Opt_In__c"] is True

    def test_conversion_is_one_ordered_transaction(
        self, sf: Salesforce, control: Callable[..., Any], transactions: list[Transaction],
    ) -> None:
        """Account, Contact and Opportunity are created before the Lead update."""
        lead_id = sf.Lead.create({"LastName": "Doe", "Company": "Acme"})["id"]
        transactions.clear()
        control("POST", f"/sandbox/leads/{lead_id}/convert", {})
        assert len(transactions) == 1
        assert [(c.entity, c.change_type) for c in transactions[0].changes] == [
            ("Account", "CREATE"), ("Contact", "CREATE"),
            ("Opportunity", "CREATE"), ("Lead", "UPDATE"),
        ]

    def test_converting_into_an_existing_account(
        self, sf: Salesforce, control: Callable[..., Any],
    ) -> None:
        """An account id reuses that account and skips the opportunity on request."""
        account_id = sf.Account.create({"Name": "Existing"})["id"]
        lead_id = sf.Lead.create({"LastName": "Doe", "Company": "Acme"})["id"]
        result = control("POST", f"/sandbox/leads/{lead_id}/convert",
                         {"account_id": account_id, "create_opportunity": False})
        assert result["account_id"] == account_id
        assert result["opportunity_id"] is None

    def test_converted_lead_cannot_be_updated(
        self, sf: Salesforce, control: Callable[..., Any],
    ) -> None:
        """Updating a converted lead is refused."""
        lead_id = sf.Lead.create({"LastName": "Doe", "Company": "Acme"})["id"]
        control("POST", f"/sandbox/leads/{lead_id}/convert", {})
        with pytest.raises(Exception, match="CANNOT_UPDATE_CONVERTED_LEAD"):
            sf.Lead.update(lead_id, {"FirstName": "X"})


class TestChangeTransactions:
    def test_person_account_create_is_one_transaction_of_two_changes(
        self, sandbox: RunningSandbox, transactions: list[Transaction],
    ) -> None:
        """The call's client id and user reach the transaction; both objects change."""
        sf = client(sandbox, headers={"Sforce-Call-Options": "client=regalsync"})
        record_type = sf.query(
            "SELECT Id FROM RecordType WHERE DeveloperName = 'PersonAccount'",
        )["records"][0]["Id"]
        sf.Account.create({"RecordTypeId": record_type, "LastName": "Ruiz"})
        (txn,) = transactions
        assert [(c.entity, c.change_type) for c in txn.changes] == [
            ("Account", "CREATE"), ("Contact", "CREATE"),
        ]
        assert txn.change_origin == "com/salesforce/api/rest/59.0;client=regalsync"
        assert txn.commit_user == sandbox.state.store.integration_user_id

    def test_update_lists_changed_and_nulled_fields(
        self, sf: Salesforce, transactions: list[Transaction],
    ) -> None:
        """An update names the fields it set and the ones it cleared."""
        lead_id = sf.Lead.create({"LastName": "Doe", "Company": "Acme", "City": "Austin"})["id"]
        transactions.clear()
        sf.Lead.update(lead_id, {"Email": "jo@example.com", "City": None})
        change = transactions[0].changes[0]
        assert {"Email", "City", "LastModifiedDate"} <= set(change.changed_fields)
        assert change.nulled_fields == ("City",)

    def test_failed_call_emits_nothing(
        self, sf: Salesforce, transactions: list[Transaction],
    ) -> None:
        """A refused write commits no transaction."""
        with pytest.raises(Exception, match="REQUIRED_FIELD_MISSING"):
            sf.Lead.create({"LastName": "Doe"})
        assert transactions == []


class TestQueryPaging:
    def test_query_more_follows_path_only_next_records_url(self, sf: Salesforce) -> None:
        """With batchSize=200, 250 leads come in two pages joined by query_more."""
        sf.restful("composite/sobjects", method="POST", json={"records": [
            {"attributes": {"type": "Lead"}, "LastName": f"L{i}", "Company": "Acme"}
            for i in range(200)
        ]})
        sf.restful("composite/sobjects", method="POST", json={"records": [
            {"attributes": {"type": "Lead"}, "LastName": f"M{i}", "Company": "Acme"}
            for i in range(50)
        ]})
        sf.session.headers["Sforce-Query-Options"] = "batchSize=200"
        first = sf.query("SELECT Id FROM Lead")
        assert first["totalSize"] == 250
        assert first["done"] is False
        assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/")
        second = sf.query_more(first["nextRecordsUrl"], True)
        assert second["done"] is True
        assert len(first["records"]) + len(second["records"]) == 250

    def test_malformed_query_is_400(self, sf: Salesforce) -> None:
        """A broken query is MALFORMED_QUERY."""
        with pytest.raises(Exception, match="MALFORMED_QUERY"):
            sf.query("SELEC Id FROM Lead")


class TestStateFile:
    def test_state_survives_restart(self, tmp_path: Path) -> None:
        """Records saved on shutdown are there after the next start."""
        config = SandboxConfig(state_dir=tmp_path, port=0, pubsub_port=None,
                               state_file=tmp_path / "org.json")
        with background_sandbox(config) as first:
            lead_id = client(first).Lead.create({"LastName": "Doe", "Company": "Acme"})["id"]
        with background_sandbox(config) as second:
            assert client(second).Lead.get(lead_id)["LastName"] == "Doe"
            new_id = client(second).Lead.create({"LastName": "Roe", "Company": "B"})["id"]
        assert new_id != lead_id


class TestStartUp:
    def test_pubsub_server_starts_with_the_sandbox(self, tmp_path: Path) -> None:
        """With a Pub/Sub port the facts name its address and gap events can be emitted."""
        config = SandboxConfig(state_dir=tmp_path, port=0, pubsub_port=0)
        with background_sandbox(config) as running:
            assert running.info.pubsub_address is not None
            facts = json.loads((tmp_path / "salesforce-sandbox.json").read_text())
            assert facts["instance_url"] == running.info.instance_url
            response = client(running).session.post(
                f"{running.info.instance_url}/sandbox/cdc/gap",
                json={"entity": "Lead", "record_ids": [], "change_type": "GAP_UPDATE"},
            )
            assert response.status_code == 200

    def test_command_line_prints_one_json_line(self, tmp_path: Path) -> None:
        """python -m sandbox.salesforce prints its facts and stops on SIGTERM."""
        process = subprocess.Popen(
            [sys.executable, "-m", "sandbox.salesforce", "--port", "0",
             "--pubsub-port", "-1", "--state-dir", str(tmp_path)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        try:
            assert process.stdout is not None
            facts = json.loads(process.stdout.readline())
            assert facts["instance_url"].startswith("https://127.0.0.1:")
            assert facts["ca_bundle"] == str(tmp_path / "ca.pem")
        finally:
            process.terminate()
            assert process.wait(timeout=20) == 0
