"""Change data capture for the sandbox org, served over the Pub/Sub API.

The record store publishes each committed transaction to a
:class:`ChangeEventBus`; :func:`start_pubsub_server` serves the bus to
Pub/Sub API clients. :func:`field_names_from_bitmaps` is the reference
decoder of the header's field bitmaps.
"""

from regalsync.pubsub.bitmaps import encode_bitmaps, field_names_from_bitmaps
from sandbox.salesforce.cdc.bus import ALL_CHANGE_EVENTS, ChangeEventBus
from sandbox.salesforce.cdc.pubsub_server import start_pubsub_server

__all__ = [
    "ALL_CHANGE_EVENTS",
    "ChangeEventBus",
    "encode_bitmaps",
    "field_names_from_bitmaps",
    "start_pubsub_server",
]
