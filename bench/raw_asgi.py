"""A raw ASGI app on gosc's own server stack (server/listen.py's gosc_server: uvicorn on
uvloop with gosc's httptools protocol and its limits, uvloop's TLS with the same
certificate): the ceiling a trivial VI/JSON GET is measured against.
``python -m bench.raw_asgi CERT KEY PORT_FILE [uvicorn]`` (the latter: uvicorn's stock
uvloop + httptools stack, without gosc's limits, for comparison)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import uvicorn
from starlette.types import Receive, Scope, Send

from gosc.server.limits import RequestLimits, server_tls_context
from gosc.server.listen import gosc_server, write_port_file

BODY = b'"2026-01-01T00:00:00Z"'  # about the size of serverClock's answer


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": BODY})


class StockServer(uvicorn.Server):
    """uvicorn's own server, writing the port it bound (as gosc's does) once it listens."""

    def __init__(self, config: uvicorn.Config, port_file: Path) -> None:
        super().__init__(config)
        self.port_file = port_file

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        write_port_file(self.port_file, int(self.servers[0].sockets[0].getsockname()[1]))


def main() -> None:
    cert, key, port_file = sys.argv[1:4]
    if sys.argv[4:] == ["uvicorn"]:  # uvicorn's stock stack (uvloop's TLS, httptools), for comparison
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            loop="uvloop",
            http="httptools",
            ssl_certfile=cert,
            ssl_keyfile=key,
        )
        StockServer(config, Path(port_file)).run()
        return
    gosc_server(
        app, "127.0.0.1", 0, limits=RequestLimits(), tls=server_tls_context(cert, key), port_file=Path(port_file)
    ).run()


if __name__ == "__main__":
    main()
