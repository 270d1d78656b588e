"""Pick free TCP ports on loopback for the processes of a local suite."""

from __future__ import annotations

import socket


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Return ``count`` distinct ports that were free a moment ago.

    The sockets stay open until all ports are chosen, so the same port is
    never returned twice; another program could still take one before the
    suite binds it, which the supervisor's restart would then surface.
    """
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()
