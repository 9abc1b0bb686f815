"""Serving on a socket and saying where: ``--listen HOST:0`` binds a free port, and the
port actually bound is what the ``serving`` line (and ``--port-file``) report, once the
socket listens, so a caller never has to guess a free port and race for it.

The stack is uvicorn on uvloop with httptools (with gosc's limits: server/limits.py; the
API's requests answered by the protocol itself: server/direct.py) and uvloop's own TLS:
about twice the requests per CPU second of uvicorn's h11 protocol on asyncio's TLS
(docs/decisions.md, "HTTP stack")."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import sys
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import STARTUP_FAILURE
from uvicorn.server import logger as uvicorn_logger

from .direct import ApiProtocol, Routes
from .limits import LimitedHttpToolsProtocol, RequestLimits


def write_port_file(path: Path, port: int) -> None:
    """``port`` and a newline in ``path``, replaced atomically: a reader sees no file or
    the whole number, never a partial write."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(f"{port}\n")
    os.replace(tmp, path)


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class ReportingServer(uvicorn.Server):
    """uvicorn's server, listening with gosc's protocol and TLS, and reporting the bound
    address once its socket listens (after the lifespan start, so a client that reads the
    line is answered at once)."""

    def __init__(
        self,
        config: uvicorn.Config,
        limits: RequestLimits,
        tls: ssl.SSLContext | None,
        port_file: Path | None,
        routes: Routes | None,
    ) -> None:
        super().__init__(config)
        self.limits = limits
        self.routes = routes
        self.tls = tls
        self.scheme = "http" if tls is None else "https"
        self.port_file = port_file
        self.bound_port: int | None = None

    def connection(self) -> asyncio.Protocol:
        """The protocol of one accepted connection."""
        if self.routes is None:
            return LimitedHttpToolsProtocol(
                config=self.config, server_state=self.server_state, app_state=self.lifespan.state, limits=self.limits
            )
        return ApiProtocol(
            config=self.config,
            server_state=self.server_state,
            app_state=self.lifespan.state,
            limits=self.limits,
            routes=self.routes,
        )

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn's own startup (lifespan, then listen) cannot bound the TLS handshake:
        # it passes no ssl_handshake_timeout, and uvloop's default is 60 s.  So the server
        # listens here, and uvicorn is given no SSL options.
        if sockets is not None:
            raise ValueError("gosc listens on its own socket")
        await self.lifespan.startup()
        if self.lifespan.should_exit:
            sys.exit(STARTUP_FAILURE)
        config = self.config
        loop = asyncio.get_running_loop()
        try:
            if self.tls is None:
                server = await loop.create_server(
                    self.connection, host=config.host, port=config.port, backlog=config.backlog
                )
            else:
                server = await loop.create_server(
                    self.connection,
                    host=config.host,
                    port=config.port,
                    backlog=config.backlog,
                    ssl=self.tls,
                    ssl_handshake_timeout=self.limits.header_timeout,
                    ssl_shutdown_timeout=self.limits.header_timeout,
                )
        except OSError as e:  # the address is taken, or not this machine's: uvicorn's one line
            uvicorn_logger.error(e)
            await self.lifespan.shutdown()
            sys.exit(STARTUP_FAILURE)
        self.servers = [server]
        self.started = True
        self.bound_port = int(server.sockets[0].getsockname()[1])
        base = f"{self.scheme}://{url_host(config.host)}:{self.bound_port}"
        print(f"gosc: serving VI/JSON at {base}/sdk/vim25/... and SOAP at {base}/sdk", file=sys.stderr, flush=True)
        if self.port_file is not None:
            write_port_file(self.port_file, self.bound_port)


def gosc_server(
    app: ASGIApp,
    host: str,
    port: int,
    *,
    limits: RequestLimits,
    tls: ssl.SSLContext | None,
    port_file: Path | None = None,
    log_level: str = "warning",
    routes: Routes | None = None,
) -> ReportingServer:
    """The server of ``gosc serve`` (and of the bench's raw ASGI app, bench/raw_asgi.py);
    with ``routes``, the API's requests are answered without ASGI (server/direct.py)."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        ws="none",  # no route of gosc's is a WebSocket: an Upgrade is a plain request
        # Reached directly, never through a proxy: a client on 127.0.0.1 (which uvicorn
        # trusts by default) must not name another address with X-Forwarded-For.
        proxy_headers=False,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        timeout_keep_alive=limits.keep_alive_timeout,
    )
    return ReportingServer(config, limits, tls, port_file, routes)
