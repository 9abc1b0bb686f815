"""A raw ASGI app on gosc's own server stack (uvicorn with gosc's protocol factory: its
h11 protocol, its limits, asyncio's TLS with the same certificate): the ceiling a trivial
VI/JSON GET is measured against.  ``python -m bench.raw_asgi CERT KEY PORT_FILE [uvloop-httptools]``
(the latter: uvicorn's uvloop + httptools stack with its own TLS, for comparison)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import uvicorn

from gosc.server.limits import RequestLimits, protocol_factory, server_tls_context
from gosc.server.listen import ReportingServer

BODY = b'"2026-01-01T00:00:00Z"'  # about the size of serverClock's answer


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
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


def main() -> None:
    cert, key, port_file = sys.argv[1:4]
    if sys.argv[4:] == ["uvloop-httptools"]:  # uvicorn's fast stack (uvloop's TLS, httptools), for comparison
        fast = ReportingServer(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=0,
                log_level="warning",
                access_log=False,
                loop="uvloop",
                http="httptools",
                ssl_certfile=cert,
                ssl_keyfile=key,
            ),
            "https",
            Path(port_file),
        )
        fast.run()
        return
    limits = RequestLimits()
    tls = server_tls_context(cert, key)
    server = ReportingServer(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            lifespan="on",
            http=protocol_factory(limits, tls),  # type: ignore[arg-type]  # a factory, as gosc serve passes it
            timeout_keep_alive=limits.keep_alive_timeout,
        ),
        "https",
        Path(port_file),
    )
    server.run()


if __name__ == "__main__":
    main()
