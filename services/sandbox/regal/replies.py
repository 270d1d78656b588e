"""JSON answers and request parsing shared by the events and control APIs."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ControlError(Exception):
    """Raised by a handler to answer ``status`` with ``{"message": ...}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def message_reply(
    status: int, message: str, headers: dict[str, str] | None = None,
) -> web.Response:
    """Return Regal's error shape: a JSON object with one ``message``."""
    return web.json_response({"message": message}, status=status, headers=headers)


@web.middleware
async def control_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn ControlError into its JSON answer."""
    try:
        return await handler(request)
    except ControlError as error:
        return message_reply(error.status, error.message)


async def read_object(request: web.Request, *, empty_ok: bool = True) -> dict[str, Any]:
    """Return the request's JSON object body or raise a 400 ControlError."""
    raw = await request.read()
    if not raw.strip() and empty_ok:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise ControlError(400, "body is not valid JSON") from error
    if not isinstance(body, dict):
        raise ControlError(400, "body must be a JSON object")
    return body


def optional_str(body: dict[str, Any], key: str) -> str | None:
    """Return ``body[key]`` when it is a string, None when absent."""
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ControlError(400, f"{key} must be a string")


def optional_int(
    body: dict[str, Any], key: str, *, minimum: int = 0, default: int | None = None,
) -> int | None:
    """Return ``body[key]`` as an integer at least ``minimum``."""
    value = body.get(key, default)
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ControlError(400, f"{key} must be an integer >= {minimum}")
    return value


def optional_float(body: dict[str, Any], key: str, default: float) -> float:
    """Return ``body[key]`` as a non-negative number."""
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ControlError(400, f"{key} must be a number >= 0")
    return float(value)


def optional_bool(body: dict[str, Any], key: str, default: bool) -> bool:
    """Return ``body[key]`` as a boolean; query strings may say true/false/1/0."""
    value = body.get(key, default)
    if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
        return value.lower() in ("true", "1")
    if not isinstance(value, bool):
        raise ControlError(400, f"{key} must be true or false")
    return value


def optional_object(body: dict[str, Any], key: str) -> dict[str, Any]:
    """Return ``body[key]`` when it is an object, {} when absent."""
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ControlError(400, f"{key} must be an object")
    return value
