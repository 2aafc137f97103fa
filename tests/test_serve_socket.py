"""The socket `serve` binds makes asyncio set TCP_NODELAY on every connection: without it
each keep-alive answer (headers, then body, two writes) waited ~40 ms for the client's
delayed ACK, so one client got ~22 answers a second from any route (issue 16). uvicorn 0.55
makes its socket with proto IPPROTO_TCP, which asyncio marks itself; older releases (>=0.30
is allowed) made proto 0, so `_bind` still sets the option."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from app.serve import _bind


def _nodelay_of_accepted(sock: socket.socket) -> int:
    """TCP_NODELAY of a connection accepted by an asyncio server on `sock` (as uvicorn runs)."""
    seen: asyncio.Future[int]

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def run() -> int:
        nonlocal seen
        seen = asyncio.get_running_loop().create_future()
        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        port = sock.getsockname()[1]
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(seen, 10)
        finally:
            writer.close()
            server.close()

    return asyncio.run(run())


def test_connections_on_the_served_socket_have_nodelay() -> None:
    sock = _bind(uvicorn.Config("app.serve:worker_app", host="127.0.0.1", port=0))
    assert _nodelay_of_accepted(sock) != 0

