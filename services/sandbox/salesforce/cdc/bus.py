"""The sandbox org's event bus: change events in one retained, ordered log.

The record store hands every committed :class:`Transaction` to
:meth:`ChangeEventBus.publish`; the Pub/Sub server reads the log per topic.
Replay ids come from one counter for the whole org, so they increase along
every topic but are not contiguous within one.

The bus is not thread-safe: call it from the event loop that runs the
Pub/Sub server (the sandbox is one asyncio process).
"""

from __future__ import annotations

import bisect
import itertools
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter

import structlog

from sandbox.salesforce.cdc.avro_schemas import (
    ChangeEventSchema,
    build_change_event_schema,
    event_name,
)
from sandbox.salesforce.cdc.payloads import EventHeader, encode_event
from sandbox.salesforce.changes import RecordChange, Transaction
from sandbox.salesforce.schema import ObjectSchema

log = structlog.get_logger(__name__)

ALL_CHANGE_EVENTS = "/data/ChangeEvents"
REPLAY_ID_BYTES = 8
GAP_CHANGE_TYPES = frozenset({"GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE"})


class ReplayIdRefused(ValueError):
    """A replay id that is malformed, unknown or outside the retention window."""


@dataclass(frozen=True)
class Topic:
    """A channel a client can subscribe to.

    ``entity`` is None for ``/data/ChangeEvents``, which carries every
    object's events and so has no single schema (``schema_id`` is empty).
    """

    name: str
    entity: str | None
    schema_id: str

    def carries(self, entity: str) -> bool:
        return self.entity is None or self.entity == entity


@dataclass(frozen=True)
class StoredEvent:
    """One change event in the log, encoded once for every subscriber."""

    replay_id: int
    entity: str
    event_id: str
    schema_id: str
    payload: bytes
    stored_at: float


def encode_replay_id(position: int) -> bytes:
    """Encode a log position as Salesforce's opaque 8-byte replay id."""
    return position.to_bytes(REPLAY_ID_BYTES, "big")


def decode_replay_id(replay_id: bytes) -> int:
    """Decode an 8-byte replay id; raise ReplayIdRefused for other lengths."""
    if len(replay_id) != REPLAY_ID_BYTES:
        raise ReplayIdRefused(f"a replay id has {REPLAY_ID_BYTES} bytes, not {len(replay_id)}")
    return int.from_bytes(replay_id, "big")


class ChangeEventBus:
    """Turn committed transactions into retained, replayable change events."""

    def __init__(
        self,
        objects: Mapping[str, ObjectSchema],
        *,
        org_id: str,
        clock: Callable[[], float],
        retention_seconds: float = 72 * 3600,
    ) -> None:
        self.org_id = org_id
        self._clock = clock
        self._retention = retention_seconds
        self._schemas = {
            name: build_change_event_schema(obj)
            for name, obj in objects.items() if obj.change_events
        }
        self._schemas_by_id = {s.schema_id: s for s in self._schemas.values()}
        self._topics = _topics(self._schemas)
        self._log: list[StoredEvent] = []
        self._last_replay_id = 0
        self._last_dropped_id = 0
        self._last_commit_number = 0
        self._listeners: list[Callable[[], None]] = []

    # Producer side: the record store and the sandbox's control endpoints.

    def publish(self, txn: Transaction) -> None:
        """Append one change event per record change (or group) of ``txn``."""
        self._last_commit_number = max(self._last_commit_number, txn.commit_number)
        groups = _group(c for c in txn.changes if c.entity in self._schemas)
        for sequence, group in enumerate(groups, start=1):
            first = group[0]
            header = EventHeader(
                entity=first.entity,
                record_ids=tuple(c.record_id for c in group),
                change_type=first.change_type,
                change_origin=txn.change_origin,
                transaction_key=txn.transaction_key,
                sequence_number=sequence,
                commit_timestamp_ms=txn.commit_timestamp_ms,
                commit_number=txn.commit_number,
                commit_user=txn.commit_user,
            )
            self._append(header, first)
        log.debug("change_events_published", transaction_key=txn.transaction_key,
                  events=len(groups), changes=len(txn.changes))
        self._notify()

    def emit_gap(self, entity: str, record_ids: list[str], change_type: str) -> None:
        """Append a gap event: subscribers must re-read these records.

        Raise ``ValueError`` for an object without change events or a
        change type other than GAP_CREATE/UPDATE/DELETE/UNDELETE.
        """
        if change_type not in GAP_CHANGE_TYPES:
            raise ValueError(f"{change_type!r} is not a gap change type")
        self._append_header_only(entity, tuple(record_ids), change_type)

    def emit_overflow(self, entity: str) -> None:
        """Append a GAP_OVERFLOW event: too many changes to send one by one."""
        self._append_header_only(entity, (), "GAP_OVERFLOW")

    # Consumer side: the Pub/Sub server.

    def topic(self, name: str) -> Topic | None:
        """Find a topic by its exact name."""
        return self._topics.get(name)

    def schema_json(self, schema_id: str) -> str | None:
        """Return the Avro schema text for ``schema_id``, if it is known."""
        schema = self._schemas_by_id.get(schema_id)
        return schema.schema_json if schema else None

    @property
    def last_replay_id(self) -> int:
        """The position of the newest event ever appended (0 before any)."""
        return self._last_replay_id

    def earliest_position(self) -> int:
        """Return the position just before the oldest retained event."""
        self._drop_expired()
        return self._last_dropped_id

    def check_replay_position(self, position: int) -> None:
        """Refuse a position outside the retention window or not yet issued."""
        self._drop_expired()
        if position <= self._last_dropped_id:
            raise ReplayIdRefused("the replay id is older than the retention window")
        if position > self._last_replay_id:
            raise ReplayIdRefused("the replay id was never issued")

    def read(self, topic: Topic, after: int, limit: int) -> list[StoredEvent]:
        """Return up to ``limit`` retained events of ``topic`` after ``after``."""
        self._drop_expired()
        start = bisect.bisect_right(self._log, after, key=attrgetter("replay_id"))
        matching = (e for e in itertools.islice(self._log, start, None) if topic.carries(e.entity))

        return list(itertools.islice(matching, limit))

    def caught_up_position(self, topic: Topic, after: int) -> int:
        """Return how far a subscriber at ``after`` may move without events.

        With nothing of ``topic`` waiting, that is the newest position of
        the whole log, which is safe to replay from later.
        """
        if self.read(topic, after, 1):
            return after
        return max(after, self._last_replay_id)

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after each append; return the function to stop."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _append_header_only(
        self, entity: str, record_ids: tuple[str, ...], change_type: str,
    ) -> None:
        if entity not in self._schemas:
            raise ValueError(f"{entity!r} has no change events")
        header = EventHeader(
            entity=entity,
            record_ids=record_ids,
            change_type=change_type,
            change_origin="",
            transaction_key=str(uuid.uuid4()),
            sequence_number=1,
            commit_timestamp_ms=int(self._clock() * 1000),
            commit_number=self._last_commit_number,
            commit_user="",
        )
        self._append(header, None)
        log.info("change_event_gap_emitted", entity=entity, change_type=change_type,
                 records=len(record_ids))
        self._notify()

    def _append(self, header: EventHeader, change: RecordChange | None) -> None:
        schema = self._schemas[header.entity]
        self._last_replay_id += 1
        self._log.append(StoredEvent(
            replay_id=self._last_replay_id,
            entity=header.entity,
            event_id=str(uuid.uuid4()),
            schema_id=schema.schema_id,
            payload=encode_event(schema, header, change),
            stored_at=self._clock(),
        ))

    def _drop_expired(self) -> None:
        cutoff = self._clock() - self._retention
        expired = bisect.bisect_left(self._log, cutoff, key=attrgetter("stored_at"))
        if expired:
            self._last_dropped_id = self._log[expired - 1].replay_id
            del self._log[:expired]

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()


def _topics(schemas: Mapping[str, ChangeEventSchema]) -> dict[str, Topic]:
    topics = {ALL_CHANGE_EVENTS: Topic(ALL_CHANGE_EVENTS, None, "")}
    for entity, schema in schemas.items():
        name = f"/data/{event_name(entity)}"
        topics[name] = Topic(name, entity, schema.schema_id)

    return topics


def _group(changes: Iterable[RecordChange]) -> list[list[RecordChange]]:
    """Group consecutive changes that would produce identical events.

    Salesforce sends one event with several record ids when records change
    the same way; grouping only exact equals keeps every event faithful.
    """
    groups: list[list[RecordChange]] = []
    for change in changes:
        if groups and _same_change(groups[-1][0], change):
            groups[-1].append(change)
        else:
            groups.append([change])

    return groups


def _same_change(a: RecordChange, b: RecordChange) -> bool:
    return (
        a.entity == b.entity
        and a.change_type == b.change_type
        and a.values == b.values
        and set(a.changed_fields) == set(b.changed_fields)
        and set(a.nulled_fields) == set(b.nulled_fields)
    )
