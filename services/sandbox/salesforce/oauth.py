"""OAuth 2.0 endpoints: authorize, token (four grants) and revoke."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlencode

import structlog
from aiohttp import web

from sandbox.salesforce.context import STATE, SandboxState
from sandbox.salesforce.jwt_bearer import verify_assertion
from sandbox.salesforce.tokens import OAuthError

log = structlog.get_logger(__name__)
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LOGIN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


def add_routes(app: web.Application) -> None:
    """Mount the OAuth endpoints under ``/services/oauth2/``."""
    app.router.add_get("/services/oauth2/authorize", authorize)
    app.router.add_post("/services/oauth2/token", token)
    app.router.add_post("/services/oauth2/revoke", revoke)


async def authorize(request: web.Request) -> web.StreamResponse:
    """Approve at once as the requested (or integration) user; redirect with a code."""
    state = request.app[STATE]
    query = request.query
    redirect_uri = query.get("redirect_uri", "")
    if query.get("client_id") != state.app.client_id:
        return _oauth_error(OAuthError("invalid_client_id", "client identifier invalid"))
    if not redirect_uri:
        return _oauth_error(OAuthError("redirect_uri_mismatch", "redirect_uri missing"))
    if query.get("response_type") != "code":
        return _redirect(redirect_uri, {
            "error": "unsupported_response_type",
            "error_description": "response type not supported",
        }, query.get("state"))
    method = query.get("code_challenge_method", "S256")
    if method not in ("S256", "plain"):
        return _redirect(redirect_uri, {
            "error": "invalid_request", "error_description": "invalid code challenge method",
        }, query.get("state"))
    user_id = _user_id(state, query.get("login_hint")) or state.store.integration_user_id
    code = state.tokens.new_code(
        user_id, state.app.client_id, redirect_uri, query.get("code_challenge"), method,
    )
    return _redirect(redirect_uri, {"code": code}, query.get("state"))


async def token(request: web.Request) -> web.Response:
    """Exchange a grant for an access token, Salesforce-shaped."""
    state = request.app[STATE]
    form = dict(await request.post())
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    _merge_basic_auth(request, params)
    grant = params.get("grant_type", "")
    try:
        body = _grant(state, grant, params)
    except OAuthError as exc:
        log.info("oauth_token_refused", grant_type=grant, error=exc.error)
        return _oauth_error(exc)
    log.info("oauth_token_issued", grant_type=grant)
    return web.json_response(body)


async def revoke(request: web.Request) -> web.Response:
    """Revoke an access or refresh token."""
    state = request.app[STATE]
    form = await request.post()
    token_value = form.get("token") or request.query.get("token")
    if not isinstance(token_value, str) or not state.tokens.revoke(token_value):
        return _oauth_error(OAuthError(
            "unsupported_token_type", "this token type is not supported",
        ))
    return web.Response(status=200)


def _grant(state: SandboxState, grant: str, params: dict[str, str]) -> dict[str, Any]:
    if grant == "authorization_code":
        return _authorization_code(state, params)
    if grant == "refresh_token":
        _check_client(state, params, secret_required=False)
        access, user_id = state.tokens.refresh(
            params.get("refresh_token", ""), params.get("client_id", ""),
        )
        return _answer(state, access, None, user_id)
    if grant == "client_credentials":
        _check_client(state, params, secret_required=True)
        user_id = state.store.integration_user_id
        access, _ = state.tokens.issue(user_id, state.app.client_id, with_refresh=False)
        return _answer(state, access, None, user_id)
    if grant == JWT_GRANT:
        return _jwt_bearer(state, params)
    raise OAuthError("unsupported_grant_type", "grant type not supported")


def _authorization_code(state: SandboxState, params: dict[str, str]) -> dict[str, Any]:
    verifier = params.get("code_verifier")
    _check_client(state, params, secret_required=verifier is None)
    grant = state.tokens.redeem_code(
        params.get("code", ""), params.get("client_id", ""),
        params.get("redirect_uri", ""), verifier,
    )
    access, refresh = state.tokens.issue(grant.user_id, grant.client_id, with_refresh=True)
    return _answer(state, access, refresh, grant.user_id)


def _jwt_bearer(state: SandboxState, params: dict[str, str]) -> dict[str, Any]:
    username = verify_assertion(
        params.get("assertion", ""), state.app.certificates,
        client_id=state.app.client_id,
        username_exists=lambda name: _user_id(state, name) is not None,
        audiences=(state.instance_url, *LOGIN_AUDIENCES),
        now=state.clock.now(),
    )
    user_id = _user_id(state, username) or ""
    access, _ = state.tokens.issue(user_id, state.app.client_id, with_refresh=False)
    return _answer(state, access, None, user_id)


def _check_client(state: SandboxState, params: dict[str, str], *, secret_required: bool) -> None:
    if params.get("client_id") != state.app.client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    secret = params.get("client_secret")
    if secret is None and not secret_required:
        return
    if secret is None or not secrets.compare_digest(secret, state.app.client_secret):
        raise OAuthError("invalid_client", "invalid client credentials")


def _answer(
    state: SandboxState, access: str, refresh: str | None, user_id: str,
) -> dict[str, Any]:
    issued_at = str(int(state.clock.now() * 1000))
    identity = f"{state.instance_url}/id/{state.store.org_id}/{user_id}"
    digest = hmac.new(
        state.app.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256,
    ).digest()
    body: dict[str, Any] = {
        "access_token": access, "signature": base64.b64encode(digest).decode(),
        "scope": "api refresh_token" if refresh else "api",
        "instance_url": state.instance_url, "id": identity,
        "token_type": "Bearer", "issued_at": issued_at,
    }
    if refresh is not None:
        body["refresh_token"] = refresh
    return body


def _user_id(state: SandboxState, username: str | None) -> str | None:
    if not username:
        return None
    found = state.store.find_by_field("User", "Username", username)
    return found[0] if found else None


def _merge_basic_auth(request: web.Request, params: dict[str, str]) -> None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return
    try:
        decoded = base64.b64decode(header[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return
    client_id, _, secret = decoded.partition(":")
    params.setdefault("client_id", client_id)
    params.setdefault("client_secret", secret)


def _redirect(uri: str, params: dict[str, str], state: str | None) -> web.Response:
    if state is not None:
        params["state"] = state
    separator = "&" if "?" in uri else "?"
    return web.Response(status=302, headers={"Location": uri + separator + urlencode(params)})


def _oauth_error(exc: OAuthError) -> web.Response:
    return web.json_response(
        {"error": exc.error, "error_description": exc.description}, status=exc.status,
    )
