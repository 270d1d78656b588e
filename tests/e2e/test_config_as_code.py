"""Configuration as code and previews against the running suite (C5-C7).

The CLI reads describe metadata from the Salesforce sandbox through the
demo tenant's active connection, and previews run the live transform.
Tests run in file order: the last one applies the reference example as it
is (pointing the tenant at login.salesforce.com) and rolls back at the end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from suite_harness import SuiteHandle, eventually

from regalsync.cli import exit_codes, main

pytestmark = pytest.mark.e2e

EXAMPLE = Path("/work/shared/reference/example-config.yaml")


@pytest.fixture
def cli(suite: SuiteHandle, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Any:
    """Run regal-sync with the demo tenant's secrets in the environment."""
    state = suite.suite.state_dir
    credentials = json.loads((state / "demo-credentials.json").read_text())
    sandbox = json.loads(
        (state / "salesforce-sandbox" / "salesforce-sandbox.json").read_text())
    monkeypatch.setenv("REGALSYNC_SALESFORCE_CA_BUNDLE", sandbox["ca_bundle"])
    monkeypatch.setenv("DEMO_SF_CLIENT_ID", sandbox["client_id"])
    monkeypatch.setenv("DEMO_SF_PRIVATE_KEY", credentials["private_key_pem"])

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main([*argv, "--mapping-address", suite.endpoints["grpc"]["mapping"]])
        return code, capsys.readouterr().out

    return run


def _without_times(body: dict[str, Any]) -> dict[str, Any]:
    """Drop the timestamps that differ between a live event and its preview."""
    copy = json.loads(json.dumps(body))
    copy.pop("originalTimestamp", None)
    for entry in copy.get("traits", {}).get("optIn", []):
        entry.pop("timestamp", None)
    return copy


class TestPreview:
    def test_preview_equals_what_the_live_path_sent(self, suite: SuiteHandle,
                                                    cli: Any) -> None:
        """A Lead's preview is the event Regal received for it, timestamps aside."""
        lead = suite.salesforce().Lead.create({
            "LastName": "Preview", "FirstName": "Pat", "Company": "Acme",
            "Phone": "+14155550142", "Email": "pat.preview@example.com",
            "Status": "Open - Not Contacted"})
        live = eventually(lambda: [
            e for e in suite.regal_events()
            if e.get("traits", {}).get("salesforce_lead_id") == lead["id"]],
            what="the Lead's event at Regal")[0]

        code, out = cli("preview", "--tenant", "demo", "--object", "Lead", "--id",
                        lead["id"], "--matcher-address", suite.endpoints["grpc"]["matcher"],
                        "--json")

        assert code == exit_codes.OK
        previewed = json.loads(out)["regal_events"][0]["body"]
        assert _without_times(previewed) == _without_times(live)


class TestConfigAsCode:
    def test_example_validates_against_the_org(self, cli: Any) -> None:
        """The reference example is valid against the sandbox org's describe."""
        code, out = cli("config", "validate", str(EXAMPLE), "--json")

        report = json.loads(out)[0]
        assert (code, report["valid"], report["describe_checked"]) == (
            exit_codes.OK, True, True)

    def test_org_rejects_a_read_only_field(self, cli: Any, tmp_path: Path) -> None:
        """A mapping to Lead.Name is refused with the sandbox's describe."""
        document = yaml.safe_load(EXAMPLE.read_text())
        document["configurations"][0]["object_mappings"][0]["attributes"].append(
            {"regal": "traits.fullName", "salesforce": "Name"})
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(document))

        code, out = cli("config", "validate", str(path))

        assert code == exit_codes.INVALID
        assert ("  configurations[0].object_mappings[0].attributes[11]: Lead.Name is "
                "read-only; map FirstName and LastName instead") in out.splitlines()

    def test_unknown_field_is_refused_by_the_org(self, cli: Any, tmp_path: Path) -> None:
        """A field the org does not have is refused with a suggestion."""
        document = yaml.safe_load(EXAMPLE.read_text())
        document["configurations"][0]["object_mappings"][1]["attributes"][10][
            "salesforce"] = "SMS_OptIn__c"
        path = tmp_path / "typo.yaml"
        path.write_text(yaml.safe_dump(document))

        code, out = cli("config", "validate", str(path))

        assert code == exit_codes.INVALID
        assert ("  configurations[0].object_mappings[1].attributes[10]: Contact.SMS_OptIn__c"
                " does not exist in the org; did you mean SMS_Opt_In__c?") in out.splitlines()

    def test_apply_diff_and_rollback_of_the_example(self, cli: Any, tmp_path: Path) -> None:
        """The example applies as is; a changed copy diffs, applies, and rolls back."""
        code, out = cli("config", "apply", str(EXAMPLE), "--json")
        assert code == exit_codes.OK
        example_version = json.loads(out)[0]["version"]
        changed = yaml.safe_load(EXAMPLE.read_text())
        changed["configurations"][0]["log_retention_days"] = 90
        changed["configurations"][0]["object_mappings"][1]["attributes"].pop(4)
        path = tmp_path / "changed.yaml"
        path.write_text(yaml.safe_dump(changed))

        try:
            # The example's login.salesforce.com is out of reach from here, so
            # the copy is checked for structure only.
            _, diff = cli("config", "diff", str(path), "--json", "--skip-describe")
            _, applied = cli("config", "apply", str(path), "--json", "--skip-describe")
            _, rolled_back = cli("config", "rollback", "--tenant", "demo", "--json")
            _, versions = cli("config", "versions", "--tenant", "demo", "--json")
        finally:
            cli("config", "rollback", "--tenant", "demo", "--to-version", "1")

        assert [(c["path"], c["kind"]) for c in json.loads(diff)[0]["changes"]] == [
            ("configurations[0].log_retention_days", "changed"),
            ("configurations[0].object_mappings[1].attributes[4]", "removed")]
        assert json.loads(applied)[0]["version"] == example_version + 1
        assert json.loads(rolled_back)["version"] == example_version
        assert [v["version"] for v in json.loads(versions) if v["active"]] == [
            example_version]
