"""Save the org to a JSON file on shutdown and load it on start.

Snapshots are taken on the event loop (so they are consistent) and the
file is written in a worker thread (so the loop never blocks on disk).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from sandbox.salesforce.context import SandboxState

_FORMAT = 1


async def save_state(state: SandboxState) -> Path | None:
    """Write the org's records, usage and clock to the configured state file."""
    path = state.config.state_file
    if path is None:
        return None
    await asyncio.to_thread(_write, path, snapshot(state))
    return path


async def load_state(state: SandboxState, path: Path) -> bool:
    """Load a state file written by :func:`save_state`; return False if absent."""
    text = await asyncio.to_thread(_read, path)
    if text is None:
        return False
    restore(state, json.loads(text), path)
    return True


def snapshot(state: SandboxState) -> str:
    """Serialize the org's state as JSON text."""
    data: dict[str, Any] = {
        "format": _FORMAT, "store": state.store.dump(),
        "api_usage": state.usage.used, "clock_offset": state.clock.offset_seconds,
        "jwt_certificates": [c.decode() for c in state.app.certificates],
    }
    return json.dumps(data)


def restore(state: SandboxState, data: dict[str, Any], path: Path) -> None:
    """Replace the org's state with a snapshot."""
    if data.get("format") != _FORMAT:
        raise ValueError(f"{path}: unsupported state file format {data.get('format')!r}")
    state.store.load(data["store"])
    state.usage.used = int(data["api_usage"])
    state.clock.offset_seconds = float(data["clock_offset"])
    for pem in data.get("jwt_certificates", []):
        if pem.encode() not in state.app.certificates:
            state.app.certificates.append(pem.encode())


def _write(path: Path, text: str) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None
