"""How gosc's HTTP protocol (server/limits.py on uvicorn's httptools protocol) writes an
answer to its transport: a response's head and its body in one write (one TLS record, one
``send``: server/coalesce.py), a ``100 Continue`` and a HEAD's head at once, a streamed
body's chunks as they come, and a head held when the app fails still written before the
connection closes.  The protocol is gosc's own, fed bytes as uvloop would; the transport
records what it is given."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.recorded import Recorded, exchange


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


def _plain_exchange(*requests: bytes, until: int) -> Recorded:
    return asyncio.run(exchange(_plain, *requests, until=until))


def test_head_and_body_leave_in_one_write() -> None:
    t = _plain_exchange(
        b"POST /sdk HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc",
        b"GET /two HTTP/1.1\r\nhost: x\r\n\r\n",
        until=2,
    )
    assert len(t.writes) == 2, t.writes  # one per response
    assert t.writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and t.writes[0].endswith(b"\r\n\r\ngot abc")
    assert t.writes[1].endswith(b"\r\n\r\ngot ")


def test_100_continue_and_the_head_of_head_are_not_held() -> None:
    t = _plain_exchange(
        b"POST /sdk HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nexpect: 100-continue\r\n\r\n", b"hi", until=1
    )
    assert t.writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert t.writes[1].startswith(b"HTTP/1.1 200 OK") and t.writes[1].endswith(b"got hi") and len(t.writes) == 2
    head = _plain_exchange(b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n", until=1)
    assert len(head.writes) == 1 and head.writes[0].endswith(b"\r\n\r\n")  # no body write follows a HEAD's head


async def _streamed(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})  # chunked
    for part in (b"one", b"two"):
        await send({"type": "http.response.body", "body": part, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def test_a_streamed_body_leaves_chunk_by_chunk_after_the_head() -> None:
    t = asyncio.run(exchange(_streamed, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", until=1))
    assert len(t.writes) == 3, t.writes
    assert b"transfer-encoding: chunked" in t.writes[0] and t.writes[0].endswith(b"\r\n\r\n3\r\none\r\n")
    assert t.writes[1:] == [b"3\r\ntwo\r\n", b"0\r\n\r\n"]


async def _fails_after_head(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
    raise RuntimeError("the app broke after its head")


def test_a_held_head_is_written_before_the_connection_closes() -> None:
    t = asyncio.run(exchange(_fails_after_head, b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", until=1))
    assert t.closed
    assert len(t.writes) == 1 and t.writes[0].startswith(b"HTTP/1.1 200 OK")
