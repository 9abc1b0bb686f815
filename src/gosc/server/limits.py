"""Request limits: what an unauthenticated client can make the server hold.

Four bounds, each answered as a vSphere client expects (a fault in its protocol) where the
request was read far enough to have a protocol:

- **Body size**, enforced while the body arrives and before it is buffered
  (``BodyLimit``, an ASGI middleware in front of every route): a ``Content-Length`` over
  the limit is refused at once, a chunked body is counted as it arrives and refused at
  the byte that crosses the limit.  Guest file uploads (``/guestFile``) are streamed to
  the guest instead and bounded by their ticket's announced size (server/guestfile.py).  HTTP 413 with ``InvalidRequest`` (VI/JSON fault body,
  or a SOAP fault for ``/sdk``), then the connection is closed.
- **Time to send a request head** (``LimitedHttpToolsProtocol``): a connection that has
  not sent complete request headers within ``header_timeout`` seconds of connecting (or of
  starting a new request on a kept-alive connection) is closed; the TLS handshake has the
  same bound (the listening server's ``ssl_handshake_timeout``, server/listen.py), and an
  idle kept-alive connection ``keep_alive_timeout``.  uvicorn has neither of the first two:
  its protocols wait for a head forever, and it cannot pass a handshake timeout.
- **Size of a request head** (and of a chunked body's trailer): past ``max_head`` bytes
  the request is answered HTTP 431 in plain text and the connection closed (h11 had this
  bound; httptools and uvicorn's protocol on it buffer a head of any length).
- **Connections**: past ``max_connections`` open connections, a new one first takes the
  place of the connection idle longest between requests on keep-alive (closed silently, as
  HTTP lets a server close an idle connection at any time; its client reconnects).  With
  none idle, it is answered HTTP 503 with a fault (and ``Retry-After``) for its first
  request, then closed; the connections already open keep being served.  So a long
  keep-alive (pyVmomi clients such as Ansible's modules sleep 15 s between reads on one
  connection and do not reconnect) costs nothing when connections run short.  uvicorn's own
  ``limit_concurrency`` answers plain text and keeps the idle connections, so it bounds
  nothing by itself.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import ssl
from dataclasses import dataclass
from typing import Any

from pyVmomi import vmodl
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from ..vim import soap_codec
from ..vim import types as T
from ..vim.faults import invalid_request
from .coalesce import HeadWithBody
from .request import Answer, send_answer
from .soap import soap_answer
from .vijson import fault_answer as vijson_fault

log = logging.getLogger(__name__)

MiB = 1024 * 1024


@dataclass(frozen=True)
class RequestLimits:
    max_body: int = 16 * MiB  # bytes of one request body
    header_timeout: float = 10.0  # seconds to complete the TLS handshake, and then each request head
    # Seconds an idle kept-alive connection stays open (uvicorn's type); `gosc serve` gives
    # 300: longer than the pauses of pyVmomi clients that never reconnect (docs/decisions.md).
    keep_alive_timeout: int = 300
    max_connections: int = 1000  # open connections served at once
    # Bytes of a request head (or of a chunked body's trailer): what h11 bounded (16 KiB);
    # httptools buffers a head of any length.
    max_head: int = 16 * 1024


def _is_soap(scope: Scope) -> bool:
    return scope.get("path", "") in ("/sdk", "/sdk/")


def fault_answer(scope: Scope, f: vmodl.MethodFault, status: int, headers: dict[str, str]) -> Answer:
    """``f`` in the protocol of the request's path: a SOAP fault for ``/sdk``, a VI/JSON
    fault body everywhere else."""
    if _is_soap(scope):
        answer = soap_answer(soap_codec.fault_response(f, T.NEWEST_VERSION), status)
    else:
        answer = vijson_fault(f, T.NEWEST_VERSION, status)
    return answer._replace(headers=[(k.encode(), v.encode()) for k, v in headers.items()])


async def read_body(scope: Scope, receive: Receive, send: Send, max_body: int) -> bytes | None:
    """The request's body, counted as it arrives; None when it was over ``max_body`` (then
    answered 413 without reading the rest) or the client went away before its end."""
    declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
    if declared is not None and int(declared) > max_body:  # httptools has checked it is digits
        await _refuse(scope, receive, send, max_body, f"{int(declared)} bytes")
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None  # the client went away: nobody to answer
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > max_body:
            await _refuse(scope, receive, send, max_body, f"more than {max_body} bytes")
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _refuse(scope: Scope, receive: Receive, send: Send, max_body: int, size: str) -> None:
    # Closing the connection is the only way to be rid of a body nobody will read.
    await send_answer(send, body_too_large(scope["method"], scope["path"], max_body, size, {"connection": "close"}))


def body_too_large(method: str, path: str, max_body: int, size: str, headers: dict[str, str]) -> Answer:
    """The 413 answer (and its log line) to a body over ``max_body``; ``size``: what was seen of it."""
    log.info("refused a %s request body of %s on %s", method, size, path)
    f = invalid_request(f"The request body is too large ({size}); this server accepts at most {max_body} bytes")
    return fault_answer({"path": path}, f, 413, headers)


class BodyLimit:
    """Reads each request body (``read_body``) before the route runs, and hands the route
    the whole body; a body over the limit is answered 413 without reading the rest.  (The
    API's own endpoints read theirs in server/front.py, in front of this.)"""

    def __init__(self, app: ASGIApp, max_body: int, streamed: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.max_body = max_body
        # Paths whose route streams its body to disk and bounds it itself (guest file
        # uploads: the size announced for the ticket); their bodies are not buffered here.
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.streamed:
            await self.app(scope, receive, send)
            return
        body = await read_body(scope, receive, send, self.max_body)
        if body is None:
            return
        first: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

        async def replay() -> Message:
            # The body, then the live channel (a route may watch it for the client's disconnect).
            return first.pop() if first else await receive()

        await self.app(scope, replay, send)


async def _busy(scope: Scope, receive: Receive, send: Send) -> None:
    """The answer to the first request of a connection past the bound."""
    f = invalid_request("The server has too many open connections; retry later")
    await send_answer(send, fault_answer(scope, f, 503, {"connection": "close", "retry-after": "1"}))


_RESPONSES = itertools.count(1)  # responses ended, in order (LimitedHttpToolsProtocol._idle_since)


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline on each request head, a bound on its
    size, and a connection bound."""

    def __init__(self, *args: Any, limits: RequestLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._head_deadline: asyncio.TimerHandle | None = None
        self._idle_since = 0  # when its last response ended (_RESPONSES), kept alive between requests
        self._reading_head = False  # the parser is in a request head
        self._progressed = False  # the parser reported progress in the read being parsed
        self._unparsed = 0  # bytes read since the parser last reported progress
        self._refused = False  # a head was too large: the connection is closing
        self._ended = 0  # requests read to their end on this connection
        self.over_bound = False  # opened past the connection bound: answered 503 (by the ASGI path)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn's own narrowing
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections and not self._evict_an_idle_connection():
            self.app = _busy  # this connection only: its request is answered 503, then it closes
            self.over_bound = True
            log.warning("more than %d open connections: answering a new one 503", self.limits.max_connections)
        self._await_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # An order, not a time: uvloop's clock counts milliseconds, and many answers end
        # within one (which connection is idle longest must not be a coin toss).
        self._idle_since = next(_RESPONSES)

    def shutdown(self) -> None:
        # The server stops: an idle kept-alive connection goes at once.  uvicorn would close
        # it, which under TLS waits for the client's close_notify, and a pyVmomi client that
        # is not reading never sends one: every stop would then last the graceful timeout.
        if self._is_idle():
            self.transport.abort()
            return
        super().shutdown()

    def _is_idle(self) -> bool:
        """Between requests on keep-alive (uvicorn's keep-alive timer runs only then)."""
        return self.timeout_keep_alive_task is not None and not self.transport.is_closing()

    def _evict_an_idle_connection(self) -> bool:
        idle = [
            c for c in self.connections if isinstance(c, LimitedHttpToolsProtocol) and c is not self and c._is_idle()
        ]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c._idle_since)
        log.info("at %d open connections: closing the one idle longest for a new one", self.limits.max_connections)
        oldest.transport.close()
        return True

    def _awaiting_head(self) -> bool:
        """No request of this connection is being read or answered: whatever arrives now is
        (part of) the next request head.  ``self.cycle`` is the last request whose head was
        complete; requests are answered in order, so once it is answered all are."""
        return self.cycle is None or self.cycle.response_complete

    # The size of a head.  A complete one is measured (url and headers); bytes read without
    # progress of the parser (a complete head, a piece of body, a complete request) are
    # counted, as they are a head, a chunk's size line or a trailer arriving, which
    # httptools (and uvicorn's url and headers) would buffer without end.  A read in which
    # the parser progressed resets that count: an incomplete head is refused past
    # ``max_head`` plus at most one read.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_head = True

    def on_header(self, name: bytes, value: bytes) -> None:
        # After the head, a chunked body's trailer: ASGI gives a request none (uvicorn's h11
        # protocol drops them too), and appended to the request's headers they would grow.
        if self._reading_head:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._progressed, self._reading_head = True, False
        if self._refused:
            return
        if len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers) > self.limits.max_head:
            self._head_too_large()
            return  # no request: what the parser reports next of it is dropped (self._refused)
        self.request_head()

    def request_head(self) -> None:
        """A request head within the limits is complete: answer it through uvicorn's cycle
        (server/direct.py answers the API's requests without one)."""
        last = self.cycle
        super().on_headers_complete()
        if self.cycle is not last:  # its task is created, not yet run
            self.cycle.transport = HeadWithBody(self.transport, self.cycle)

    def request_body(self, body: bytes) -> None:
        super().on_body(body)

    def request_complete(self) -> None:
        super().on_message_complete()

    def on_body(self, body: bytes) -> None:
        self._progressed = True
        if not self._refused:
            self.request_body(body)

    def on_message_complete(self) -> None:
        self._progressed = True
        self._ended += 1
        if not self._refused:
            self.request_complete()

    def data_received(self, data: bytes) -> None:
        self._progressed = False
        ended = self._ended
        super().data_received(data)
        if self._refused:
            return
        if self._progressed:
            self._unparsed = 0
        else:
            self._unparsed += len(data)
            if self._unparsed > self.limits.max_head and not self.transport.is_closing():
                self._head_too_large()
                return
        if self._reading_head or (self._awaiting_head() and ended == self._ended):
            self._await_head()  # a head has begun (or not even that) but is not complete
        else:
            # A request is being answered, or all that was read was answered at once
            # (server/direct.py): from now the keep-alive timeout governs.
            self._head_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_complete()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        if self._head_deadline is None and not self.transport.is_closing():
            self._head_deadline = self.loop.call_later(self.limits.header_timeout, self._head_timed_out)

    def _head_complete(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_large(self) -> None:
        log.info("closing a connection whose request head is over %d bytes", self.limits.max_head)
        self._refused = True
        self._head_complete()
        if self._awaiting_head():  # nothing is being answered: the client can be told why
            text = f"The request head is larger than {self.limits.max_head} bytes".encode()
            head = b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\ncontent-length: %d\r\n\r\n"
            self.transport.write(STATUS_LINE[431] + head % len(text) + text)
            self.transport.close()
        else:  # a trailer: a response may be under way, which a 431 would corrupt
            self.transport.abort()

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if self._awaiting_head() and not self.transport.is_closing():
            log.info("closing a connection that sent no complete request head within %s s", self.limits.header_timeout)
            self.transport.close()


def server_tls_context(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx
