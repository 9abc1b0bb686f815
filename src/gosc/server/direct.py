"""The API's requests answered by the connection's protocol itself, without ASGI.

``POST /sdk`` and ``/sdk/vim25/...`` are most of what clients send, and the answer to most
of them is computed without waiting for anything (a property read, ``CurrentTime``, a
task's info).  Through uvicorn each such request still paid for its ASGI cycle: a task,
a scope, the receive and send messages, the header checks of uvicorn's ``send``, about
as much Python time as the handler itself (in process, a trivial app behind uvicorn's
protocol costs 60 µs a request).  Here the protocol (``ApiProtocol``, gosc's limited
httptools protocol) builds the handler's ``ApiRequest`` from the parser's callbacks, runs
the handler at once, and writes the answer as one write; a handler that has to wait (a
task's ``WaitForUpdatesEx``, a Login's password hash) goes on in a task of its own.

Everything else is as on uvicorn's path: the same limits (head deadline and size, body
bound answered 413 as ``read_body`` answers it, connection bound), keep-alive and its
timeout, ``Connection: close`` and HTTP/1.0, uvicorn's ``date`` and ``server`` headers,
and answers in request order: while a direct answer is pending, uvicorn's protocol sees a
request in flight (``_InFlight``), so a pipelined request waits in its pipeline.  What this
path does not take (HEAD, ``Expect: 100-continue``, an upgrade, any other path, the 503
of a connection over the bound) goes through uvicorn's cycle and the ASGI app.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import urllib.parse
from collections.abc import Awaitable
from typing import Any, Protocol

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE

from .front import Handler
from .limits import LimitedHttpToolsProtocol, body_too_large
from .request import Answer, ApiRequest, Resumed, first_headers

log = logging.getLogger(__name__)


class Routes(Protocol):
    def route(self, method: str, path: str) -> Handler | None:
        """The handler of an API request, or None for the ASGI app."""


class _InFlight:
    """What uvicorn's protocol reads of a request cycle, for a request answered here."""

    __slots__ = ("disconnected", "keep_alive", "message_event", "response_complete")

    def __init__(self, keep_alive: bool) -> None:
        self.keep_alive = keep_alive  # False: close after the answer (uvicorn's shutdown clears it too)
        self.response_complete = False
        self.disconnected = False
        self.message_event = asyncio.Event()  # set by uvicorn's connection_lost

    async def receive(self) -> dict[str, Any]:
        """ASGI's receive as a long poll uses it: returns when the client has gone."""
        await self.message_event.wait()
        return {"type": "http.disconnect"}


class _Request:
    __slots__ = ("body", "cycle", "handler", "headers", "method", "path", "raw_path", "refused", "size")

    def __init__(self, handler: Handler, method: str, path: str, raw_path: bytes, headers: dict[bytes, bytes]) -> None:
        self.handler, self.method, self.path, self.raw_path, self.headers = handler, method, path, raw_path, headers
        self.body: list[bytes] = []
        self.size = 0
        self.refused = False
        self.cycle = _InFlight(keep_alive=True)


class ApiProtocol(LimitedHttpToolsProtocol):
    """gosc's protocol: its limits, and the API's requests answered directly."""

    def __init__(self, *args: Any, routes: Routes, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.routes = routes
        self._request: _Request | None = None  # the request being read
        self._answering: _InFlight | None = None  # the request being answered
        self._defaults: tuple[list[tuple[bytes, bytes]] | None, bytes] = (None, b"")  # _default_fields

    def request_head(self) -> None:
        request = self._direct_request()
        if request is None:
            super().request_head()
            return
        # From here uvicorn's protocol sees a request in flight (its head deadline stops,
        # a pipelined request waits), while the body arrives and until the answer is sent.
        keep_alive = self.parser.get_http_version() != "1.0" and self.parser.should_keep_alive()
        self._request, self.cycle, self._answering = request, request.cycle, request.cycle  # type: ignore[assignment]
        request.cycle.keep_alive = keep_alive
        declared = request.headers.get(b"content-length")
        if declared is not None and int(declared) > self.limits.max_body:  # httptools checked it is digits
            self._refuse(request, f"{int(declared)} bytes")

    def _direct_request(self) -> _Request | None:
        if self.over_bound or not (self.cycle is None or self.cycle.response_complete):
            return None  # a 503 to send, or a request before this one still being answered
        method = self.parser.get_method().decode("ascii")
        if method not in ("GET", "POST") or self.parser.should_upgrade():
            return None
        raw_path = httptools.parse_url(self.url).path
        path = raw_path.decode("ascii")
        if "%" in path:
            path = urllib.parse.unquote(path)
        handler = self.routes.route(method, path)
        if handler is None:
            return None
        headers = first_headers(self.headers)
        if b"expect" in headers:
            return None  # 100-continue: uvicorn's cycle answers it
        return _Request(handler, method, path, raw_path, headers)

    def request_body(self, body: bytes) -> None:
        request = self._request
        if request is None:
            super().request_body(body)
            return
        if request.refused:
            return
        request.size += len(body)
        if request.size > self.limits.max_body:
            self._refuse(request, f"more than {self.limits.max_body} bytes")
            return
        request.body.append(body)

    def request_complete(self) -> None:
        request = self._request
        if request is None:
            super().request_complete()
            return
        self._request = None
        if request.refused:
            return
        cycle = request.cycle
        body = request.body[0] if len(request.body) == 1 else b"".join(request.body)
        api = ApiRequest(
            request.method,
            request.path,
            request.raw_path,
            request.headers,
            self.client[0] if self.client else "",
            body,
            cycle.receive,
        )
        coro = request.handler.handle(api)
        # Run at once, in this callback: most answers need no wait, and then no task.  In
        # a context of its own, as a task's (inject.py's context variable is set across
        # a *_Task call); the task that goes on with it, if any, keeps that context.
        context = contextvars.copy_context()
        try:
            waiting = context.run(coro.send, None)
        except StopIteration as done:
            self._answer(cycle, done.value)
            return
        except Exception:
            self._failed(cycle)
            return
        task = self.loop.create_task(self._continue(cycle, Resumed(coro, waiting)), context=context)
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    async def _continue(self, cycle: _InFlight, rest: Awaitable[Answer]) -> None:
        try:
            answer = await rest
        except asyncio.CancelledError:  # the server stops: nothing more is answered here
            if not cycle.response_complete:
                self.transport.close()
            raise
        except Exception:
            self._failed(cycle)
            return
        self._answer(cycle, answer)

    def _failed(self, cycle: _InFlight) -> None:
        log.exception("an API request failed")  # handlers answer faults themselves: this is a bug
        cycle.keep_alive = False
        text = b"Internal Server Error"
        self._answer(cycle, Answer(500, text, b"text/plain; charset=utf-8"))

    def _answer(self, cycle: _InFlight, answer: Answer) -> None:
        cycle.response_complete = True
        if self._answering is cycle:
            self._answering = None
        if self.transport.is_closing():
            return  # the client went away
        parts = [STATUS_LINE[answer.status], self._default_fields()]
        if answer.headers is not None:
            parts.extend(b"%s: %s\r\n" % field for field in answer.headers)
        if answer.content_type is not None:  # as answer_fields: the body's type and length last
            parts.append(b"content-type: %s\r\ncontent-length: %d\r\n" % (answer.content_type, len(answer.body)))
        if not cycle.keep_alive:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        if answer.content_type is not None:  # None: no body (a 204)
            parts.append(answer.body)
        # Sent from a callback of its own, not from within the read callback that may be
        # running (uvloop's TLS read loop): under wrk, a tenth less server CPU a request.
        # Callbacks run in order, so answers leave in request order.
        self.loop.call_soon(self._send, cycle, b"".join(parts))

    def _default_fields(self) -> bytes:
        """uvicorn's ``date`` and ``server`` fields, written once for each list of them
        (uvicorn makes a new one each second)."""
        defaults = self.server_state.default_headers
        if defaults is not self._defaults[0]:
            self._defaults = (defaults, b"".join(b"%s: %s\r\n" % field for field in defaults))
        return self._defaults[1]

    def _send(self, cycle: _InFlight, data: bytes) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(data)
        if not cycle.keep_alive:
            self.transport.close()
        self.on_response_complete()

    def _refuse(self, request: _Request, size: str) -> None:
        """A body over the bound: answered 413 as ``read_body`` answers, the rest unread."""
        request.refused = True
        request.cycle.keep_alive = False  # the only way to be rid of a body nobody will read
        self._answer(request.cycle, body_too_large(request.method, request.path, self.limits.max_body, size, {}))

    def connection_lost(self, exc: Exception | None) -> None:
        answering = self._answering
        if answering is not None and answering is not self.cycle:  # type: ignore[comparison-overlap]  # a pipelined request is queued behind it
            answering.message_event.set()
        super().connection_lost(exc)
