"""Print results for people (a terminal) or for scripts (``--json``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any


class CommandFailed(Exception):
    """End a command with a message, an error code and an exit code."""

    def __init__(self, message: str, code: str, exit_code: int) -> None:
        super().__init__(message)
        self.code = code
        self.exit_code = exit_code


class Output:
    """Write one command's result in the chosen form."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def result(self, data: Any, lines: Iterable[str]) -> None:
        """Print ``data`` as JSON, or the human ``lines``."""
        if self.as_json:
            print(json.dumps(data, indent=2, sort_keys=True), flush=True)
            return
        for line in lines:
            print(line, flush=True)

    def error(self, message: str, code: str) -> None:
        """Report a failure on stderr (JSON on stdout for scripts)."""
        if self.as_json:
            print(json.dumps({"error": {"code": code, "message": message}}), flush=True)
            return
        print(f"error: {message}", file=sys.stderr, flush=True)
