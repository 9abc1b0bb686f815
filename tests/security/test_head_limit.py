"""The size of a request head against a real server (httptools buffers a head of any length;
gosc bounds it at 16 KiB, as h11 did):

- a head over the bound, whole or arriving without end (a header value, the URL, a
  chunked body's trailer), is refused while it arrives: HTTP 431 (or, for a trailer, the
  connection closed) long before the client has sent it all; the server keeps serving;
- a head just under the bound is served.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.security.test_limits import BOUND, CLOCK, _response
from tests.support.server import GoscServer

KiB = 1024
ENDLESS = 8 * 1024 * KiB  # what a client offers to send; the server must stop it well before


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoscServer]:
    srv = GoscServer(tmp_path_factory.mktemp("head") / "data", tls=False).start()
    try:
        yield srv
    finally:
        srv.stop()


def offer(port: int, start: bytes, piece: bytes = b"a" * KiB) -> tuple[int, bytes, bool]:
    """Send ``start``, then ``piece`` after ``piece`` (up to ENDLESS bytes) while reading:
    (bytes of pieces sent, what the server answered, whether it closed the connection)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(start)
    sock.setblocking(False)
    sent, received, closed, stopped = 0, b"", False, False
    deadline = time.monotonic() + BOUND
    try:
        while time.monotonic() < deadline and not closed:
            writable = [sock] if sent < ENDLESS and not stopped else []
            readable, ready, _ = select.select([sock], writable, [], 1.0)
            if readable:
                try:
                    data = sock.recv(1 << 16)
                except ConnectionResetError:
                    data = b""
                received += data
                closed = not data
            elif ready and piece:
                try:
                    sent += sock.send(piece)
                except (BrokenPipeError, ConnectionResetError):
                    stopped = True  # the server stopped reading: wait for its answer or its close
    finally:
        sock.close()
    return sent, received, closed


def get_with(header_value_size: int) -> bytes:
    return f"GET {CLOCK} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Big: {'a' * header_value_size}\r\n\r\n".encode()


def test_a_head_over_the_bound_is_refused(server: GoscServer) -> None:
    _, received, closed = offer(server.port, get_with(20 * KiB), b"")
    answer = _response(received)
    assert answer is not None and answer[0] == 431, received[:300]
    assert answer[1]["connection"] == "close" and b"larger than 16384 bytes" in answer[2]
    assert closed
    assert httpx.get(f"{server.url}{CLOCK}").status_code == 200


def test_a_head_just_under_the_bound_is_served(server: GoscServer) -> None:
    _, received, _ = offer(server.port, get_with(15 * KiB), b"")
    answer = _response(received)
    assert answer is not None and answer[0] == 200, received[:300]


@pytest.mark.parametrize(
    "start",
    [
        f"GET {CLOCK} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: ".encode(),
        b"GET /sdk/vim25/",
    ],
    ids=["header", "url"],
)
def test_a_head_without_end_is_refused_while_it_arrives(server: GoscServer, start: bytes) -> None:
    sent, received, closed = offer(server.port, start)
    answer = _response(received)
    assert answer is not None and answer[0] == 431, (sent, received[:300])
    assert closed
    # Refused at the bound plus at most a read or two, not after the client's 8 MiB.
    assert sent < ENDLESS // 4, sent
    assert httpx.get(f"{server.url}{CLOCK}").status_code == 200


def test_a_trailer_without_end_closes_the_connection(server: GoscServer) -> None:
    start = (
        b"POST /sdk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4\r\n<x/>\r\n0\r\nX-Endless: "
    )
    sent, received, closed = offer(server.port, start)
    assert closed and sent < ENDLESS // 4, (sent, received[:300])
    assert httpx.get(f"{server.url}{CLOCK}").status_code == 200
