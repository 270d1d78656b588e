"""Fetching a Salesforce token leaves the event loop free.

Building the grant can mean loading an RSA key and signing a JWT
assertion, tens of milliseconds of CPU; on the ingress's event loop that
would hold up every webhook's acknowledgement meanwhile.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from regalsync.salesforce import auth
from regalsync.salesforce.auth import OAuthCredentials, TokenProvider
from sandbox.salesforce.app import running_sandbox
from sandbox.salesforce.context import SandboxConfig


async def test_the_grant_is_built_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built_on: list[int] = []
    build = auth._grant_form

    def recording(credentials: OAuthCredentials) -> Any:
        built_on.append(threading.get_ident())
        return build(credentials)

    monkeypatch.setattr(auth, "_grant_form", recording)
    config = SandboxConfig(state_dir=tmp_path, port=0, pubsub_port=0)
    async with running_sandbox(config) as sandbox:
        info = sandbox.info
        tokens = TokenProvider(OAuthCredentials(
            login_url=info.instance_url, flow="client_credentials",
            client_id=info.client_id, client_secret=info.client_secret),
            ca_bundle=info.ca_bundle)
        token = await tokens.token()
    assert token.access_token
    assert built_on
    assert threading.get_ident() not in built_on
