"""The API's requests answered by gosc's protocol without ASGI (server/direct.py): what a
client sees must be what uvicorn's cycle would give it.  gosc's own protocol is fed bytes
as uvloop feeds them; the handlers are small ones of these tests, the ASGI app one that
says when it was reached.  (The real server's answers through this path are what every
other test of the API reads; test_limits covers its bounds against a real server.)"""

from __future__ import annotations

import asyncio
from typing import Any

from gosc.server.limits import RequestLimits
from gosc.server.request import Answer, ApiRequest
from tests.support.recorded import exchange


class Handler:
    def __init__(self, wait: asyncio.Event | None = None, fail: bool = False) -> None:
        self.seen: list[ApiRequest] = []
        self.wait, self.fail = wait, fail

    async def handle(self, request: ApiRequest) -> Answer:
        self.seen.append(request)
        if self.fail:
            raise RuntimeError("a bug in a handler")
        if self.wait is not None:
            await self.wait.wait()
        return Answer(200, b"answer to " + request.body, b"text/xml")


class Routes:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def route(self, method: str, path: str) -> Handler | None:
        return self.handler if path.startswith("/sdk") else None


class Asgi:
    """The ASGI app: what the direct path leaves to it."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4")]})
        await send({"type": "http.response.body", "body": b"asgi"})


def post(body: bytes, *extra: bytes, path: bytes = b"/sdk") -> bytes:
    return b"POST %s HTTP/1.1\r\nhost: x\r\ncontent-length: %d\r\n%s\r\n%s" % (
        path,
        len(body),
        b"".join(h + b"\r\n" for h in extra),
        body,
    )


def test_an_api_request_is_answered_without_asgi_in_one_write() -> None:
    handler, app = Handler(), Asgi()
    t = asyncio.run(
        exchange(
            app, post(b"<env/>", b"cookie: a=b", b"Cookie: second"), until=1, routes=Routes(handler), keep_open=True
        )
    )
    assert app.paths == [] and len(t.writes) == 1
    head, body = t.writes[0].split(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"content-length: 16" in head and b"connection" not in head
    assert body == b"answer to <env/>"
    seen = handler.seen[0]
    assert (seen.method, seen.path, seen.raw_path, seen.client) == ("POST", "/sdk", b"/sdk", "127.0.0.1")
    assert seen.headers[b"cookie"] == b"a=b"  # the first of a repeated header, as on the ASGI path
    assert not t.closed  # kept alive


def test_what_the_direct_path_leaves_to_asgi() -> None:
    handler, app = Handler(), Asgi()
    requests = (
        b"GET /ui/ HTTP/1.1\r\nhost: x\r\n\r\n",  # not the API
        b"HEAD /sdk/vim25/x HTTP/1.1\r\nhost: x\r\n\r\n",
        post(b"x", b"expect: 100-continue"),
    )
    t = asyncio.run(exchange(app, *requests, until=3, routes=Routes(handler)))
    assert app.paths == ["/ui/", "/sdk/vim25/x", "/sdk"] and handler.seen == []
    assert len(t.writes) == 4  # the 100 Continue, then three answers


def test_an_answer_that_waits_keeps_its_place_among_pipelined_requests() -> None:
    async def run() -> tuple[list[bytes], Handler, Asgi]:
        release = asyncio.Event()
        handler, app = Handler(wait=release), Asgi()
        asyncio.get_running_loop().call_later(0.05, release.set)
        t = await exchange(
            app, post(b"1") + b"GET /ui/ HTTP/1.1\r\nhost: x\r\n\r\n" + post(b"3"), until=3, routes=Routes(handler)
        )
        return t.writes, handler, app

    writes, handler, app = asyncio.run(run())
    bodies = [w.split(b"\r\n\r\n", 1)[1] for w in writes]
    # The requests behind a pending one wait in uvicorn's pipeline (and so go through ASGI,
    # which in gosc routes /sdk to the same handler): answers leave in request order.
    assert bodies == [b"answer to 1", b"asgi", b"asgi"]
    assert [r.body for r in handler.seen] == [b"1"] and app.paths == ["/ui/", "/sdk"]


def test_a_body_over_the_bound_is_refused_413_and_the_handler_never_runs() -> None:
    limits = RequestLimits(max_body=8)
    for request in (
        post(b"0123456789"),  # declared
        b"POST /sdk HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n",
    ):
        handler = Handler()
        t = asyncio.run(exchange(Asgi(), request, until=1, routes=Routes(handler), limits=limits))
        assert handler.seen == [] and t.closed
        assert t.writes[0].startswith(b"HTTP/1.1 413 ") and b"connection: close" in t.writes[0]
        assert b"The request body is too large" in t.writes[0] and b"Fault" in t.writes[0]  # a SOAP fault for /sdk


def test_connection_close_and_http_1_0_close_after_the_answer() -> None:
    for request in (post(b"a", b"connection: close"), post(b"a").replace(b"HTTP/1.1", b"HTTP/1.0")):
        t = asyncio.run(exchange(Asgi(), request, until=1, routes=Routes(Handler())))
        assert t.closed and b"connection: close\r\n" in t.writes[0]


def test_a_failing_handler_is_answered_500_and_the_connection_closed() -> None:
    t = asyncio.run(exchange(Asgi(), post(b"a"), until=1, routes=Routes(Handler(fail=True))))
    assert t.writes[0].startswith(b"HTTP/1.1 500 ") and t.closed


def test_after_an_answer_the_keep_alive_timeout_governs_not_the_head_deadline() -> None:
    async def run() -> tuple[Any, Any]:
        t = await exchange(Asgi(), post(b"a"), until=1, routes=Routes(Handler()), keep_open=True)
        p = t.protocol
        assert p is not None
        state = (p._head_deadline, p.timeout_keep_alive_task)
        p.connection_lost(None)
        return state

    deadline, keep_alive = asyncio.run(run())
    assert deadline is None and keep_alive is not None


def test_a_long_poll_learns_that_its_client_went_away() -> None:
    class Poll(Handler):
        async def handle(self, request: ApiRequest) -> Answer:
            self.seen.append(request)
            message = await request.receive()
            self.gone = message["type"]
            return Answer(200, b"", b"text/xml")

    async def run() -> Poll:
        handler = Poll()
        t = await exchange(Asgi(), post(b"a"), until=0, routes=Routes(handler), keep_open=True)
        assert t.protocol is not None and handler.seen
        t.protocol.connection_lost(None)
        for _ in range(10):
            await asyncio.sleep(0)
        return handler

    assert asyncio.run(run()).gone == "http.disconnect"


def test_a_body_that_arrives_slowly_is_not_held_to_the_head_deadline() -> None:
    """The head deadline is for heads: once a direct request's head is complete, its body
    may take as long as the client needs (as on uvicorn's path)."""

    async def run() -> Any:
        handler = Handler()
        t = await exchange(Asgi(), post(b"0123456789")[:-4], until=0, routes=Routes(handler), keep_open=True)
        p = t.protocol
        assert p is not None and handler.seen == []
        armed = p._head_deadline
        p.data_received(b"6789")
        for _ in range(10):
            await asyncio.sleep(0)
        p.connection_lost(None)
        return armed, handler.seen[0].body

    armed, body = asyncio.run(run())
    assert armed is None and body == b"0123456789"
