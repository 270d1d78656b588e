"""A gRPC server wire-compatible with Salesforce's ``eventbus.v1.PubSub``.

Every call must carry the ``accesstoken``, ``instanceurl`` and ``tenantid``
metadata Salesforce asks for. Failures answer with a gRPC status and, where
Salesforce defines one, an ``error-code`` trailer a client can act on.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, NoReturn

import grpc
import structlog

from regalsync.contracts.eventbus.v1 import pubsub_pb2, pubsub_pb2_grpc
from sandbox.salesforce.cdc.bus import (
    ChangeEventBus,
    ReplayIdRefused,
    Topic,
    decode_replay_id,
)
from sandbox.salesforce.cdc.subscription import DemandRefused, Subscription
from sandbox.salesforce.tls import TlsFiles

log = structlog.get_logger(__name__)

AUTH_ERROR = "sfdc.platform.eventbus.grpc.service.auth.error"
REPLAY_ID_CORRUPTED = "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted"
DEFAULT_KEEPALIVE_SECONDS = 270.0

Authenticator = Callable[[str, str, str], bool]
"""Decide ``(accesstoken, instanceurl, tenantid)`` is a valid session."""

Context = Any
"""grpc.aio.ServicerContext; grpc ships no type information."""


class PubSubService(pubsub_pb2_grpc.PubSubServicer):
    """Serve topics, schemas and subscriptions of one sandbox org."""

    def __init__(
        self, bus: ChangeEventBus, authenticate: Authenticator, keepalive_seconds: float,
    ) -> None:
        self._bus = bus
        self._authenticate = authenticate
        self._keepalive = keepalive_seconds

    async def GetTopic(
        self, request: pubsub_pb2.TopicRequest, context: Context,
    ) -> pubsub_pb2.TopicInfo:
        """Describe a change event topic; unknown names are NOT_FOUND."""
        rpc_id = await self._authorize(context)
        topic = await self._topic(request.topic_name, context, rpc_id)

        return pubsub_pb2.TopicInfo(
            topic_name=topic.name,
            tenant_guid=self._bus.org_id,
            can_publish=False,
            can_subscribe=True,
            schema_id=topic.schema_id,
            rpc_id=rpc_id,
        )

    async def GetSchema(
        self, request: pubsub_pb2.SchemaRequest, context: Context,
    ) -> pubsub_pb2.SchemaInfo:
        """Return the Avro schema JSON of a change event schema id."""
        rpc_id = await self._authorize(context)
        schema_json = self._bus.schema_json(request.schema_id)
        if schema_json is None:
            await _abort(context, grpc.StatusCode.NOT_FOUND,
                         f"No schema with id {request.schema_id!r}.", rpc_id)

        return pubsub_pb2.SchemaInfo(
            schema_json=schema_json, schema_id=request.schema_id, rpc_id=rpc_id,
        )

    async def Publish(
        self, request: pubsub_pb2.PublishRequest, context: Context,
    ) -> pubsub_pb2.PublishResponse:
        """Refuse every event: change event topics cannot be published to."""
        rpc_id = await self._authorize(context)
        topic = await self._topic(request.topic_name, context, rpc_id)
        refused = pubsub_pb2.Error(
            code=pubsub_pb2.PUBLISH, msg=f"{topic.name} does not accept published events",
        )

        return pubsub_pb2.PublishResponse(
            results=[
                pubsub_pb2.PublishResult(error=refused, correlation_key=event.id)
                for event in request.events
            ],
            schema_id=topic.schema_id,
            rpc_id=rpc_id,
        )

    async def Subscribe(
        self, request_iterator: AsyncIterator[pubsub_pb2.FetchRequest], context: Context,
    ) -> AsyncIterator[pubsub_pb2.FetchResponse]:
        """Stream a topic's events as the client grants credit for them."""
        rpc_id = await self._authorize(context)
        first = await anext(aiter(request_iterator), None)
        if first is None:
            return
        topic = await self._topic(first.topic_name, context, rpc_id)
        position = await self._start_position(first, context, rpc_id)
        subscription = Subscription(
            self._bus, topic, position, rpc_id=rpc_id, keepalive_seconds=self._keepalive,
        )
        log.info("subscription_started", rpc_id=rpc_id, topic=topic.name,
                 replay_preset=pubsub_pb2.ReplayPreset.Name(first.replay_preset))
        try:
            subscription.grant(first.num_requested)
            async for response in subscription.responses(request_iterator):
                yield response
        except DemandRefused as refused:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(refused), rpc_id)
        finally:
            log.info("subscription_ended", rpc_id=rpc_id, topic=topic.name,
                     delivered=subscription.delivered)

    async def _authorize(self, context: Context) -> str:
        """Check the session metadata and return this call's rpc id."""
        rpc_id = str(uuid.uuid4())
        metadata = {m.key: m.value for m in context.invocation_metadata() or ()}
        token, instance_url, tenant_id = (
            str(metadata.get(k) or "") for k in ("accesstoken", "instanceurl", "tenantid")
        )
        if not (token and instance_url and tenant_id):
            await _abort(context, grpc.StatusCode.UNAUTHENTICATED,
                         "The accesstoken, instanceurl and tenantid metadata are required.",
                         rpc_id, AUTH_ERROR)
        if not self._authenticate(token, instance_url, tenant_id):
            log.info("pubsub_call_unauthenticated", rpc_id=rpc_id)
            await _abort(context, grpc.StatusCode.UNAUTHENTICATED,
                         "The session in the call metadata is invalid or expired.",
                         rpc_id, AUTH_ERROR)

        return rpc_id

    async def _topic(self, name: str, context: Context, rpc_id: str) -> Topic:
        if not name:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT,
                         "topic_name is required.", rpc_id)
        topic = self._bus.topic(name)
        if topic is None:
            await _abort(context, grpc.StatusCode.NOT_FOUND,
                         f"Topic {name} does not exist in org {self._bus.org_id}.", rpc_id)

        return topic

    async def _start_position(
        self, first: pubsub_pb2.FetchRequest, context: Context, rpc_id: str,
    ) -> int:
        if first.replay_preset == pubsub_pb2.LATEST:
            return self._bus.last_replay_id
        if first.replay_preset == pubsub_pb2.EARLIEST:
            return self._bus.earliest_position()
        if first.replay_preset != pubsub_pb2.CUSTOM:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT,
                         f"Unknown replay_preset {first.replay_preset}.", rpc_id)
        try:
            position = decode_replay_id(first.replay_id)
            self._bus.check_replay_position(position)
        except ReplayIdRefused as refused:
            log.info("subscription_replay_id_refused", rpc_id=rpc_id, reason=str(refused))
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT,
                         f"Replay ID validation failed: {refused}.", rpc_id, REPLAY_ID_CORRUPTED)

        return position


async def start_pubsub_server(
    bus: ChangeEventBus,
    *,
    authenticate: Authenticator,
    host: str,
    port: int,
    tls: TlsFiles | None,
    keepalive_seconds: float = DEFAULT_KEEPALIVE_SECONDS,
) -> tuple[grpc.aio.Server, int]:
    """Start the Pub/Sub server; return it and the port it is bound to.

    With ``tls`` the server presents the sandbox's certificate, as
    Salesforce's endpoint only speaks TLS; without it, plaintext.
    """
    server = grpc.aio.server()
    service = PubSubService(bus, authenticate, keepalive_seconds)
    pubsub_pb2_grpc.add_PubSubServicer_to_server(service, server)
    address = f"{host}:{port}"
    if tls is None:
        bound = server.add_insecure_port(address)
    else:
        key, chain = await asyncio.to_thread(tls.server_pair)
        bound = server.add_secure_port(address, grpc.ssl_server_credentials([(key, chain)]))
    await server.start()
    log.info("pubsub_server_started", host=host, port=bound, tls=tls is not None)

    return server, bound


async def _abort(
    context: Context,
    code: grpc.StatusCode,
    message: str,
    rpc_id: str,
    error_code: str | None = None,
) -> NoReturn:
    trailers = (("error-code", error_code),) if error_code else ()
    await context.abort(code, f"{message} rpcId: {rpc_id}", trailers)
    raise AssertionError("context.abort returns only by raising")
