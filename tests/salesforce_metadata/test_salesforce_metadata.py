"""The Salesforce DX source: permission sets that fit its fields, a tested component."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2] / "deploy" / "salesforce"
SOURCE = PROJECT / "force-app" / "main" / "default"
NS = {"md": "http://soap.sforce.com/2006/04/metadata"}


def custom_fields() -> set[str]:
    """Name every field the DX source adds, as ``Object.Field__c``."""
    return {f"{path.parent.parent.name}.{path.name.removesuffix('.field-meta.xml')}"
            for path in (SOURCE / "objects").glob("*/fields/*.field-meta.xml")}


def permissions(name: str) -> tuple[dict[str, tuple[bool, bool]], dict[str, dict[str, bool]]]:
    """Return a permission set's (readable, editable) per field and flags per object."""
    path = SOURCE / "permissionsets" / f"{name}.permissionset-meta.xml"
    root = ET.parse(path).getroot()  # noqa: S314 - the repository's own files
    fields = {
        str(node.findtext("md:field", namespaces=NS)): (
            node.findtext("md:readable", namespaces=NS) == "true",
            node.findtext("md:editable", namespaces=NS) == "true")
        for node in root.findall("md:fieldPermissions", NS)}
    objects = {
        str(node.findtext("md:object", namespaces=NS)): {
            child.tag.split("}")[1]: child.text == "true"
            for child in node if not child.tag.endswith("object")}
        for node in root.findall("md:objectPermissions", NS)}
    return fields, objects


class TestPermissionSets:
    def test_admin_set_reads_and_edits_every_regal_sync_field(self) -> None:
        """Regal Sync Admin grants full access to every field the source adds."""
        fields, objects = permissions("Regal_Sync_Admin")

        assert set(fields) == custom_fields()
        assert all(readable and editable for readable, editable in fields.values())
        assert all(objects["Regal_Event__c"].values())

    def test_viewer_set_only_reads_regal_events(self) -> None:
        """Regal Events Viewer reads every event field and changes nothing."""
        fields, objects = permissions("Regal_Events_Viewer")
        event_fields = {f for f in custom_fields() if f.startswith("Regal_Event__c.")}

        assert set(fields) == event_fields
        assert all(readable and not editable for readable, editable in fields.values())
        assert objects["Regal_Event__c"] == {
            "allowCreate": False, "allowDelete": False, "allowEdit": False,
            "allowRead": True, "modifyAllRecords": False, "viewAllRecords": False}


def jest_missing() -> str:
    """Say why the component's Jest tests cannot run here, or return ''."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        return "node and npm are not installed"
    if not (PROJECT / "node_modules" / "@salesforce" / "sfdx-lwc-jest").is_dir():
        return "run `npm ci` in deploy/salesforce first"
    return ""


class TestLightningComponent:
    @pytest.mark.skipif(bool(jest_missing()), reason=jest_missing() or "ready")
    def test_regal_events_component_passes_its_jest_tests(self) -> None:
        """`npm test` (sfdx-lwc-jest) passes for the regalEvents component."""
        env = {**os.environ, "CI": "true"}
        finished = subprocess.run(["npm", "test", "--", "--ci"], cwd=PROJECT, env=env,
                                  capture_output=True, text=True, timeout=180, check=False)

        assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-4000:]
        assert "regalEvents.test.js" in finished.stdout + finished.stderr
