"""A response's head and its first body bytes leave in one write.

uvicorn's protocol writes a response head (status line and headers) and then its body with
two ``transport.write`` calls.  On uvloop's TLS each write is its own TLS record, its own
encryption call and its own ``send``: the client wakes twice for one answer.  Measured under
wrk on SOAP ``CurrentTime``, the head's write alone was the largest self time of the server
(18% of its samples).  ``HeadWithBody`` stands between one request's cycle and the
connection's transport: it holds the head and sends it with the first body write (uvicorn
writes one even when the body is empty), so a small answer is one record and one ``send``.

Nothing else is held: a ``100 Continue`` is written before the response starts, and the
bytes after the first body write (a streamed response's chunks) pass straight through.  The
head of an answer to HEAD, which has no body write, is not held either.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import RequestResponseCycle


class HeadWithBody(asyncio.Transport):
    """The transport as one request's ``cycle`` sees it (``cycle.transport``)."""

    __slots__ = ("_cycle", "_held", "_passing", "_transport")

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle) -> None:
        super().__init__()
        self._transport = transport
        self._cycle = cycle
        self._held: bytes | None = None
        self._passing = False  # the head has left: every write goes straight through

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._passing:
            self._transport.write(data)
        elif self._held is not None:
            self._passing = True
            self._transport.write(self._held + bytes(data))
            self._held = None
        elif self._cycle.response_started and self._cycle.scope["method"] != "HEAD":
            self._held = bytes(data)  # the head: the response's first write
        else:
            self._transport.write(data)  # 100 Continue (before the response), or a HEAD's head

    def close(self) -> None:
        # The response failed after its head (uvicorn closes the connection): the head leaves first.
        if self._held is not None:
            self._transport.write(self._held)
            self._held = None
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)
