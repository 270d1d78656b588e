"""``regal-sync preview``: what a record or event would produce, sending nothing.

A Salesforce record is read through matcher-service (``--object`` and
``--id``) or given inline (``--values FILE``); a Regal event is matched
through the matcher's waterfall unless ``--match-object``/``--match-id``
name the record. mapping-service's Preview then runs the same transform the
live path runs, under the active configuration or ``--document FILE``.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from regalsync.cli import exit_codes
from regalsync.cli.admin_client import Mapping, guarded, mapping_client, matcher_client
from regalsync.cli.output import CommandFailed, Output
from regalsync.contracts.common.v1 import common_pb2
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.contracts.matcher.v1 import matcher_pb2

_CHANGE_TYPES = {"created": mapping_pb2.CHANGE_TYPE_CREATED,
                 "updated": mapping_pb2.CHANGE_TYPE_UPDATED}


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``preview``."""
    preview = commands.add_parser("preview", parents=[common],
                                  help="show what regal-sync would send, without sending")
    preview.add_argument("--tenant", required=True)
    preview.add_argument("--document", type=Path,
                         help="preview under this document (default: the active one)")
    preview.add_argument("--matcher-address",
                         default=os.environ.get("REGALSYNC_MATCHER_ADDRESS",
                                                "127.0.0.1:50062"),
                         help="matcher-service host:port (env REGALSYNC_MATCHER_ADDRESS)")
    record = preview.add_argument_group("a Salesforce record")
    record.add_argument("--object", help="Lead, Contact, Account, PersonAccount, ...")
    record.add_argument("--id", help="record id, read through matcher-service")
    record.add_argument("--values", type=Path, help="JSON of the record's field values")
    record.add_argument("--change", choices=sorted(_CHANGE_TYPES), default="created")
    record.add_argument("--changed-fields", default="",
                        help="comma-separated API names (updates)")
    record.add_argument("--instance-url", default="", help="for salesforceLink")
    event = preview.add_argument_group("a Regal event")
    event.add_argument("--event", type=Path, help="JSON of a Regal webhook event")
    event.add_argument("--match-object", help="the record the event matches")
    event.add_argument("--match-id")
    event.add_argument("--match-values", type=Path, help="JSON of the matched record")
    preview.set_defaults(run=_preview)


async def _preview(args: argparse.Namespace) -> int:
    out = Output(args.json)

    async def run() -> int:
        async with mapping_client(args) as mapping:
            request = mapping_pb2.PreviewRequest(
                tenant_id=args.tenant,
                document_text=args.document.read_text() if args.document else "")
            if args.event:
                request.regal_event.CopyFrom(await _matched_event(args, mapping))
            elif args.object:
                request.salesforce_change.CopyFrom(await _change(args, mapping))
            else:
                raise CommandFailed("give --object with --id or --values, or --event",
                                    "usage", exit_codes.USAGE)
            response = await mapping.call("Preview", request)
        out.result(_preview_json(response), _preview_lines(response))
        return exit_codes.OK

    return await guarded(out, run())


async def _change(args: argparse.Namespace, mapping: Mapping) -> mapping_pb2.EnrichedChange:
    change = mapping_pb2.EnrichedChange(
        idempotency_key="preview", change_type=_CHANGE_TYPES[args.change],
        changed_fields=[f for f in args.changed_fields.split(",") if f],
        instance_url=args.instance_url)
    if args.values:
        change.record.CopyFrom(common_pb2.SalesforceRecord(
            object_type=args.object, id=args.id or "", fields_json=args.values.read_bytes()))
        return change
    if not args.id:
        raise CommandFailed("--object needs --id or --values", "usage", exit_codes.USAGE)
    tenant = await mapping.call("GetTenant", mapping_pb2.GetTenantRequest(
        tenant_id=args.tenant))
    async with matcher_client(args.matcher_address, args.timeout) as matcher:
        enriched = await matcher.Enrich(matcher_pb2.EnrichRequest(
            tenant_id=args.tenant, read_plans=tenant.read_plans,
            records=[matcher_pb2.RecordRef(idempotency_key="preview",
                                           object_type=args.object, record_id=args.id)]))
    record = enriched.records[0]
    if record.missing:
        raise CommandFailed(f"{args.object} {args.id} was not found", "not_found",
                            exit_codes.NOT_FOUND)
    change.record.CopyFrom(record.record)
    change.instance_url = args.instance_url or enriched.instance_url
    return change


async def _matched_event(args: argparse.Namespace,
                         mapping: Mapping) -> mapping_pb2.MatchedEvent:
    event_json = args.event.read_bytes()
    message = mapping_pb2.MatchedEvent(idempotency_key="preview", event_json=event_json)
    if args.match_object and args.match_id:
        values = args.match_values.read_bytes() if args.match_values else b"{}"
        message.match.CopyFrom(common_pb2.SalesforceRecord(
            object_type=args.match_object, id=args.match_id, fields_json=values))
        return message
    tenant = await mapping.call("GetTenant", mapping_pb2.GetTenantRequest(
        tenant_id=args.tenant))
    async with matcher_client(args.matcher_address, args.timeout) as matcher:
        resolved = await matcher.Resolve(matcher_pb2.ResolveRequest(
            tenant_id=args.tenant, policy=tenant.match_policy,
            events=[_identifiers(json.loads(event_json))]))
    match = resolved.matches[0]
    if match.outcome == matcher_pb2.MATCH_OUTCOME_MATCHED:
        message.match.CopyFrom(match.record)
        message.decided_by = match.decided_by
    return message


def _identifiers(event: Any) -> matcher_pb2.Identifiers:
    body: dict[str, Any] = event if isinstance(event, dict) else {}
    found = body.get("traits")
    traits: dict[str, Any] = found if isinstance(found, dict) else {}
    ids = [v for k, v in traits.items()
           if k.startswith("salesforce_") and k.endswith("_id") and isinstance(v, str)]
    user_id = body.get("userId") or body.get("profile_id")
    return matcher_pb2.Identifiers(
        idempotency_key="preview", user_id=user_id if isinstance(user_id, str) else "",
        salesforce_ids=ids, phone=_text(traits.get("phone")), email=_text(traits.get("email")))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _preview_json(response: mapping_pb2.PreviewResponse) -> dict[str, Any]:
    return {
        "configuration_version": response.configuration_version,
        "skipped_reason": response.skipped_reason,
        "problems": list(response.problems),
        "regal_events": [{"ordering_key": e.ordering_key, "body": json.loads(e.body_json)}
                         for e in response.events],
        "salesforce_writes": [_write_json(w) for w in response.writes],
    }


def _write_json(write: mapping_pb2.SalesforceWrite) -> dict[str, Any]:
    return {"kind": mapping_pb2.WriteKind.Name(write.kind).removeprefix("WRITE_KIND_").lower(),
            "object_type": write.object_type, "record_id": write.record_id,
            "external_id_field": write.external_id_field, "external_id": write.external_id,
            "fields": json.loads(write.fields_json or b"{}")}


def _preview_lines(response: mapping_pb2.PreviewResponse) -> list[str]:
    data = _preview_json(response)
    lines = []
    if response.skipped_reason:
        lines.append(f"nothing would be sent: {response.skipped_reason}")
    for event in data["regal_events"]:
        lines.append("Regal event:")
        lines.append(json.dumps(event["body"], indent=2, sort_keys=True))
    for write in data["salesforce_writes"]:
        target = write["record_id"] or f"{write['external_id_field']}={write['external_id']}"
        lines.append(f"Salesforce {write['kind']} {write['object_type']} {target}:")
        lines.append(json.dumps(write["fields"], indent=2, sort_keys=True))
    lines += [f"problem: {p}" for p in response.problems]
    return lines
