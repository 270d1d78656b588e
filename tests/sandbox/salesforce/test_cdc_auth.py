"""Every Pub/Sub call is authenticated; refusals carry Salesforce's trailers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from cdc_harness import AUTH, INSTANCE_URL, ORG_ID, Org, error_code, running_org

from regalsync.contracts.eventbus.v1 import pubsub_pb2

AUTH_ERROR = "sfdc.platform.eventbus.grpc.service.auth.error"
WRONG_TOKEN = (("accesstoken", "expired"), ("instanceurl", INSTANCE_URL),
               ("tenantid", ORG_ID))


@pytest.fixture
async def org(tmp_path: Path) -> AsyncIterator[Org]:
    async with running_org(tmp_path) as running:
        yield running


def _topic_request() -> pubsub_pb2.TopicRequest:
    return pubsub_pb2.TopicRequest(topic_name="/data/LeadChangeEvent")


class TestAuthentication:
    async def test_call_without_metadata_is_unauthenticated(self, org: Org) -> None:
        """GetTopic with no session metadata: UNAUTHENTICATED and the auth error code."""
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await org.stub.GetTopic(_topic_request())
        assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert error_code(failure.value) == AUTH_ERROR

    async def test_invalid_token_is_unauthenticated(self, org: Org) -> None:
        """A token the org does not know is refused the same way."""
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await org.stub.GetTopic(_topic_request(), metadata=WRONG_TOKEN)
        assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert error_code(failure.value) == AUTH_ERROR

    async def test_other_tenant_cannot_read_schemas(self, org: Org) -> None:
        """GetSchema checks the tenantid too."""
        metadata = (*AUTH[:2], ("tenantid", "00D000000000000AAA"))
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await org.stub.GetSchema(pubsub_pb2.SchemaRequest(schema_id="x"), metadata=metadata)
        assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED

    async def test_subscribe_with_invalid_token_is_refused(self, org: Org) -> None:
        """The stream ends UNAUTHENTICATED before any response."""
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            # The server refuses before reading, so even the first write may fail.
            stream = await org.subscribe("/data/LeadChangeEvent", metadata=WRONG_TOKEN)
            await stream.next_response()
        assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert error_code(failure.value) == AUTH_ERROR


class TestRefusals:
    async def test_publish_accepts_no_event(self, org: Org) -> None:
        """Change event topics refuse published events one by one."""
        request = pubsub_pb2.PublishRequest(
            topic_name="/data/LeadChangeEvent",
            events=[pubsub_pb2.ProducerEvent(id="e1"), pubsub_pb2.ProducerEvent(id="e2")],
        )
        response = await org.stub.Publish(request, metadata=AUTH)
        assert [r.correlation_key for r in response.results] == ["e1", "e2"]
        assert all(r.error.code == pubsub_pb2.PUBLISH and not r.replay_id
                   for r in response.results)

    async def test_subscribe_to_unknown_topic_is_not_found(self, org: Org) -> None:
        """A misspelt topic fails the stream with NOT_FOUND."""
        stream = await org.subscribe("/data/LeedChangeEvent")
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await stream.next_response()
        assert failure.value.code() == grpc.StatusCode.NOT_FOUND

    async def test_negative_num_requested_is_invalid(self, org: Org) -> None:
        """Asking for a negative number of events is INVALID_ARGUMENT."""
        stream = await org.subscribe("/data/LeadChangeEvent", num_requested=-1)
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await stream.next_response()
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
