"""Run the pure transforms for one message: shared by the live path and Preview.

The live RPCs (ToRegal, ToSalesforce) and Preview build their answers
here, so a preview is by construction what the live path would send.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from mapping_service.conversions import change_from, matched_from, write_message
from mapping_service.domain.changes import MappingProblem, Skip
from mapping_service.domain.model import Configuration
from mapping_service.domain.regal_event import read_event
from mapping_service.domain.to_regal import build_regal_events
from mapping_service.domain.to_salesforce import build_salesforce_writes
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.errors import InvalidInput


@dataclass
class RegalOutcome:
    """The events one change produces, or why it produces none."""

    events: list[mapping_pb2.RegalEvent] = field(default_factory=list)
    skipped: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass
class SalesforceOutcome:
    """The writes one Regal event produces."""

    writes: list[mapping_pb2.SalesforceWrite] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def regal_events_for(
    config: Configuration, message: mapping_pb2.EnrichedChange, now_ms: int
) -> RegalOutcome:
    """Map one enriched change to the Regal events it sends."""
    if message.record_missing:
        return RegalOutcome(skipped="record_missing")
    built = build_regal_events(config, change_from(message),
                               instance_url=message.instance_url, now_ms=now_ms)
    if isinstance(built, Skip):
        return RegalOutcome(skipped=built.code)
    outcome = RegalOutcome()
    for index, event in enumerate(built):
        outcome.events.append(mapping_pb2.RegalEvent(
            idempotency_key=f"{message.idempotency_key}:{index}",
            ordering_key=event.ordering_key, source_key=message.idempotency_key,
            body_json=json.dumps(event.body, separators=(",", ":")).encode()))
        outcome.problems.extend(_described(p) for p in event.problems)
    return outcome


def salesforce_writes_for(
    config: Configuration, message: mapping_pb2.MatchedEvent
) -> SalesforceOutcome:
    """Map one matched Regal event to the Salesforce writes it makes."""
    try:
        event = json.loads(message.event_json)
    except ValueError:
        raise InvalidInput(f"event {message.idempotency_key!r} is not JSON") from None
    if not isinstance(event, dict):
        raise InvalidInput(f"event {message.idempotency_key!r} is not a JSON object")
    writes = build_salesforce_writes(config, event, matched_from(message))
    messages = [write_message(message.idempotency_key, w) for w in writes]
    # The event's own time travels with each write for the end-to-end lag.
    occurred_at = read_event(event).occurred_at
    for written in messages:
        written.origin_time_ms = (occurred_at or 0) * 1000
    return SalesforceOutcome(
        messages, problems=[_described(p) for w in writes for p in w.problems])


def _described(problem: MappingProblem) -> str:
    return f"{problem.regal} ({problem.salesforce}): {problem.message}"
