"""gosc's HTTP protocol on a transport that records what it is given: the protocol is
gosc's own (server/limits.py, server/direct.py), fed bytes as uvloop feeds them."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from gosc.server.direct import ApiProtocol, Routes
from gosc.server.limits import LimitedHttpToolsProtocol, RequestLimits


class Recorded(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.protocol: LimitedHttpToolsProtocol | None = None  # the connection's, once exchanged

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def abort(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8989)}.get(name, default)


async def exchange(
    app: Any,
    *requests: bytes,
    until: int,
    routes: Routes | None = None,
    limits: RequestLimits | None = None,
    keep_open: bool = False,
) -> Recorded:
    """Feed ``requests`` to a connection of gosc's protocol (``routes``: with the API's
    requests answered directly); the writes once ``until`` responses ended.  The connection
    is then lost, unless ``keep_open``."""
    config = uvicorn.Config(app, http="httptools", lifespan="off", log_level="warning")
    config.load()
    state = ServerState()
    limits = limits or RequestLimits()
    protocol: LimitedHttpToolsProtocol
    if routes is None:
        protocol = LimitedHttpToolsProtocol(config=config, server_state=state, app_state={}, limits=limits)
    else:
        protocol = ApiProtocol(config=config, server_state=state, app_state={}, limits=limits, routes=routes)
    transport = Recorded()
    protocol.connection_made(transport)
    for request in requests:
        protocol.data_received(request)
        await asyncio.sleep(0)
    async with asyncio.timeout(10):
        while state.total_requests < until and not transport.closed:
            await asyncio.sleep(0)
    transport.protocol = protocol
    if not keep_open:
        protocol.connection_lost(None)
    return transport
