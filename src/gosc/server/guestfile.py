"""``/guestFile``: the transfer URLs of InitiateFileTransferToGuest/FromGuest, as ESXi serves them.

``GET /guestFile?id=..&token=..`` sends the guest file; ``PUT`` with the announced number
of bytes writes it.  The ticket (gosc.inventory.guest_transfers) is the only credential,
used once.  Bodies are streamed, never held whole: this path is exempt from
limits.BodyLimit's buffering, and bounded here instead by the size announced in the
Initiate call (a longer body is refused with 413 at the byte that crosses it, a shorter
one with 400; either way nothing of it lands in the guest).  The guest file is opened,
and the upload renamed into place, with the guest account's ids (gosc.guest.fscreds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator

from pyVmomi import vmodl
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from ..guest import guestfiles
from ..inventory.guest_transfers import PATH, Transfer
from ..inventory.service_instance import ServiceInstance
from ..vim.faults import message_of

__all__ = ["PATH", "guest_file_routes"]

log = logging.getLogger(__name__)

CHUNK = 1 << 20  # bytes read from the guest file, or gathered from the client, per write


def guest_file_routes(si: ServiceInstance) -> list[Route]:
    manager = si.guest_operations_manager

    async def handle(request: Request) -> Response:
        q = request.query_params
        t = manager.file_manager.transfers.take(q.get("id", ""), q.get("token", ""))
        if t is None:
            return PlainTextResponse("Unknown, used or expired file transfer ticket.\n", 404)
        if not t.login.vm.tools_running:  # the guest stopped since the transfer was initiated
            _discard(t)
            return PlainTextResponse(f"The guest operations agent of {t.login.vm.name} is not running.\n", 409)
        if request.method == "GET" and not t.upload:
            return await _download(t)
        if request.method == "PUT" and t.upload:
            return await _upload(request, t)
        _discard(t)
        return PlainTextResponse(f"This ticket is for a {'PUT' if t.upload else 'GET'}.\n", 405)

    async def _download(t: Transfer) -> Response:
        try:
            fd, size = await manager.access.act(t.login, lambda g: guestfiles.open_read(g, t.path))
        except vmodl.MethodFault as f:
            return PlainTextResponse(message_of(f) + "\n", 404)
        size = min(size, t.size) if t.size else size

        async def body() -> AsyncIterator[bytes]:
            left = size
            try:
                while left > 0:
                    chunk = await asyncio.to_thread(os.read, fd, min(CHUNK, left))
                    if not chunk:
                        break  # the file shrank: the client sees a short body
                    left -= len(chunk)
                    yield chunk
            finally:
                os.close(fd)

        headers = {"content-length": str(size)}
        return StreamingResponse(body(), headers=headers, media_type="application/octet-stream")

    async def _upload(request: Request, t: Transfer) -> Response:
        incoming = t.incoming
        assert incoming is not None
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > t.size):
            _discard(t)
            return PlainTextResponse(f"The body is larger than the announced {t.size} bytes.\n", 413)
        pending = bytearray()
        try:
            async for chunk in request.stream():
                if incoming.written + len(pending) + len(chunk) > t.size:
                    _discard(t)
                    return PlainTextResponse(f"The body is larger than the announced {t.size} bytes.\n", 413)
                pending += chunk
                if len(pending) >= CHUNK:
                    await asyncio.to_thread(incoming.write, bytes(pending))
                    pending.clear()
            if pending:
                await asyncio.to_thread(incoming.write, bytes(pending))
        except (ClientDisconnect, OSError) as e:
            _discard(t)
            log.info("guest file upload to %s ended early: %s", t.login.vm.name, e)
            return PlainTextResponse("The upload failed.\n", 400)
        if incoming.written != t.size:
            _discard(t)
            return PlainTextResponse(f"The body has {incoming.written} of the announced {t.size} bytes.\n", 400)
        try:
            await manager.access.act(t.login, lambda g: incoming.commit(t.mode, t.uid, t.gid))
        except vmodl.MethodFault as f:
            return PlainTextResponse(message_of(f) + "\n", 403)
        return Response(status_code=200)

    return [Route(PATH, handle, methods=["GET", "PUT"])]


def _discard(t: Transfer) -> None:
    if t.incoming is not None:
        with contextlib.suppress(OSError):
            t.incoming.discard()
