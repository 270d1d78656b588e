"""One Subscribe stream: the client's demand, event batches and keepalives.

The client grants credit with ``num_requested`` on each FetchRequest; the
stream never sends more events than the credit it holds, and when it has
nothing to send for ``keepalive_seconds`` it sends an empty response with
the position the client may safely store.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog

from regalsync.contracts.eventbus.v1 import pubsub_pb2
from sandbox.salesforce.cdc.bus import ChangeEventBus, StoredEvent, Topic, encode_replay_id

log = structlog.get_logger(__name__)

# Salesforce serves at most this many events per FetchRequest.
MAX_REQUESTED = 100


class DemandRefused(ValueError):
    """A FetchRequest asked for a negative number of events."""


class Subscription:
    """Serve change events of one topic from ``position`` onwards."""

    def __init__(
        self,
        bus: ChangeEventBus,
        topic: Topic,
        position: int,
        *,
        rpc_id: str,
        keepalive_seconds: float,
    ) -> None:
        self._bus = bus
        self._topic = topic
        self._position = position
        self._rpc_id = rpc_id
        self._keepalive = keepalive_seconds
        self._pending = 0
        self._refusal: str | None = None
        self._wake = asyncio.Event()
        self.delivered = 0

    def grant(self, num_requested: int) -> None:
        """Add a FetchRequest's credit, capped as Salesforce caps it."""
        if num_requested < 0:
            raise DemandRefused("num_requested must not be negative")
        self._pending += min(num_requested, MAX_REQUESTED)
        self._wake.set()

    async def responses(
        self, requests: AsyncIterator[pubsub_pb2.FetchRequest],
    ) -> AsyncIterator[pubsub_pb2.FetchResponse]:
        """Yield FetchResponses while reading further credit from ``requests``.

        Raise :class:`DemandRefused` when a later request is invalid.
        """
        stop_listening = self._bus.add_listener(self._wake.set)
        reader = asyncio.create_task(self._read_credit(requests))
        try:
            async for response in self._serve():
                yield response
        finally:
            stop_listening()
            reader.cancel()

    async def _read_credit(self, requests: AsyncIterator[pubsub_pb2.FetchRequest]) -> None:
        # Replay settings and topic count only on the first request; later
        # ones add credit (and may refresh auth, which the sandbox ignores).
        async for request in requests:
            try:
                self.grant(request.num_requested)
            except DemandRefused as refused:
                self._refusal = str(refused)
                self._wake.set()
                return

    async def _serve(self) -> AsyncIterator[pubsub_pb2.FetchResponse]:
        loop = asyncio.get_running_loop()
        last_sent = loop.time()
        while True:
            # Cleared before looking, so an append during the look wakes us.
            self._wake.clear()
            if self._refusal is not None:
                raise DemandRefused(self._refusal)
            response = self._next_batch()
            if response is None and loop.time() - last_sent >= self._keepalive:
                response = self._keepalive_response()
            if response is not None:
                yield response
                last_sent = loop.time()
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(last_sent + self._keepalive):
                    await self._wake.wait()

    def _next_batch(self) -> pubsub_pb2.FetchResponse | None:
        if self._pending <= 0:
            return None
        events = self._bus.read(self._topic, self._position, self._pending)
        if not events:
            return None
        self._position = events[-1].replay_id
        self._pending -= len(events)
        self.delivered += len(events)

        return pubsub_pb2.FetchResponse(
            events=[_consumer_event(e) for e in events],
            latest_replay_id=encode_replay_id(self._position),
            rpc_id=self._rpc_id,
            pending_num_requested=self._pending,
        )

    def _keepalive_response(self) -> pubsub_pb2.FetchResponse:
        self._position = self._bus.caught_up_position(self._topic, self._position)
        log.debug("subscription_keepalive", rpc_id=self._rpc_id, topic=self._topic.name)

        return pubsub_pb2.FetchResponse(
            latest_replay_id=encode_replay_id(self._position),
            rpc_id=self._rpc_id,
            pending_num_requested=self._pending,
        )


def _consumer_event(event: StoredEvent) -> pubsub_pb2.ConsumerEvent:
    return pubsub_pb2.ConsumerEvent(
        event=pubsub_pb2.ProducerEvent(
            id=event.event_id, schema_id=event.schema_id, payload=event.payload,
        ),
        replay_id=encode_replay_id(event.replay_id),
    )
