"""The API's two endpoints straight from ASGI: ``POST /sdk`` (SOAP) and ``/sdk/vim25/...``
(VI/JSON), every other path through Starlette's router (the console, guest file
transfers, gosc's own endpoints, the WSDL).

Why not a Starlette route: a trivial VI/JSON read spent three quarters of its in-process
time in the router, the middleware layers and the Request and Response objects around a
call that needs five header values and a body (in process: 47 µs, now about 20 µs).  Clients
repeat such reads (pyVmomi's property reads, govc's polls, Ansible's waits), so the API's
request path is this one module: headers read once, the body read under the same bound
as every route's (limits.read_body), the answer sent as two ASGI messages.
"""

from __future__ import annotations

from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from .limits import read_body
from .request import Answer, ApiRequest, first_headers, send_answer

SOAP_PATHS = frozenset({"/sdk", "/sdk/"})
VIJSON_PREFIX = "/sdk/vim25"


class Handler(Protocol):
    async def handle(self, request: ApiRequest) -> Answer: ...


class Front:
    """ASGI app: the API's endpoints to their handlers, the rest to ``other``."""

    def __init__(self, soap: Handler, vijson: Handler, other: ASGIApp, max_body: int) -> None:
        self.soap, self.vijson, self.other, self.max_body = soap, vijson, other, max_body

    def route(self, method: str, path: str) -> Handler | None:
        """The API handler of a request, or None: the ``other`` app's."""
        if path in SOAP_PATHS and method == "POST":
            return self.soap
        if path == VIJSON_PREFIX or path.startswith(VIJSON_PREFIX + "/"):
            return self.vijson
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.route(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if handler is None:
            await self.other(scope, receive, send)
            return
        await self._serve(handler, scope, receive, send)

    async def _serve(self, handler: Handler, scope: Scope, receive: Receive, send: Send) -> None:
        headers = first_headers(scope["headers"])
        body = b""  # a GET without a body (HTTP's rules): nothing to wait for
        if scope["method"] != "GET" or b"content-length" in headers or b"transfer-encoding" in headers:
            read = await read_body(scope, receive, send, self.max_body)
            if read is None:
                return  # refused (413 sent) or the client went away before its body was complete
            body = read
        client = scope.get("client")
        request = ApiRequest(
            scope["method"],
            scope["path"],
            scope.get("raw_path") or scope["path"].encode(),
            headers,
            client[0] if client else "",
            body,
            receive,
        )
        await send_answer(send, await handler.handle(request))
