"""Web console pages with 1,000 VMs, beside an API read of the same data, in one run.

The server is gosc's own ASGI app in this process (``create_app``), driven by httpx's
ASGI transport: what is timed is the server's time for a request (routing, the read rule,
rendering), with no network and no client parsing in the figure.

The 1,000 VMs are made in-process with ``ServiceInstance.create_vm`` (powered off, no
guest tree: the pages and the API read only inventory state), the quickest way the
inventory offers; InstantClone_Task in a loop would also copy 1,000 guest trees and start
1,000 agents, which measures the backend, not the pages.  One of them gets a recorded
customization (a typical report: 10 files of 2 KiB) so that its page has content.

The API baseline is the VI/JSON read the inventory page stands for: a ContainerView of
every VM and RetrievePropertiesEx of name, power state and the guest's tools status, host
name, NICs and customizationInfo.
"""

from __future__ import annotations

import asyncio
import gc
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from gosc.inventory.folder import Folder
from gosc.inventory.host_system import HostSystem
from gosc.inventory.resource_pool import ResourcePool
from gosc.server.app import ServerConfig, build_service_instance, create_app, start
from tests.support.server import ADMIN, ADMIN_PASSWORD

from .common import summary_ms

VMS = 1000
API = "/sdk/vim25/9.1.0.0"
HOST = "https://bench.gosc"  # https: the console's cookie is Secure


def _make_vms(si: Any, count: int) -> str:
    folder = next(o for o in si.entities.values() if isinstance(o, Folder) and o.name == "vm")
    host = next(o for o in si.entities.values() if isinstance(o, HostSystem))
    pool = next((o for o in si.entities.values() if isinstance(o, ResourcePool)), None)
    first = ""
    for i in range(count):
        vm = si.create_vm(
            name=f"bench-{i:04d}",
            folder=folder,
            host=host,
            pool=pool,
            guest_id="ubuntu64Guest",
            guest_full_name="Ubuntu Linux (64-bit)",
            nic_count=1,
            backend="rootfs",
            tools_installed=True,
            family="ubuntu",
        )
        first = first or vm.moId
    vm = si.entities[first]
    records = si.guest_customization_manager.records
    record = records.begin(vm, None, b"", ADMIN, "")
    text = "".join(f"line {n}: some configuration value\n" for n in range(60))
    files = [
        {"path": f"/etc/bench/{n}.conf", "before": text, "after": text.replace("line 7:", "LINE 7:")} for n in range(10)
    ]
    records.finish(record, True, None, "/var/log/vmware-imc/toolsDeployPkg.log", {"files": files, "log": text})
    return first


def _retrieve_body(view: dict[str, Any]) -> dict[str, Any]:
    paths = [
        "name",
        "runtime.powerState",
        "guest.toolsRunningStatus",
        "guest.hostName",
        "guest.net",
        "guest.customizationInfo",
    ]
    traversal = {"_typeName": "TraversalSpec", "name": "v", "type": "ContainerView", "path": "view", "skip": False}
    return {
        "specSet": [
            {
                "_typeName": "PropertyFilterSpec",
                "propSet": [{"_typeName": "PropertySpec", "type": "VirtualMachine", "pathSet": paths}],
                "objectSet": [{"_typeName": "ObjectSpec", "obj": view, "skip": True, "selectSet": [traversal]}],
            }
        ],
        "options": {"_typeName": "RetrieveOptions"},
    }


async def login_and_vm_view(api: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """Log ``api`` (VI/JSON) in as the administrator; its session token, and a recursive
    ContainerView of every VM from the root folder."""
    login = await api.post("/SessionManager/SessionManager/Login", json={"userName": ADMIN, "password": ADMIN_PASSWORD})
    login.raise_for_status()
    token = login.headers["vmware-api-session-id"]
    api.headers["vmware-api-session-id"] = token
    root = {"_typeName": "ManagedObjectReference", "type": "Folder", "value": "group-d1"}
    view = await api.post(
        "/ViewManager/ViewManager/CreateContainerView",
        json={"container": root, "type": ["VirtualMachine"], "recursive": True},
    )
    return token, view.json()


async def _timed(client: httpx.AsyncClient, method: str, url: str, rounds: int, **kw: Any) -> list[float]:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        r = await client.request(method, url, **kw)
        times.append(time.perf_counter() - t0)
        if r.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {r.status_code} {r.text[:300]}")
    return times


async def _run(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gosc-ui-bench-") as tmp:
        os.environ["GOSC_ADMIN_PASSWORD"] = ADMIN_PASSWORD  # the administrator start() makes
        config = ServerConfig(data_dir=Path(tmp) / "data", demo=True)
        si = build_service_instance(config)
        app = create_app(config, si)
        await start(si, config)
        try:
            vm = _make_vms(si, VMS)
            # A server that holds these VMs when it starts leaves them out of the garbage
            # collector's scans (server/app.py start): so does this one, made after start.
            gc.freeze()
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=HOST, timeout=120) as ui:
                r = await ui.post("/ui/login", data={"userName": ADMIN, "password": ADMIN_PASSWORD})
                assert r.status_code == 303, r.text
                pages = {
                    "inventory (1,008 VMs)": "/ui/inventory",
                    "tasks": "/ui/tasks",
                    "events": "/ui/events",
                    "VM": f"/ui/vm/{vm}",
                    "customization (10 files)": f"/ui/vm/{vm}/customizations/latest",
                    "preview form": f"/ui/vm/{vm}/preview",
                }
                out: dict[str, Any] = {}
                for name, url in pages.items():
                    await _timed(ui, "GET", url, 2)  # warm (template compilation)
                    out[f"page {name}"] = summary_ms(await _timed(ui, "GET", url, rounds))
            async with httpx.AsyncClient(transport=transport, base_url=HOST + API, timeout=120) as api:
                _, view = await login_and_vm_view(api)
                body = _retrieve_body(view)
                url = "/PropertyCollector/propertyCollector/RetrievePropertiesEx"
                await _timed(api, "POST", url, 2, json=body)
                out["API RetrievePropertiesEx of the same VM data"] = summary_ms(
                    await _timed(api, "POST", url, rounds, json=body)
                )
            return out
        finally:
            await app(  # the lifespan's stop: agents, store
                {"type": "lifespan"}, _lifespan_shutdown(), _ignore
            )


def _lifespan_shutdown() -> Any:
    messages = [{"type": "lifespan.shutdown"}]

    async def receive() -> dict[str, str]:
        return messages.pop(0) if messages else {"type": "lifespan.shutdown"}

    return receive


async def _ignore(message: Any) -> None:
    return None


def run(rounds: int = 20) -> dict[str, Any]:
    results = asyncio.run(_run(rounds))
    api = results["API RetrievePropertiesEx of the same VM data"]["p50_ms"]
    inventory = results["page inventory (1,008 VMs)"]["p50_ms"]
    results["inventory page / API read (p50)"] = inventory / api
    return results
