"""Typed keys under which the aiohttp application keeps the sandbox."""

from __future__ import annotations

from aiohttp import web

from sandbox.regal.state import SandboxState

STATE = web.AppKey("regal_sandbox_state", SandboxState)
