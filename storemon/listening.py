"""The worker's HTTP port, claimed before the worker does anything else."""

from __future__ import annotations

import socket


class PortInUse(RuntimeError):
    """The API's port is taken: the worker stops before it joins its group, so the group never
    rebalances for a worker that could not serve."""


def claim_port(host: str, port: int) -> socket.socket:
    """The API's socket, bound and listening before anything else starts; uvicorn serves on it once
    the worker has started (connections made meanwhile wait in its backlog)."""
    # Named TCP, not left 0: asyncio sets TCP_NODELAY only on sockets that say so, and without it every
    # answer written in two pieces waits out the client's delayed ACK (about 40 ms a request).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a restart may reuse it
    try:
        listening.bind((host, port))
        listening.listen(2048)
    except OSError as error:
        listening.close()
        raise PortInUse(
            f"cannot listen on {host}:{port} ({error.strerror}): another process holds it; "
            "give this worker another port (--port or STOREMON_API_PORT)"
        ) from None
    return listening
