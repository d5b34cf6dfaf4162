"""The worker's port, claimed before it starts: taken ports are refused, and connections served on the
claimed socket send small answers at once (TCP_NODELAY), as uvicorn's own sockets do."""

from __future__ import annotations

import asyncio
import socket

import pytest

from storemon.broker import free_port
from storemon.listening import PortInUse, claim_port


def test_connections_on_the_claimed_socket_send_without_delay() -> None:
    listening = claim_port("127.0.0.1", free_port())
    accepted: list[int] = []

    async def scenario() -> None:
        async def answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted.append(
                writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            )
            writer.close()

        server = await asyncio.start_server(answer, sock=listening)
        async with server:
            _, writer = await asyncio.open_connection(*listening.getsockname())
            while not accepted:
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(scenario())
    # Without it each answer written in two pieces waits out the client's delayed ACK: ~40 ms a request.
    assert accepted == [1]


def test_a_taken_port_is_refused_with_one_line_naming_it() -> None:
    first = claim_port("127.0.0.1", free_port())
    port = first.getsockname()[1]
    with pytest.raises(PortInUse, match=f"cannot listen on 127.0.0.1:{port}"):
        claim_port("127.0.0.1", port)
    first.close()
