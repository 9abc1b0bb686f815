"""Serving on a socket and saying where: ``--listen HOST:0`` binds a free port, and the
port actually bound is what the ``serving`` line (and ``--port-file``) report, once the
socket listens, so a caller never has to guess a free port and race for it."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import uvicorn


def write_port_file(path: Path, port: int) -> None:
    """``port`` and a newline in ``path``, replaced atomically: a reader sees no file or
    the whole number, never a partial write."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(f"{port}\n")
    os.replace(tmp, path)


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class ReportingServer(uvicorn.Server):
    """uvicorn's server, reporting the bound address once its socket listens (after the
    lifespan start, so a client that reads the line is answered at once)."""

    def __init__(self, config: uvicorn.Config, scheme: str, port_file: Path | None) -> None:
        super().__init__(config)
        self.scheme = scheme
        self.port_file = port_file
        self.bound_port: int | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        listening = [s for server in self.servers for s in (server.sockets or ())]
        if not listening:
            return  # the start failed; uvicorn has said why
        self.bound_port = int(listening[0].getsockname()[1])
        base = f"{self.scheme}://{url_host(self.config.host)}:{self.bound_port}"
        print(f"gosc: serving VI/JSON at {base}/sdk/vim25/... and SOAP at {base}/sdk", file=sys.stderr, flush=True)
        if self.port_file is not None:
            write_port_file(self.port_file, self.bound_port)
