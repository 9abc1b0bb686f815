"""The ASGI application: VI/JSON and SOAP in front of one ServiceInstance."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from ..backends.rootfs import RootfsBackend
from ..inventory.service_instance import ServiceInstance
from ..store import open_store
from ..store.private import private_dir
from .limits import BodyLimit, RequestLimits
from .soap import ANY_METHOD, soap_fallback_routes, soap_routes
from .vijson import ViJson, hello

log = logging.getLogger(__name__)


@dataclass
class ServerConfig:
    data_dir: Path
    demo: bool = False
    users_file: Path | None = None
    store_url: str | None = None  # default: sqlite in the data directory
    guest_backend: str = "rootfs"  # the demo VMs' backend: rootfs | netns (live guests, root only)
    netns_prefix: str = "gosc"  # names of the netns backend's namespaces (<prefix>-host, <prefix>-vm-N)
    netns_networks: dict[str, str | None] | None = None  # port group -> bridge address (CIDR); None: default
    limits: RequestLimits = field(default_factory=RequestLimits)


def build_service_instance(config: ServerConfig) -> ServiceInstance:
    private_dir(config.data_dir)
    store = open_store(config.store_url or str(config.data_dir / "gosc.db"))
    backends: dict[str, Any] = {"rootfs": RootfsBackend(config.data_dir / "guests")}
    if config.guest_backend == "netns":
        from ..backends.netns import NetnsBackend

        backends["netns"] = NetnsBackend(config.data_dir / "guests", config.data_dir / "netns",
                                         prefix=config.netns_prefix, networks=config.netns_networks)  # fmt: skip
    elif config.guest_backend != "rootfs":
        raise ValueError(f"unknown guest backend {config.guest_backend!r}")
    return ServiceInstance(store, config.data_dir, backends)


async def start(si: ServiceInstance, config: ServerConfig) -> None:
    """Start the backends (sweeping what a crash left), load the inventory (ending
    interrupted tasks), then users and the demo inventory."""
    for backend in si.backends.values():
        if hasattr(backend, "start"):
            await backend.start(si)
    await si.load()
    if config.demo:
        from ..demo import ensure_demo_inventory

        await ensure_demo_inventory(si, config.guest_backend)
    users = config.users_file or (config.data_dir / "users.toml")
    if users.exists():
        si.authorization_manager.apply_config(users)
    generated = si.authorization_manager.ensure_admin(os.environ.get("GOSC_ADMIN_PASSWORD"))
    if generated:
        # Printed once, to the operator's terminal only: the store keeps just its hash.
        print(f"gosc: created administrator@vsphere.local with password {generated}", file=sys.stderr, flush=True)


def create_app(config: ServerConfig, si: ServiceInstance | None = None) -> Starlette:
    si = si or build_service_instance(config)
    vi_json = ViJson(si)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await start(si, config)
        try:
            yield
        finally:
            await si.shutdown()
            for backend in si.backends.values():
                if hasattr(backend, "close"):
                    await backend.close()
            si.store.close()

    routes = [
        # Every method and path under /sdk/vim25: ViJson.handle answers bad ones with a fault.
        Route("/sdk/vim25", vi_json.handle, methods=ANY_METHOD),
        Route("/sdk/vim25/{rest:path}", vi_json.handle, methods=ANY_METHOD),
        Route("/api/vcenter/system", hello, methods=["POST"]),
    ]
    routes.extend(soap_routes(si))
    routes.extend(soap_fallback_routes(si))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(BodyLimit, max_body=config.limits.max_body)])
    app.state.si = si
    return app
