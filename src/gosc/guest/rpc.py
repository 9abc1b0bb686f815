"""The channel between a VM's "VMX" (the server) and the tools agent in its guest.

Shaped after VMware's guest RPC: a message is a byte string ``b"<command> <args>"``,
a reply is ``b"1 <result>"`` on success or ``b"0 <error>"`` on failure.  Both sides
send requests: the host sends TCLO commands (``deployPkg.begin``, ``deployPkg.deploy``
...), the guest sends RPCI commands (``info-get guestinfo.x``, ``deployPkg.update.state
4 0``, ``tools.heartbeat``).  On the wire each message is a frame:

    u32 length (big-endian, of what follows) | u8 kind (0 request, 1 reply) | u32 id | bytes

so one stream (a socketpair for in-process agents, a Unix socket for agents in
namespaces) carries both directions with requests in flight at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import struct
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

REQUEST, REPLY = 0, 1
MAX_FRAME = 64 * 1024 * 1024  # a deploy package with a large cloud-init payload fits
_HEADER = struct.Struct(">IBI")

Handler = Callable[[str, bytes], Awaitable[bytes]]


class RpcError(Exception):
    """A request failed: ``Refused`` or ``ChannelError``."""


class Refused(RpcError):
    """The peer answered ``0 <error>``: it understood the request and said no."""


class ChannelError(RpcError):
    """The channel failed: closed (the peer died), no answer in time, a malformed frame.
    Nothing is known of what the peer thinks of the request."""


def ok(result: bytes | str = b"") -> bytes:
    return b"1 " + (result.encode() if isinstance(result, str) else result)


def error(message: str) -> bytes:
    return b"0 " + message.encode()


def split(message: bytes) -> tuple[str, bytes]:
    command, _, args = message.partition(b" ")
    return command.decode("ascii", "replace"), args


# Commands whose arguments carry secrets: never logged.
_SECRET_COMMANDS = frozenset({"guest.auth"})


def describe(message: bytes) -> str:
    command, args = split(message)
    if command in _SECRET_COMMANDS:
        return f"{command} (secret)"
    return f"{command} ({len(args)} bytes)" if len(args) > 80 else message.decode("utf-8", "replace")


class Endpoint:
    """One side of a channel: sends requests and answers the peer's with ``handler``."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, handler: Handler, name: str) -> None:
        self.reader = reader
        self.writer = writer
        self.handler = handler
        self.name = name
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[bytes]] = {}
        self._serving: set[asyncio.Task[None]] = set()
        self._closed = asyncio.Event()
        self._reader_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._reader_task = asyncio.get_running_loop().create_task(self._read_loop())

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def call(self, command: str, args: bytes | str = b"", timeout: float | None = 30.0) -> bytes:
        """Send a request; return the result of ``1 <result>`` or raise RpcError."""
        if self.closed:
            raise ChannelError("channel closed")
        if isinstance(args, str):
            args = args.encode()
        msg_id = next(self._ids)
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = fut
        body = command.encode() + (b" " + args if args else b"")
        self._send(REQUEST, msg_id, body)
        try:
            reply = await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise ChannelError(f"{command}: no answer within {timeout} s") from None
        finally:
            self._pending.pop(msg_id, None)
        status, _, result = reply.partition(b" ")
        if status != b"1":
            raise Refused(result.decode("utf-8", "replace") or f"{command} failed")
        return result

    def _send(self, kind: int, msg_id: int, body: bytes) -> None:
        if len(body) > MAX_FRAME:
            raise ChannelError("message too large")
        self.writer.write(_HEADER.pack(len(body) + 5, kind, msg_id) + body)

    async def _read_loop(self) -> None:
        try:
            while True:
                head = await self.reader.readexactly(_HEADER.size)
                length, kind, msg_id = _HEADER.unpack(head)
                if length < 5 or length - 5 > MAX_FRAME:
                    raise ChannelError(f"bad frame length {length}")
                body = await self.reader.readexactly(length - 5)
                if kind == REPLY:
                    fut = self._pending.get(msg_id)
                    if fut is not None and not fut.done():
                        fut.set_result(body)
                else:
                    t = asyncio.get_running_loop().create_task(self._serve(msg_id, body))
                    self._serving.add(t)
                    t.add_done_callback(self._serving.discard)
        except (asyncio.IncompleteReadError, ConnectionError, RpcError, OSError):
            pass
        finally:
            self._shutdown()

    async def _serve(self, msg_id: int, body: bytes) -> None:
        command, args = split(body)
        try:
            reply = await self.handler(command, args)
        except Exception as e:  # the peer gets an error reply, never a dead channel
            log.debug("%s: %s failed: %s", self.name, describe(body), e)
            reply = error(str(e) or type(e).__name__)
        if not self.closed:
            with contextlib.suppress(ConnectionError, RpcError):
                self._send(REPLY, msg_id, reply)

    def _shutdown(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(ChannelError("channel closed"))
        with contextlib.suppress(Exception):
            self.writer.close()

    async def close(self) -> None:
        self._shutdown()
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(BaseException):
                await self._reader_task
        for t in list(self._serving):
            t.cancel()
