"""Fixtures of the command-line tests: a mapping-service and a CLI runner."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from mapping_server import ADMIN_TOKEN, MappingServer, mapping_server

from regalsync.cli import main


@dataclass(frozen=True)
class Ran:
    """What one CLI run printed and returned."""

    code: int
    out: str
    err: str


class Cli:
    """Run ``regal-sync`` in-process against the test server."""

    def __init__(self, server: MappingServer, capsys: pytest.CaptureFixture[str]) -> None:
        self.server = server
        self._capsys = capsys

    def __call__(self, *argv: str, token: str | None = ADMIN_TOKEN) -> Ran:
        """Run one command with the server's address (and the admin token)."""
        self._capsys.readouterr()
        options = ["--mapping-address", self.server.address]
        if token is not None:
            options += ["--token", token]
        code = main([*argv, *options])
        captured = self._capsys.readouterr()
        return Ran(code, captured.out, captured.err)


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MappingServer]:
    with mapping_server(tmp_path_factory.mktemp("mapping")) as running:
        yield running


@pytest.fixture
def cli(server: MappingServer, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(server, capsys)
