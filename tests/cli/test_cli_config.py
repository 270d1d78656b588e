"""Specify ``regal-sync config``: validate, diff, apply, rollback, export (C7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import Cli

from regalsync.cli import exit_codes, main

EXAMPLE = Path("/work/shared/reference/example-config.yaml")
LEAD_DESCRIBE = {"Lead": {"fields": [
    {"name": n, "type": t, "createable": True, "updateable": True, "calculated": False}
    for n, t in (("Phone", "phone"), ("Email", "email"), ("FirstName", "string"))
] + [{"name": "Name", "type": "string", "createable": False, "updateable": False}]}}


def write(path: Path, document: object) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def small_document(tenant: str = "acme") -> dict[str, object]:
    """Return a valid Leads-only document."""
    return {
        "tenant": tenant,
        "salesforce": {"login_url": "https://login.salesforce.com", "auth": {
            "flow": "client_credentials", "client_id": "${SF_ID}",
            "client_secret": "${SF_SECRET}"}},
        "regal": {"api_key": "${REGAL_KEY}"},
        "configurations": [{"name": "Main", "active": True, "desired_objects": "leads_only",
                            "update_salesforce_from_regal": True,
                            "object_mappings": [{"object": "Lead", "attributes": [
                                {"regal": "traits.phone", "salesforce": "Phone"},
                                {"regal": "traits.firstName", "salesforce": "FirstName"},
                            ]}]}],
    }


class TestValidate:
    def test_valid_document_exits_zero(self, cli: Cli) -> None:
        """The reference example is valid as it is (structure only)."""
        ran = cli("config", "validate", str(EXAMPLE), "--skip-describe")

        assert ran.code == exit_codes.OK
        assert "valid (tenant demo; structure only; describe checks skipped)" in ran.out

    def test_describe_error_names_path_and_fix(self, cli: Cli, tmp_path: Path) -> None:
        """A read-only field is refused with exit 3, its path and the fix."""
        document = small_document()
        mapping = document["configurations"][0]["object_mappings"][0]  # type: ignore[index]
        attributes = mapping["attributes"]
        attributes.append({"regal": "traits.name", "salesforce": "Name"})
        describe = tmp_path / "describe.json"
        describe.write_text(json.dumps(LEAD_DESCRIBE))

        ran = cli("config", "validate", str(write(tmp_path / "a.yaml", document)),
                  "--describe", str(describe))

        assert ran.code == exit_codes.INVALID
        assert ("  configurations[0].object_mappings[0].attributes[2]: Lead.Name is "
                "read-only; map FirstName and LastName instead") in ran.out.splitlines()

    def test_json_output_lists_errors(self, cli: Cli, tmp_path: Path) -> None:
        """--json gives scripts the path and message of each error."""
        document = small_document()
        document["configurations"][0]["log_retention_days"] = 0  # type: ignore[index]

        ran = cli("config", "validate", str(write(tmp_path / "a.yaml", document)),
                  "--skip-describe", "--json")

        assert ran.code == exit_codes.INVALID
        assert json.loads(ran.out)[0]["errors"] == [
            {"path": "configurations[0].log_retention_days", "message": "must be at least 1"}]

    def test_each_tenant_of_a_multi_document_file_is_checked(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        """A file of several tenants reports one result per tenant."""
        path = tmp_path / "all.yaml"
        path.write_text(yaml.safe_dump_all([small_document("a"), small_document("b")]))

        ran = cli("config", "validate", str(path), "--skip-describe", "--json")

        assert [r["tenant"] for r in json.loads(ran.out)] == ["a", "b"]


class TestApplyDiffRollback:
    def test_apply_then_diff_then_rollback(self, cli: Cli, tmp_path: Path) -> None:
        """A changed copy shows its diff, applies as v2, and rollback restores v1."""
        first = write(tmp_path / "v1.yaml", small_document())
        assert cli("config", "apply", str(first), "--skip-describe").code == exit_codes.OK
        exported_v1 = cli("config", "export", "--tenant", "acme").out
        changed = small_document()
        changed["configurations"][0]["use_email_to_identify"] = True  # type: ignore[index]
        mapping = changed["configurations"][0]["object_mappings"][0]  # type: ignore[index]
        mapping["attributes"].append({"regal": "traits.email", "salesforce": "Email"})
        second = write(tmp_path / "v2.yaml", changed)

        diff = cli("config", "diff", str(second), "--skip-describe", "--json")
        applied = cli("config", "apply", str(second), "--skip-describe")
        rolled_back = cli("config", "rollback", "--tenant", "acme")

        changes = json.loads(diff.out)[0]["changes"]
        assert [(c["path"], c["kind"]) for c in changes] == [
            ("configurations[0].use_email_to_identify", "changed"),
            ("configurations[0].object_mappings[0].attributes[2]", "added")]
        assert "tenant acme: version 2 active (previous 1)" in applied.out
        assert "tenant acme: version 1 active (was 2)" in rolled_back.out
        assert cli("config", "export", "--tenant", "acme").out == exported_v1

    def test_applying_the_same_document_changes_nothing(self, cli: Cli, tmp_path: Path) -> None:
        """Re-applying an unchanged document keeps the active version."""
        path = write(tmp_path / "a.yaml", small_document())
        cli("config", "apply", str(path), "--skip-describe")

        ran = cli("config", "apply", str(path), "--skip-describe")

        assert "tenant acme: unchanged, version 1 stays active" in ran.out

    def test_invalid_document_is_not_applied(self, cli: Cli, tmp_path: Path) -> None:
        """apply refuses an invalid document with exit 3 and stores nothing."""
        document = small_document()
        document["configurations"][0]["desired_objects"] = "everything"  # type: ignore[index]

        ran = cli("config", "apply", str(write(tmp_path / "a.yaml", document)),
                  "--skip-describe")

        assert ran.code == exit_codes.INVALID
        assert cli("config", "versions", "--tenant", "acme").code == exit_codes.NOT_FOUND

    def test_diff_of_a_new_tenant_says_so(self, cli: Cli, tmp_path: Path) -> None:
        """A tenant that does not exist yet would be added whole."""
        ran = cli("config", "diff", str(write(tmp_path / "a.yaml", small_document())),
                  "--skip-describe")

        assert ran.out.strip() == "tenant acme: new tenant, everything would be added"

    def test_rollback_to_a_named_version(self, cli: Cli, tmp_path: Path) -> None:
        """--to-version activates exactly that version; versions marks it."""
        cli("config", "apply", str(write(tmp_path / "a.yaml", small_document())),
            "--skip-describe")
        changed = small_document()
        changed["configurations"][0]["daily_summary"] = True  # type: ignore[index]
        cli("config", "apply", str(write(tmp_path / "b.yaml", changed)), "--skip-describe")

        cli("config", "rollback", "--tenant", "acme", "--to-version", "1")
        versions = json.loads(cli("config", "versions", "--tenant", "acme", "--json").out)

        assert [(v["version"], v["active"]) for v in versions] == [(1, True), (2, False)]

    def test_rollback_without_an_earlier_version_is_not_found(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        """With only one version there is nothing to roll back to (exit 4)."""
        cli("config", "apply", str(write(tmp_path / "a.yaml", small_document())),
            "--skip-describe")

        assert cli("config", "rollback", "--tenant", "acme").code == exit_codes.NOT_FOUND

    def test_export_of_an_unknown_tenant_is_not_found(self, cli: Cli) -> None:
        """Exporting a tenant that does not exist exits 4."""
        assert cli("config", "export", "--tenant", "nobody").code == exit_codes.NOT_FOUND

    def test_exported_document_applies_back_unchanged(self, cli: Cli, tmp_path: Path) -> None:
        """An export is a valid document equal to what is stored."""
        cli("config", "apply", str(EXAMPLE), "--skip-describe")
        exported = tmp_path / "exported.yaml"
        exported.write_text(cli("config", "export", "--tenant", "demo").out)

        ran = cli("config", "apply", str(exported), "--skip-describe")

        assert "unchanged, version 1 stays active" in ran.out


class TestAdminAuthAndErrors:
    def test_apply_without_token_is_refused(self, cli: Cli, tmp_path: Path) -> None:
        """Admin calls without the token exit 5 and change nothing."""
        path = write(tmp_path / "a.yaml", small_document())

        ran = cli("config", "apply", str(path), "--skip-describe", token="wrong")

        assert ran.code == exit_codes.UNAUTHENTICATED
        assert "admin calls need a valid token" in ran.err

    def test_validate_needs_no_token(self, cli: Cli) -> None:
        """Validation is open to every internal caller."""
        ran = cli("config", "validate", str(EXAMPLE), "--skip-describe", token=None)

        assert ran.code == exit_codes.OK

    def test_unreachable_service_exits_six(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A mapping-service that does not answer is reported as unavailable."""
        code = main(["config", "versions", "--tenant", "acme",
                     "--mapping-address", "127.0.0.1:1", "--timeout", "2"])

        assert code == exit_codes.UNAVAILABLE

    def test_bad_arguments_exit_two(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A usage error exits 2."""
        assert main(["config", "rollback"]) == exit_codes.USAGE

    def test_every_command_has_help(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--help works for each subcommand and exits 0."""
        for argv in (["config", "apply"], ["config", "rollback"], ["logs"], ["status"],
                     ["maintenance", "purge"], ["preview"]):
            assert main([*argv, "--help"]) == exit_codes.OK
