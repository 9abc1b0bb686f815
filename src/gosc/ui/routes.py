"""The console's routes under /ui/ (mounted by gosc.server.app).

GET  /ui/                                  -> the inventory
GET  /ui/login          POST /ui/login     SessionManager.Login; the session cookie
POST /ui/logout                            SessionManager.Logout
GET  /ui/inventory                         the tree: datacenters, folders, hosts, VMs
GET  /ui/vm/{moid}                         a VM and its customizations
GET  /ui/vm/{moid}/customizations/{seq}    one customization (``latest``: the newest)
GET  /ui/vm/{moid}/preview  POST ...       check a spec, see its diff, run it
GET  /ui/tasks          GET /ui/tasks/stream   recent tasks; their changes as SSE
GET  /ui/events                            the event log, by entity and type
GET  /ui/static/{name}                     console.css, console.js
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pyVmomi import vmodl
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from ..inventory.base import CallContext
from ..inventory.service_instance import ServiceInstance
from ..inventory.virtual_machine import VirtualMachine
from ..vim import types as T
from ..vim.faults import message_of
from . import live, preview, views
from .diff import file_diffs
from .web import (
    COOKIE,
    HEADERS,
    HERE,
    BadCsrf,
    Console,
    NotLoggedIn,
    clear_session_cookie,
    redirect,
    set_session_cookie,
)

log = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]
STATIC = {"console.css": "text/css", "console.js": "text/javascript"}


class Pages:
    def __init__(self, si: ServiceInstance) -> None:
        self.c = Console(si)
        self.si = si

    def guarded(self, handler: Handler) -> Handler:
        """A page's answer to what goes wrong: the login page without a session, 403 for a
        POST without its CSRF token, the fault's message for a vSphere fault."""

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except NotLoggedIn:
                return redirect("/login")
            except BadCsrf:
                return self.c.render("error.html", None, 403, message="The form was stale or not this session's.")
            except vmodl.MethodFault as f:
                ctx = self._ctx_or_none(request)
                return self.c.render("error.html", ctx, 400, message=f"{T.wsdl_name(type(f))}: {message_of(f)}")
            except Exception:
                log.exception("console %s %s failed", request.method, request.url.path)
                return self.c.render("error.html", None, 500, message="internal error; see the server log")

        return run

    def _ctx_or_none(self, request: Request) -> CallContext | None:
        s = self.si.session_manager.sessions.get(request.cookies.get(COOKIE) or "")
        return self.c.context(request, s) if s is not None else None

    # ------------------------------------------------------------ login

    async def login_form(self, request: Request) -> Response:
        return self.c.render("login.html", None, message="")

    async def login(self, request: Request) -> Response:
        fields = await self.c.form(request, None)
        ctx = self.c.context(request)
        try:
            await self.si.session_manager.Login(ctx, fields.get("userName", ""), fields.get("password", ""))
        except vmodl.MethodFault as f:  # InvalidLogin: wrong password, locked, too many sessions, busy
            return self.c.render("login.html", None, 401, message=message_of(f))
        assert ctx.session is not None
        response = redirect("/inventory")
        set_session_cookie(response, ctx.session.token)
        return response

    async def logout(self, request: Request) -> Response:
        ctx = self.c.logged_in(request)
        await self.c.form(request, ctx)
        self.si.session_manager.Logout(ctx)
        response = redirect("/login")
        clear_session_cookie(response)
        return response

    # ------------------------------------------------------------ pages

    async def home(self, request: Request) -> Response:
        return redirect("/inventory")

    async def inventory(self, request: Request) -> Response:
        ctx = self.c.logged_in(request)
        return self.c.render("inventory.html", ctx, tree=views.inventory_tree(ctx), page="inventory")

    async def vm(self, request: Request) -> Response:
        ctx = self.c.logged_in(request)
        vm = views.readable_vm(ctx, request.path_params["moid"])
        if vm is None:
            return self.c.render("error.html", ctx, 404, message="No such virtual machine.")
        records = self.si.guest_customization_manager.records.of(vm.moId)
        tasks = [t for t in views.recent_tasks(ctx) if t["entity_moid"] == vm.moId]
        return self.c.render("vm.html", ctx, vm=views.vm_row(vm), records=records, tasks=tasks, page="inventory")

    async def customization(self, request: Request) -> Response:
        ctx = self.c.logged_in(request)
        vm = views.readable_vm(ctx, request.path_params["moid"])
        records = self.si.guest_customization_manager.records.of(vm.moId) if vm is not None else []
        which = request.path_params["seq"]
        record = next((r for r in records if which == "latest" or str(r["seq"]) == which), None)
        if vm is None or record is None:
            return self.c.render("error.html", ctx, 404, message="No such customization.")
        return self.c.render(
            "customization.html",
            ctx,
            vm=views.vm_row(vm),
            r=record,
            spec=json.dumps(record["spec"], indent=2) if record["spec"] is not None else "",
            files=file_diffs(record["files"]),
            records=records,
            page="inventory",
        )

    async def tasks(self, request: Request) -> Response:
        ctx = self.c.logged_in(request)
        return self.c.render("tasks.html", ctx, tasks=views.recent_tasks(ctx), page="tasks")

    async def task_stream(self, request: Request) -> Response:
        try:
            ctx = self.c.logged_in(request)
        except NotLoggedIn:
            return PlainTextResponse("not logged in", 401, headers=HEADERS)
        return live.task_stream(self.c, ctx)

    async def events(self, request: Request) -> Response:
        ctx = self.c.logged_in(request)
        entity = request.query_params.get("entity", "").strip()
        type_name = request.query_params.get("type", "").strip()
        moid = _resolve_entity(ctx.si, entity)
        message = ""
        try:
            found = views.events(ctx, moid, type_name)
        except vmodl.MethodFault as f:
            found, message = [], message_of(f)
        if entity and not moid:
            message = f"No entity is named '{entity}'."
        return self.c.render(
            "events.html",
            ctx,
            events=found,
            entity=entity,
            type=type_name,
            types=views.event_types(ctx),
            message=message,
            page="events",
        )

    # ------------------------------------------------------------ preview

    async def preview_form(self, request: Request) -> Response:
        ctx = self.c.logged_in(request)
        vm = views.readable_vm(ctx, request.path_params["moid"])
        if vm is None:
            return self.c.render("error.html", ctx, 404, message="No such virtual machine.")
        return self._preview_page(ctx, vm, spec_text="", form="json")

    def _preview_page(self, ctx: CallContext, vm: VirtualMachine, **values: Any) -> Response:
        defaults: dict[str, Any] = {
            "problems": None,
            "dry": None,
            "notes": preview.state_notes(vm),
            "error": "",
            "task": "",
            "guest_user": "root",
        }
        defaults.update(values)
        return self.c.render("preview.html", ctx, vm=views.vm_row(vm), page="inventory", **defaults)

    async def preview(self, request: Request) -> Response:
        ctx = self.c.logged_in(request)
        fields = await self.c.form(request, ctx)
        vm = views.readable_vm(ctx, request.path_params["moid"])
        if vm is None:
            return self.c.render("error.html", ctx, 404, message="No such virtual machine.")
        text, form = fields.get("spec", ""), fields.get("format", "json")
        page = {"spec_text": text, "form": form, "guest_user": fields.get("guestUser", "root")}
        try:
            spec = preview.parse_spec(text, form)
        except vmodl.MethodFault as f:
            return self._preview_page(ctx, vm, problems=[preview.problem(f)], **page)
        found = preview.problems(ctx, vm, spec)
        if found:
            return self._preview_page(ctx, vm, problems=found, **page)
        if fields.get("action") == "run":
            task = await preview.run(ctx, vm, spec, fields.get("guestUser", ""), fields.get("guestPassword", ""))
            return redirect(f"/tasks#task-{task._moId}")
        return self._preview_page(ctx, vm, problems=[], dry=await preview.dry_run(ctx, vm, spec), **page)

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return PlainTextResponse("not found", 404)
        return FileResponse(HERE / "static" / name, media_type=STATIC[name], headers={"cache-control": "max-age=300"})


def _resolve_entity(si: ServiceInstance, text: str) -> str:
    """An entity filter as typed: a moId, or a name (the first entity so named)."""
    if not text:
        return ""
    if text in si.entities:
        return text
    return next((m for m, e in si.entities.items() if e.name == text), "")


def ui_routes(si: ServiceInstance) -> list[BaseRoute]:
    p = Pages(si)
    g = p.guarded
    return [
        Route("/ui", p.home, methods=["GET"]),
        Mount(
            "/ui",
            routes=[
                Route("/", g(p.home), methods=["GET"]),
                Route("/login", g(p.login_form), methods=["GET"]),
                Route("/login", g(p.login), methods=["POST"]),
                Route("/logout", g(p.logout), methods=["POST"]),
                Route("/inventory", g(p.inventory), methods=["GET"]),
                Route("/vm/{moid}", g(p.vm), methods=["GET"]),
                Route("/vm/{moid}/customizations/{seq}", g(p.customization), methods=["GET"]),
                Route("/vm/{moid}/preview", g(p.preview_form), methods=["GET"]),
                Route("/vm/{moid}/preview", g(p.preview), methods=["POST"]),
                Route("/tasks", g(p.tasks), methods=["GET"]),
                Route("/tasks/stream", p.task_stream, methods=["GET"]),
                Route("/events", g(p.events), methods=["GET"]),
                Route("/static/{name}", p.static, methods=["GET"]),
            ],
        ),
    ]
