"""The ASGI application: VI/JSON and SOAP in front of one ServiceInstance."""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from ..backends.rootfs import RootfsBackend
from ..inventory.service_instance import GuestBackend, ServiceInstance
from ..store import SqliteStore
from ..store.private import private_dir
from ..ui.routes import ui_routes
from .front import Front
from .guestfile import PATH as GUEST_FILE_PATH
from .guestfile import guest_file_routes
from .inject import inject_routes
from .limits import BodyLimit, RequestLimits
from .nocloud import nocloud_routes
from .soap import Soap, soap_fallback_routes, soap_routes
from .vijson import ViJson, hello

log = logging.getLogger(__name__)


@dataclass
class ServerConfig:
    data_dir: Path
    demo: bool = False
    users_file: Path | None = None
    guest_backend: str = "rootfs"  # the demo VMs' backend: rootfs | netns (live guests, root only)
    netns_prefix: str = "gosc"  # names of the netns backend's namespaces (<prefix>-host, <prefix>-vm-N)
    netns_networks: dict[str, str | None] | None = None  # port group -> bridge address (CIDR); None: default
    limits: RequestLimits = field(default_factory=RequestLimits)
    guest_reboot_seconds: float = 5.0  # how long a guest is down after RebootGuest
    # With demo: a big inventory beside the demo VMs (gosc.demo.add_scale_inventory), made once.
    demo_vms: int = 0
    demo_hosts: int = 1
    demo_clusters: int = 0


class StartupError(Exception):
    """Something the operator must fix before the server can start (a bad users.toml, a
    data directory made for another guest backend): shown as one line, not a traceback."""


def build_service_instance(config: ServerConfig) -> ServiceInstance:
    private_dir(config.data_dir)
    store = SqliteStore(config.data_dir / "gosc.db")
    backends: dict[str, GuestBackend] = {"rootfs": RootfsBackend(config.data_dir / "guests")}
    if config.guest_backend == "netns":
        from ..backends.netns import NetnsBackend

        backends["netns"] = NetnsBackend(
            config.data_dir / "guests",
            config.data_dir / "netns",
            prefix=config.netns_prefix,
            networks=config.netns_networks,
        )
    elif config.guest_backend != "rootfs":
        raise ValueError(f"unknown guest backend {config.guest_backend!r}")
    return ServiceInstance(store, config.data_dir, backends, guest_reboot_seconds=config.guest_reboot_seconds)


async def start(si: ServiceInstance, config: ServerConfig) -> None:
    """Start the backends (sweeping what a crash left), load the inventory (ending
    interrupted tasks), then users and the demo inventory."""
    _check_guest_backends(si, config)
    for backend in si.backends.values():
        if hasattr(backend, "start"):
            try:
                await backend.start(si)
            except RuntimeError as e:  # not root, a tool missing: what the operator must change
                raise StartupError(str(e)) from None
    # A big inventory is hundreds of thousands of long-lived objects: collecting garbage
    # while they are made would scan them again and again (seconds at 100,000 VMs), so the
    # collector waits until they stand; then they are left out of its scans (gc.freeze): a
    # full collection would otherwise walk every VM's pyVmomi objects, a page of the console
    # with 1,000 VMs then taking 150 ms instead of 20 (bench --only ui).
    gc.disable()
    try:
        await si.load()
        if config.demo:
            from ..demo import ensure_demo_inventory, ensure_scale_inventory

            await ensure_demo_inventory(si, config.guest_backend)
            if config.demo_vms:
                ensure_scale_inventory(
                    si, config.demo_vms, config.demo_hosts, config.demo_clusters, config.guest_backend
                )
    finally:
        gc.enable()
    gc.freeze()
    # From here every request makes and drops a few hundred short-lived objects: the
    # youngest generation is collected every 20,000 allocations rather than every 700
    # (a trivial GET under wrk: the server's CPU a request about a tenth lower), and the
    # older ones as rarely in proportion.  Cycles still go within a collection or two.
    gc.set_threshold(20_000, 50, 50)
    users = config.users_file or (config.data_dir / "users.toml")
    if users.exists():
        try:
            si.authorization_manager.apply_config(users)
        except (ValueError, OSError) as e:  # tomllib.TOMLDecodeError is a ValueError
            raise StartupError(f"{users}: {e}") from None
    log.debug("inventory ready: %d managed objects, guest backends %s", len(si.objects), ", ".join(si.backends))
    generated = si.authorization_manager.ensure_admin(os.environ.get("GOSC_ADMIN_PASSWORD"))
    if generated:
        # Printed once, to the operator's terminal only: the store keeps just its hash.
        print(f"gosc: created administrator@vsphere.local with password {generated}", file=sys.stderr, flush=True)


def _check_guest_backends(si: ServiceInstance, config: ServerConfig) -> None:
    """A data directory keeps the backend its Linux guests were made with: started with
    another one, its VMs would have no guests (netns guests without the backend) or the
    backend would silently do nothing (a rootfs inventory under --guest-backend netns)."""
    pairs = si.store.distinct("vm", ("backend", "family"))  # not every VM's document: there may be 100,000
    used = {backend or "rootfs" for backend, family in pairs if family != "windows"}
    if not used or used == {config.guest_backend}:
        return
    made = " and ".join(sorted(used))
    raise StartupError(
        f"{config.data_dir} holds {made} guests; start it with --guest-backend {sorted(used)[0]}"
        f" or use another --data-dir for --guest-backend {config.guest_backend}"
    )


class GoscApp:
    """The ASGI app, with gosc's start and stop around it.  A StartupError is reported to
    the server (uvicorn) as the failed start's one-line message; anything else is a bug and
    keeps its traceback.  ``routes``: the API's handlers, which gosc's own server answers
    without ASGI (server/direct.py)."""

    def __init__(
        self, app: Front, startup: Callable[[], Awaitable[None]], shutdown: Callable[[], Awaitable[None]]
    ) -> None:
        self.app, self.startup, self.shutdown = app, startup, shutdown
        self.routes = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except StartupError as e:
                    await send({"type": "lifespan.startup.failed", "message": f"gosc: {e}"})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(config: ServerConfig, si: ServiceInstance | None = None) -> GoscApp:
    si = si or build_service_instance(config)

    async def stop() -> None:
        await si.shutdown()
        for backend in si.backends.values():
            if hasattr(backend, "close"):
                await backend.close()
        si.store.close()

    # POST /sdk and everything under /sdk/vim25 are answered by the Front, before these.
    routes: list[BaseRoute] = [Route("/api/vcenter/system", hello, methods=["POST"])]
    routes.extend(soap_routes(si))
    routes.extend(soap_fallback_routes(si))
    routes.extend(inject_routes(si))  # gosc's own: fault and delay injection (not vSphere)
    routes.extend(nocloud_routes(si))  # gosc's own: a spec as a cloud-init NoCloud seed (not vSphere)
    routes.extend(guest_file_routes(si))  # InitiateFileTransfer{To,From}Guest URLs
    routes.extend(ui_routes(si))  # the web console at /ui/ (docs/ui.md)
    streamed = frozenset({GUEST_FILE_PATH})
    middleware = [Middleware(BodyLimit, max_body=config.limits.max_body, streamed=streamed)]
    other = Starlette(routes=routes, middleware=middleware)
    front = Front(Soap(si), ViJson(si), other, config.limits.max_body)
    return GoscApp(front, lambda: start(si, config), stop)
