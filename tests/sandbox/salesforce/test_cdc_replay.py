"""Subscribing: replay presets, retention, flow control and keepalives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from cdc_harness import Org, change, error_code, running_org, transaction

from regalsync.contracts.eventbus.v1 import pubsub_pb2

REPLAY_ID_CORRUPTED = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
RETENTION_SECONDS = 3600.0
LEADS = "/data/LeadChangeEvent"


@pytest.fixture
async def org(tmp_path: Path) -> AsyncIterator[Org]:
    # A short keepalive makes "nothing more was sent" observable.
    async with running_org(
        tmp_path, keepalive_seconds=0.2, retention_seconds=RETENTION_SECONDS,
    ) as running:
        yield running


def _publish_leads(org: Org, *names: str) -> None:
    for number, name in enumerate(names):
        record_id = f"00Q5e00000Lead{number:02d}AA"
        org.bus.publish(transaction(change("Lead", "CREATE", record_id, {"LastName": name})))


async def _names(org: Org, events: list[pubsub_pb2.ConsumerEvent]) -> list[str]:
    return [(await org.decode(e))["LastName"] for e in events]


def _position(replay_id: bytes) -> int:
    return int.from_bytes(replay_id, "big")


class TestReplayPresets:
    async def test_earliest_replays_every_retained_event(self, org: Org) -> None:
        """EARLIEST starts from the oldest event still retained."""
        _publish_leads(org, "Ada", "Bo")
        stream = await org.subscribe(LEADS, pubsub_pb2.EARLIEST)
        assert await _names(org, await stream.events(2)) == ["Ada", "Bo"]

    async def test_latest_sends_only_new_events(self, org: Org) -> None:
        """LATEST skips history and delivers what is published afterwards."""
        _publish_leads(org, "Ada")
        stream = await org.subscribe(LEADS, pubsub_pb2.LATEST)
        await stream.keepalive()
        org.bus.publish(transaction(change("Lead", "CREATE", "00Q5e00000NewLeadAA",
                                           {"LastName": "Cy"})))
        assert await _names(org, await stream.events(1)) == ["Cy"]

    async def test_custom_resumes_after_the_given_replay_id(self, org: Org) -> None:
        """CUSTOM sends the events after the stored replay id, not it."""
        _publish_leads(org, "Ada", "Bo", "Cy")
        first = await org.subscribe(LEADS, pubsub_pb2.EARLIEST, num_requested=1)
        stored = (await first.events(1))[0].replay_id
        resumed = await org.subscribe(LEADS, pubsub_pb2.CUSTOM, replay_id=stored)
        assert await _names(org, await resumed.events(2)) == ["Bo", "Cy"]

    async def test_replay_ids_are_8_byte_and_increasing(self, org: Org) -> None:
        """Replay ids are big-endian counters, increasing along a topic."""
        _publish_leads(org, "Ada", "Bo")
        stream = await org.subscribe(LEADS, pubsub_pb2.EARLIEST)
        ids = [e.replay_id for e in await stream.events(2)]
        assert all(len(i) == 8 for i in ids)
        assert _position(ids[0]) < _position(ids[1])

    async def test_response_reports_its_last_replay_id(self, org: Org) -> None:
        """latest_replay_id of a batch is the replay id of its last event."""
        _publish_leads(org, "Ada", "Bo")
        stream = await org.subscribe(LEADS, pubsub_pb2.EARLIEST)
        response = await stream.next_response()
        assert response.latest_replay_id == response.events[-1].replay_id


class TestRetention:
    async def test_replay_id_past_retention_is_refused(self, org: Org) -> None:
        """An expired replay id: INVALID_ARGUMENT with the corrupted-replay trailer."""
        _publish_leads(org, "Ada")
        stream = await org.subscribe(LEADS, pubsub_pb2.EARLIEST)
        stored = (await stream.events(1))[0].replay_id
        org.clock.advance(RETENTION_SECONDS + 1)
        resumed = await org.subscribe(LEADS, pubsub_pb2.CUSTOM, replay_id=stored)
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await resumed.next_response()
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_code(failure.value) == REPLAY_ID_CORRUPTED

    async def test_replay_id_never_issued_is_refused(self, org: Org) -> None:
        """A replay id from the future is refused the same way."""
        _publish_leads(org, "Ada")
        future = (10_000).to_bytes(8, "big")
        stream = await org.subscribe(LEADS, pubsub_pb2.CUSTOM, replay_id=future)
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await stream.next_response()
        assert error_code(failure.value) == REPLAY_ID_CORRUPTED

    async def test_malformed_replay_id_is_refused(self, org: Org) -> None:
        """A replay id that is not 8 bytes is refused."""
        stream = await org.subscribe(LEADS, pubsub_pb2.CUSTOM, replay_id=b"\x01")
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await stream.next_response()
        assert error_code(failure.value) == REPLAY_ID_CORRUPTED

    async def test_earliest_starts_after_expired_events(self, org: Org) -> None:
        """Events older than the retention window are gone."""
        _publish_leads(org, "Ada")
        org.clock.advance(RETENTION_SECONDS + 1)
        _publish_leads(org, "Bo")
        stream = await org.subscribe(LEADS, pubsub_pb2.EARLIEST)
        assert await _names(org, await stream.events(1)) == ["Bo"]


class TestFlowControl:
    async def test_server_sends_no_more_than_requested(self, org: Org) -> None:
        """Ask for 2 of 3 events: get 2, then only keepalives."""
        _publish_leads(org, "Ada", "Bo", "Cy")
        stream = await org.subscribe(LEADS, pubsub_pb2.EARLIEST, num_requested=2)
        assert await _names(org, await stream.events(2)) == ["Ada", "Bo"]
        assert (await stream.keepalive()).pending_num_requested == 0

    async def test_more_credit_releases_the_next_event(self, org: Org) -> None:
        """A further FetchRequest lets the waiting event through."""
        _publish_leads(org, "Ada", "Bo", "Cy")
        stream = await org.subscribe(LEADS, pubsub_pb2.EARLIEST, num_requested=2)
        await stream.events(2)
        await stream.request(1)
        assert await _names(org, await stream.events(1)) == ["Cy"]

    async def test_pending_count_reports_remaining_credit(self, org: Org) -> None:
        """pending_num_requested is what the server still owes the client."""
        _publish_leads(org, "Ada")
        stream = await org.subscribe(LEADS, pubsub_pb2.EARLIEST, num_requested=5)
        assert (await stream.next_response()).pending_num_requested == 4

    async def test_one_request_is_capped_at_100_events(self, org: Org) -> None:
        """num_requested above 100 counts as 100, as Salesforce caps it."""
        _publish_leads(org, *(f"Lead{n}" for n in range(101)))
        stream = await org.subscribe(LEADS, pubsub_pb2.EARLIEST, num_requested=500)
        await stream.events(100)
        assert (await stream.keepalive()).pending_num_requested == 0


class TestKeepalive:
    async def test_idle_stream_gets_an_empty_response(self, org: Org) -> None:
        """With nothing to send, the server still answers within the interval."""
        _publish_leads(org, "Ada")
        stream = await org.subscribe(LEADS, pubsub_pb2.LATEST)
        response = await stream.keepalive()
        assert response.rpc_id
        assert _position(response.latest_replay_id) == org.bus.last_replay_id

    async def test_keepalive_position_never_skips_unsent_events(self, org: Org) -> None:
        """Replaying from a keepalive's replay id still yields the held-back event."""
        _publish_leads(org, "Ada", "Bo")
        stream = await org.subscribe(LEADS, pubsub_pb2.EARLIEST, num_requested=1)
        await stream.events(1)
        stored = (await stream.keepalive()).latest_replay_id
        resumed = await org.subscribe(LEADS, pubsub_pb2.CUSTOM, replay_id=stored)
        assert await _names(org, await resumed.events(1)) == ["Bo"]
