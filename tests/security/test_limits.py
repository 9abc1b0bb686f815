"""Request limits against a real server: what an unauthenticated client can make it hold.

- A 256 MiB body (Content-Length or chunked) to Login (VI/JSON) and to /sdk (SOAP) is
  refused with HTTP 413 and a fault in the endpoint's protocol; the server's peak memory
  (VmHWM) grows by less than 32 MB.  (Before: the body was buffered, then checked.)
- Connections that never complete a request head, or never start the TLS handshake, are
  closed by the server; a normal request is answered meanwhile.  (Before: held forever.)
- Past ``--max-connections`` a new connection is answered 503 with a fault; open ones keep
  being served, and new ones are served again once connections close.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import GoscServer

MiB = 1024 * 1024
HUGE = 256 * MiB
LOGIN = "/sdk/vim25/9.1.0.0/SessionManager/SessionManager/Login"
CLOCK = "/sdk/vim25/9.1.0.0/ServiceInstance/ServiceInstance/serverClock"
BOUND = 60.0  # seconds any wait below may take before the test fails


def _memory_kb(server: GoscServer, field: str) -> int:
    assert server.proc is not None
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{server.proc.pid}/status")


class PeakRss:
    """The server's largest resident size while the block runs, above what it was before:
    VmRSS sampled from a thread, and VmHWM (the kernel's own peak) when that moved."""

    def __init__(self, server: GoscServer) -> None:
        self.server = server
        self.grown_kb = 0
        self._done = threading.Event()

    def _sample(self) -> None:
        while not self._done.wait(0.002):
            self.peak = max(self.peak, _memory_kb(self.server, "VmRSS"))

    def __enter__(self) -> PeakRss:
        self.before, self.hwm = _memory_kb(self.server, "VmRSS"), _memory_kb(self.server, "VmHWM")
        self.peak = self.before
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        hwm = _memory_kb(self.server, "VmHWM")
        peak = max(self.peak, _memory_kb(self.server, "VmRSS"), hwm if hwm > self.hwm else 0)
        self.grown_kb = peak - self.before


def _start(tmp_path_factory: pytest.TempPathFactory, *args: str, tls: bool = True) -> GoscServer:
    return GoscServer(tmp_path_factory.mktemp("limits") / "data", tls=tls, extra_args=list(args)).start()


def _response(data: bytes) -> tuple[int, dict[str, str], bytes] | None:
    """(status, headers, body) once ``data`` holds a whole response, else None."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    if len(body) < int(headers.get("content-length", "0")):
        return None
    return int(lines[0].split()[1]), headers, body


def post_huge(port: int, path: str, content_type: str, *, chunked: bool) -> tuple[int, dict[str, str], bytes]:
    """POST a 256 MiB body while reading: the answer may come before the body is sent.
    A plain socket, one thread: write when writable, read when readable."""
    sock = socket.create_connection(("127.0.0.1", port))
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {HUGE}"
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n{framing}\r\n\r\n".encode()
    )
    block = b"A" * MiB
    piece = (f"{len(block):x}\r\n".encode() + block + b"\r\n") if chunked else block
    pieces = HUGE // MiB
    pending = memoryview(piece)
    received = b""
    sock.setblocking(False)
    deadline = time.monotonic() + BOUND
    try:
        while time.monotonic() < deadline:
            sending = pieces > 0 or len(pending) > 0
            readable, writable, _ = select.select([sock], [sock] if sending else [], [], 1.0)
            if readable:
                try:
                    data = sock.recv(1 << 16)
                except ConnectionResetError:
                    break
                if not data:
                    break
                received += data
                if _response(received) is not None:
                    break
            elif writable:
                if not pending:
                    pieces -= 1
                    pending = memoryview(piece if pieces > 0 else (b"0\r\n\r\n" if chunked else b""))
                try:
                    pending = pending[sock.send(pending) :]
                except (BrokenPipeError, ConnectionResetError):
                    pieces, pending = 0, memoryview(b"")  # the server stopped reading: wait for its answer
    finally:
        sock.close()
    answer = _response(received)
    assert answer is not None, f"no complete response to a 256 MiB POST {path}: {received[:300]!r}"
    return answer


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoscServer]:
    srv = _start(tmp_path_factory, tls=False)
    try:
        yield srv
    finally:
        srv.stop()


SOAP_XML = "text/xml; charset=utf-8"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("path,content_type", [(LOGIN, "application/json"), ("/sdk", SOAP_XML)], ids=["vijson", "soap"])
def test_a_huge_body_is_refused_while_it_arrives(
    plain_server: GoscServer, path: str, content_type: str, chunked: bool
) -> None:
    # Warm the code paths first, so that the peak measured below is the body's alone.
    assert httpx.post(f"{plain_server.url}{LOGIN}", json={"userName": "x", "password": "y"}).status_code == 500
    with PeakRss(plain_server) as peak:
        status, headers, body = post_huge(plain_server.port, path, content_type, chunked=chunked)
    grown_mb = peak.grown_kb / 1024
    assert grown_mb < 32, f"the server's peak memory grew by {grown_mb:.0f} MB for a refused body"
    assert status == 413, (status, body[:300])
    assert headers.get("connection") == "close"
    if path == "/sdk":
        assert headers["content-type"].startswith("text/xml")
        assert b"<soapenv:Fault>" in body and b'xsi:type="InvalidRequest"' in body and b"too large" in body
    else:
        assert headers["content-type"] == "application/json"
        assert b'"_typeName":"InvalidRequest"' in body and b"too large" in body
    # ... and it goes on serving.
    assert httpx.get(f"{plain_server.url}{CLOCK}").status_code == 200


def test_a_body_within_the_limit_is_served(plain_server: GoscServer) -> None:
    """Just under the limit: the body reaches the route (a JSON fault about its content,
    not about its size)."""
    body = b'{"userName":"x","password":"' + b"y" * (16 * MiB - 64) + b'"}'
    r = httpx.post(f"{plain_server.url}{LOGIN}", content=body, timeout=60)
    assert r.status_code == 500 and r.json()["_typeName"] == "InvalidLogin", r.text[:300]


def _closed_by_server(socks: list[socket.socket]) -> list[socket.socket]:
    """Wait (at most BOUND s) until the server has closed each socket; those still open."""
    open_socks = set(socks)
    deadline = time.monotonic() + BOUND
    while open_socks and time.monotonic() < deadline:
        readable, _, _ = select.select(list(open_socks), [], [], 1.0)
        for s in readable:
            try:
                data = s.recv(4096)
            except (ConnectionResetError, ssl.SSLError, ssl.SSLEOFError):
                data = b""
            except (ssl.SSLWantReadError, BlockingIOError):
                continue
            if not data:
                open_socks.discard(s)
    return list(open_socks)


def test_connections_without_a_complete_head_are_closed(tmp_path_factory: pytest.TempPathFactory) -> None:
    srv = _start(tmp_path_factory, "--header-timeout", "2")
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
    partial: list[socket.socket] = []
    silent: list[socket.socket] = []
    try:
        for i in range(300):  # TLS done, then half a request head
            s = tls.wrap_socket(socket.create_connection(("127.0.0.1", srv.port)))
            s.sendall(
                b"POST /sdk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n" if i % 2 else b"GET /sdk/vim"
            )
            s.setblocking(False)
            partial.append(s)
        for _ in range(50):  # TCP only: not even a TLS ClientHello
            silent.append(socket.create_connection(("127.0.0.1", srv.port)))
        # A well-behaved client is served meanwhile.
        assert httpx.get(f"{srv.url}{CLOCK}", verify=False, timeout=30).status_code == 200
        still_open = _closed_by_server(partial + silent)
        assert not still_open, (
            f"{len(still_open)} of {len(partial) + len(silent)} connections were not closed by the server"
        )
        assert httpx.get(f"{srv.url}{CLOCK}", verify=False, timeout=30).status_code == 200
    finally:
        for s in partial + silent:
            s.close()
        srv.stop()


def _tls_socket(port: int) -> ssl.SSLSocket:
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
    s = tls.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=BOUND))
    return s


HEAD = f"GET {CLOCK} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()


def _answer(s: ssl.SSLSocket, rest: bytes = HEAD + b"\r\n") -> tuple[int, dict[str, str], bytes] | None:
    """Send (the rest of) a request and read its answer; None if the server closed the connection."""
    received = b""
    try:
        s.sendall(rest)
        while (answer := _response(received)) is None:
            data = s.recv(65536)
            if not data:
                return None
            received += data
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        return None
    return answer


def test_at_the_bound_a_new_connection_replaces_the_one_idle_longest(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    srv = _start(tmp_path_factory, "--max-connections", "20", "--keep-alive-timeout", "600")
    held = [_tls_socket(srv.port) for _ in range(20)]
    try:
        for s in held:  # 20 connections, each kept alive after its answer, the first idle longest
            answer = _answer(s)
            assert answer is not None and answer[0] == 200
        fresh = _tls_socket(srv.port)
        held.append(fresh)
        answer = _answer(fresh)
        assert answer is not None and answer[0] == 200  # served: an idle connection made room ...
        assert _closed_by_server([held[0]]) == []  # ... the one idle longest, closed by the server
        answer = _answer(held[1])
        assert answer is not None and answer[0] == 200  # the others are still served
    finally:
        for s in held:
            s.close()
        srv.stop()


def test_a_connection_past_the_bound_gets_a_fault_and_the_server_keeps_serving(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    srv = _start(tmp_path_factory, "--max-connections", "20", "--header-timeout", "600")
    # 20 connections in the middle of a request (half a head each): none is idle, none gives way.
    held = [_tls_socket(srv.port) for _ in range(20)]
    try:
        for s in held:
            s.sendall(HEAD)
        with httpx.Client(verify=False, timeout=30) as extra:
            r = extra.get(f"{srv.url}{CLOCK}")
            assert r.status_code == 503 and r.headers["retry-after"] and r.headers["connection"] == "close"
            assert r.json()["_typeName"] == "InvalidRequest" and "too many open connections" in r.text
        with httpx.Client(verify=False, timeout=30) as extra:
            r = extra.post(f"{srv.url}/sdk", content=b"<x/>", headers={"content-type": SOAP_XML})
            assert (
                r.status_code == 503 and b"<soapenv:Fault>" in r.content and b"too many open connections" in r.content
            )
        # The connections already open are still served ...
        for s in held:
            answer = _answer(s, b"\r\n")
            assert answer is not None and answer[0] == 200
        # ... and now that they are idle, a new connection is served in place of one of them.
        with httpx.Client(verify=False, timeout=30) as fresh:
            assert fresh.get(f"{srv.url}{CLOCK}").status_code == 200
    finally:
        for s in held:
            s.close()
        srv.stop()
