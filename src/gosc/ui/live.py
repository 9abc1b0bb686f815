"""Live tasks: server-sent events fed by the inventory's change notifications.

The stream subscribes to ``ServiceInstance.notify`` (what the PropertyCollector's
filters and WaitForUpdates are fed by): each change of a Task's ``info`` the caller may
read (``access.visible``) is sent as the task's table row, rendered as the page renders
it.  A stream starts with every recent task, so a page loaded just before a change
misses nothing.  It ends when the session does (Logout, idle timeout), when the client
goes, or after MAX_SECONDS (EventSource reconnects by itself), so that an open tab never
holds a server's shutdown for long.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from starlette.responses import StreamingResponse

from ..inventory import access
from ..inventory.base import CallContext, ManagedObject
from ..inventory.task import Task
from .views import recent_tasks, task_view
from .web import HEADERS, Console

KEEPALIVE_SECONDS = 15.0
MAX_SECONDS = 300.0
QUEUE_LIMIT = 1000  # changes waiting for a slow client; beyond, the stream ends (it reconnects)


def _event(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def task_stream(console: Console, ctx: CallContext) -> StreamingResponse:
    si = ctx.si
    session = ctx.session
    assert session is not None
    changed: asyncio.Queue[Task | None] = asyncio.Queue()
    row = console.templates.get_template("_task_row.html")

    def listener(obj: ManagedObject, prop: str | None) -> None:
        if isinstance(obj, Task) and prop in ("info", None):
            if changed.qsize() >= QUEUE_LIMIT:
                changed.put_nowait(None)
            else:
                changed.put_nowait(obj)

    async def body() -> AsyncIterator[bytes]:
        si.subscribe(listener)
        try:
            for task in reversed(recent_tasks(ctx)):  # oldest first: each goes on top
                yield _event("task", row.render(t=task, prefix="/ui"))
            loop = asyncio.get_running_loop()
            end = loop.time() + MAX_SECONDS
            while loop.time() < end:
                try:
                    async with asyncio.timeout(KEEPALIVE_SECONDS):
                        task = await changed.get()
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if session.token not in si.session_manager.sessions or task is None:
                    break  # logged out, timed out, or too far behind: the client reconnects
                if access.visible(ctx, task):
                    yield _event("task", row.render(t=task_view(task), prefix="/ui"))
        finally:
            si.unsubscribe(listener)

    headers = dict(HEADERS, **{"x-accel-buffering": "no"})
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)
