"""``regal-sync config``: validate, diff, apply, roll back and export (C7)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from regalsync.cli import exit_codes
from regalsync.cli.admin_client import (
    Mapping,
    add_connection_options,
    guarded,
    mapping_client,
)
from regalsync.cli.describe_source import fetch_describe, merge_files
from regalsync.cli.output import Output
from regalsync.contracts.mapping.v1 import mapping_pb2


@dataclass(frozen=True)
class TenantDocument:
    """One tenant's document from a file (a file may hold several)."""

    text: str
    source: str
    values: object


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``config`` and its subcommands."""
    config = commands.add_parser("config", help="configuration as code (validate, apply, ...)")
    sub = config.add_subparsers(title="config commands", metavar="COMMAND")
    for name, run, summary in (
        ("validate", _validate, "check a document, against the org's describe metadata"),
        ("diff", _diff, "show what applying a document would change, per tenant"),
        ("apply", _apply, "validate and store a document as the new active version"),
    ):
        parser = sub.add_parser(name, parents=[common], help=summary, description=summary)
        parser.add_argument("file", type=Path, help="YAML or JSON document (--- separates "
                                                    "tenants)")
        _describe_options(parser)
        parser.set_defaults(run=run)
    rollback = sub.add_parser("rollback", parents=[common],
                              help="activate an earlier version again")
    rollback.add_argument("--tenant", required=True)
    rollback.add_argument("--to-version", type=int,
                          help="version to activate (default: the one before the active)")
    rollback.set_defaults(run=_rollback)
    export = sub.add_parser("export", parents=[common], help="print a stored version as YAML")
    export.add_argument("--tenant", required=True)
    export.add_argument("--version", type=int, default=0, help="default: the active one")
    export.set_defaults(run=_export)
    versions = sub.add_parser("versions", parents=[common], help="list stored versions")
    versions.add_argument("--tenant", required=True)
    versions.set_defaults(run=_versions)
    config.set_defaults(run=None, parser=config)


def common_options() -> argparse.ArgumentParser:
    """Return the parent parser of every service-facing command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_options(common)
    return common


def _describe_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--describe", type=Path, action="append",
                       help="saved describe JSON ({\"Lead\": {\"fields\": [...]}}) instead "
                            "of asking the org; repeatable")
    group.add_argument("--skip-describe", action="store_true",
                       help="check the document's structure only")


def read_documents(path: Path) -> list[TenantDocument]:
    """Split a file into tenant documents; a single document keeps its text."""
    text = path.read_text()
    try:
        values = [v for v in yaml.safe_load_all(text) if v is not None]
    except yaml.YAMLError:
        return [TenantDocument(text, str(path), None)]  # the service names the line
    if len(values) <= 1:
        return [TenantDocument(text, str(path), values[0] if values else None)]
    return [TenantDocument(json.dumps(v), f"{path}#{i + 1}", v) for i, v in enumerate(values)]


async def _request(mapping: Mapping, args: argparse.Namespace,
                   document: TenantDocument) -> mapping_pb2.ConfigurationDocument:
    describe = b""
    if args.describe:
        describe = merge_files(args.describe)
    elif not args.skip_describe:
        describe = await fetch_describe(mapping, document.values)
    return mapping_pb2.ConfigurationDocument(text=document.text, source=document.source,
                                             describe_json=describe)


async def _validate(args: argparse.Namespace) -> int:
    out = Output(args.json)
    return await guarded(out, _validate_all(args, out, report_valid=True))


async def _validate_all(args: argparse.Namespace, out: Output, *, report_valid: bool) -> int:
    reports = []
    async with mapping_client(args) as mapping:
        for document in read_documents(args.file):
            request = await _request(mapping, args, document)
            report = await mapping.call("ValidateConfiguration", request)
            reports.append((document, report))
    invalid = [(d, r) for d, r in reports if not r.valid]
    if invalid or report_valid:
        out.result([_report_json(d, r) for d, r in reports],
                   [line for d, r in reports for line in _report_lines(d, r)])
    return exit_codes.INVALID if invalid else exit_codes.OK


def _report_json(document: TenantDocument,
                 report: mapping_pb2.ValidationReport) -> dict[str, Any]:
    return {"source": document.source, "valid": report.valid, "tenant": report.tenant_id,
            "describe_checked": report.describe_checked,
            "errors": [{"path": e.path, "message": e.message} for e in report.errors]}


def _report_lines(document: TenantDocument,
                  report: mapping_pb2.ValidationReport) -> list[str]:
    checked = ("checked against the org's describe metadata" if report.describe_checked
               else "structure only; describe checks skipped")
    if report.valid:
        return [f"{document.source}: valid (tenant {report.tenant_id}; {checked})"]
    lines = [f"{document.source}: invalid, {len(report.errors)} error(s) ({checked})"]
    return lines + [f"  {e.path or '<document>'}: {e.message}" for e in report.errors]


async def _diff(args: argparse.Namespace) -> int:
    out = Output(args.json)

    async def run() -> int:
        async with mapping_client(args) as mapping:
            diffs = [await mapping.call("DiffConfiguration",
                                        await _request(mapping, args, document))
                     for document in read_documents(args.file)]
        out.result([_diff_json(d) for d in diffs], [ln for d in diffs for ln in _diff_lines(d)])
        return exit_codes.OK

    return await guarded(out, run())


def _diff_json(diff: mapping_pb2.ConfigurationDiff) -> dict[str, Any]:
    return {"tenant": diff.tenant_id, "active_version": diff.active_version,
            "changes": [{"path": c.path, "kind": c.kind,
                         "before": json.loads(c.before_json) if c.before_json else None,
                         "after": json.loads(c.after_json) if c.after_json else None}
                        for c in diff.changes]}


def _diff_lines(diff: mapping_pb2.ConfigurationDiff) -> list[str]:
    if diff.active_version == 0:
        return [f"tenant {diff.tenant_id}: new tenant, everything would be added"]
    if not diff.changes:
        return [f"tenant {diff.tenant_id}: no changes against version {diff.active_version}"]
    lines = [f"tenant {diff.tenant_id}: {len(diff.changes)} change(s) against version "
             f"{diff.active_version}"]
    for change in diff.changes:
        if change.kind == "added":
            lines.append(f"  + {change.path}: {change.after_json}")
        elif change.kind == "removed":
            lines.append(f"  - {change.path}: {change.before_json}")
        else:
            lines.append(f"  ~ {change.path}: {change.before_json} -> {change.after_json}")
    return lines


async def _apply(args: argparse.Namespace) -> int:
    out = Output(args.json)

    async def run() -> int:
        async with mapping_client(args) as mapping:
            requests = [await _request(mapping, args, d) for d in read_documents(args.file)]
            reports = [await mapping.call("ValidateConfiguration", r) for r in requests]
            if not all(r.valid for r in reports):
                documents = read_documents(args.file)
                out.result([_report_json(d, r) for d, r in zip(documents, reports, strict=True)],
                           [ln for d, r in zip(documents, reports, strict=True)
                            for ln in _report_lines(d, r)])
                return exit_codes.INVALID
            results = [await mapping.call("ApplyConfiguration", r) for r in requests]
        out.result([_apply_json(r) for r in results], [_apply_line(r) for r in results])
        return exit_codes.OK

    return await guarded(out, run())


def _apply_json(result: mapping_pb2.ApplyResult) -> dict[str, Any]:
    return {"tenant": result.tenant_id, "version": result.version,
            "previous_version": result.previous_version, "changed": result.changed}


def _apply_line(result: mapping_pb2.ApplyResult) -> str:
    if not result.changed:
        return f"tenant {result.tenant_id}: unchanged, version {result.version} stays active"
    return (f"tenant {result.tenant_id}: version {result.version} active "
            f"(previous {result.previous_version or 'none'})")


async def _rollback(args: argparse.Namespace) -> int:
    out = Output(args.json)

    async def run() -> int:
        async with mapping_client(args) as mapping:
            listed = await mapping.call("ListConfigurationVersions",
                                        mapping_pb2.ListConfigurationVersionsRequest(
                                            tenant_id=args.tenant))
            target = args.to_version or _version_before_active(listed.versions)
            if target is None:
                out.error(f"tenant {args.tenant} has no earlier version to roll back to",
                          "not_found")
                return exit_codes.NOT_FOUND
            result = await mapping.call("ActivateConfigurationVersion",
                                        mapping_pb2.ActivateConfigurationVersionRequest(
                                            tenant_id=args.tenant, version=target))
        out.result(_apply_json(result), [
            f"tenant {result.tenant_id}: version {result.version} active "
            f"(was {result.previous_version})"])
        return exit_codes.OK

    return await guarded(out, run())


def _version_before_active(versions: Any) -> int | None:
    active = next((v.version for v in versions if v.active), None)
    earlier = [v.version for v in versions if active is not None and v.version < active]
    return max(earlier) if earlier else None


async def _export(args: argparse.Namespace) -> int:
    out = Output(args.json)

    async def run() -> int:
        async with mapping_client(args) as mapping:
            document = await mapping.call("ExportConfiguration",
                                          mapping_pb2.ExportConfigurationRequest(
                                              tenant_id=args.tenant, version=args.version))
        out.result({"source": document.source, "text": document.text},
                   [document.text.rstrip("\n")])
        return exit_codes.OK

    return await guarded(out, run())


async def _versions(args: argparse.Namespace) -> int:
    out = Output(args.json)

    async def run() -> int:
        async with mapping_client(args) as mapping:
            listed = await mapping.call("ListConfigurationVersions",
                                        mapping_pb2.ListConfigurationVersionsRequest(
                                            tenant_id=args.tenant))
        if not listed.versions:
            out.error(f"tenant {args.tenant} has no configuration", "not_found")
            return exit_codes.NOT_FOUND
        rows = [{"version": v.version, "active": v.active, "created_at_ms": v.created_at_ms}
                for v in listed.versions]
        out.result(rows, [f"{'*' if v.active else ' '} v{v.version}  created "
                          f"{_when(v.created_at_ms)}" for v in listed.versions])
        return exit_codes.OK

    return await guarded(out, run())


def _when(epoch_ms: int) -> str:
    return dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
