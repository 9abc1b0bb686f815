"""How gosc's HTTP protocol (server/limits.py on uvicorn's httptools protocol) writes an
answer to its transport: a response's head and its body in one write (one TLS record, one
``send``: server/coalesce.py), a ``100 Continue`` and a HEAD's head at once, a streamed
body's chunks as they come, and a head held when the app fails still written before the
connection closes.  The protocol is gosc's own, fed bytes as uvloop would; the transport
records what it is given."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from gosc.server.limits import LimitedHttpToolsProtocol, RequestLimits


class Recorded(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

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


async def _exchange(app: Any, *requests: bytes, until: int) -> Recorded:
    """Feed ``requests`` to a connection of gosc's protocol; the writes once ``until``
    responses ended."""
    config = uvicorn.Config(app, http="httptools", lifespan="off", log_level="warning")
    config.load()
    state = ServerState()
    protocol = LimitedHttpToolsProtocol(config=config, server_state=state, app_state={}, limits=RequestLimits())
    transport = Recorded()
    protocol.connection_made(transport)
    for request in requests:
        protocol.data_received(request)
        await asyncio.sleep(0)
    async with asyncio.timeout(10):
        while state.total_requests < until and not transport.closed:
            await asyncio.sleep(0)
    protocol.connection_lost(None)
    return transport


async def _plain(scope: Any, receive: Any, send: Any) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    answer = b"got " + body
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(answer))]})
    await send({"type": "http.response.body", "body": answer})


def test_head_and_body_leave_in_one_write() -> None:
    t = asyncio.run(
        _exchange(
            _plain,
            b"POST /sdk HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc",
            b"GET /two HTTP/1.1\r\nhost: x\r\n\r\n",
            until=2,
        )
    )
    assert len(t.writes) == 2, t.writes  # one per response
    assert t.writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and t.writes[0].endswith(b"\r\n\r\ngot abc")
    assert t.writes[1].endswith(b"\r\n\r\ngot ")


def test_100_continue_and_the_head_of_head_are_not_held() -> None:
    t = asyncio.run(
        _exchange(
            _plain,
            b"POST /sdk HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nexpect: 100-continue\r\n\r\n",
            b"hi",
            until=1,
        )
    )
    assert t.writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert t.writes[1].startswith(b"HTTP/1.1 200 OK") and t.writes[1].endswith(b"got hi") and len(t.writes) == 2
    head = asyncio.run(_exchange(_plain, b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n", until=1))
    assert len(head.writes) == 1 and head.writes[0].endswith(b"\r\n\r\n")  # no body write follows a HEAD's head


async def _streamed(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})  # chunked
    for part in (b"one", b"two"):
        await send({"type": "http.response.body", "body": part, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def test_a_streamed_body_leaves_chunk_by_chunk_after_the_head() -> None:
    t = asyncio.run(_exchange(_streamed, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", until=1))
    assert len(t.writes) == 3, t.writes
    assert b"transfer-encoding: chunked" in t.writes[0] and t.writes[0].endswith(b"\r\n\r\n3\r\none\r\n")
    assert t.writes[1:] == [b"3\r\ntwo\r\n", b"0\r\n\r\n"]


async def _fails_after_head(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
    raise RuntimeError("the app broke after its head")


def test_a_held_head_is_written_before_the_connection_closes() -> None:
    t = asyncio.run(_exchange(_fails_after_head, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", until=1))
    assert t.closed
    assert len(t.writes) == 1 and t.writes[0].startswith(b"HTTP/1.1 200 OK")
