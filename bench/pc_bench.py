"""The property collector's fan-out: one VM property change with many sessions each watching
a ContainerView of every VM (issue 12: 100 sessions, 10,000 VMs), in-process.

The server is gosc's own ASGI app in this process (``create_app``), driven by httpx's ASGI
transport (as bench/ui_bench.py): no network, no TLS.  The VMs are made with
``ServiceInstance.create_vm`` (no guest trees).  Each session logs in over VI/JSON, makes
a ContainerView of every VM and a filter on their ``name`` and ``runtime.powerState``;
its first (10,000-object) answer is taken in-process, so that setting up does not
serialize a million objects.  Then, per round, every session has a ``WaitForUpdatesEx``
in flight over HTTP and one VM is renamed (``rename``: the store write and the
notification, as ``Rename_Task``'s work does).  Figures:

- ``collector CPU``: the process's CPU time for the rename's notification, which is when
  every filter takes the change in (property_updates.py);
- ``delivery``: from the rename to each session's answer parsed by its client, p50/p99/max;
- ``CPU in all``: the process's CPU from the rename until the last answer, which also
  counts the 100 HTTP answers and the clients' parsing (same process);
- baseline, same run: one ``RetrievePropertiesEx`` of the same view and paths (what the
  collector before this one did for every session at every change).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from gosc.inventory.folder import Folder
from gosc.inventory.host_system import HostSystem
from gosc.inventory.resource_pool import ResourcePool
from gosc.server.app import ServerConfig, build_service_instance, create_app, start
from tests.support.server import ADMIN_PASSWORD

from .ui_bench import _ignore, _lifespan_shutdown, login_and_vm_view

API = "/sdk/vim25/9.1.0.0"
HOST = "https://bench.gosc"
# What each session watches.  ``name`` alone by default: a session's first answer reads
# every VM, and ``runtime`` is a RuntimeInfo built per read (~0.3 ms): 100 x 10,000 of
# them would make setting up take many minutes on this shared machine.
PATHS = ["name"]


def make_vms(si: Any, count: int) -> list[Any]:
    folder = next(o for o in si.entities.values() if isinstance(o, Folder) and o.name == "vm")
    host = next(o for o in si.entities.values() if isinstance(o, HostSystem))
    pool = next((o for o in si.entities.values() if isinstance(o, ResourcePool)), None)
    return [
        si.create_vm(
            name=f"DC0_H0_VM{i}",
            folder=folder,
            host=host,
            pool=pool,
            guest_id="ubuntu64Guest",
            guest_full_name="Ubuntu Linux (64-bit)",
            nic_count=0,  # a MAC is drawn against every VM's: quadratic in a loop of creations
            backend="rootfs",
            tools_installed=True,
            family="ubuntu",
        )
        for i in range(count)
    ]


def filter_spec(view: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    traversal = {"_typeName": "TraversalSpec", "name": "v", "type": "ContainerView", "path": "view", "skip": False}
    return {
        "_typeName": "PropertyFilterSpec",
        "propSet": [{"_typeName": "PropertySpec", "type": "VirtualMachine", "pathSet": paths}],
        "objectSet": [{"_typeName": "ObjectSpec", "obj": view, "skip": True, "selectSet": [traversal]}],
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Session:
    def __init__(self, client: httpx.AsyncClient, key: str) -> None:
        self.client = client
        self.key = key
        self.version = "1"


async def _session(app: Any, si: Any, paths: list[str]) -> Session:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HOST + API, timeout=600)
    token, view = await login_and_vm_view(client)
    r = await client.post(
        "/PropertyCollector/propertyCollector/CreateFilter",
        json={"spec": filter_spec(view, paths), "partialUpdates": False},
    )
    r.raise_for_status()
    key = si.session_manager.sessions[token].key
    state = si.property_collector.states[key]
    si.property_collector.read_new_filters(state)
    state.pending.clear()  # the first answer (every VM entering), taken in-process
    state.version = 1
    return Session(client, key)


async def _wait(s: Session) -> float:
    r = await s.client.post(
        "/PropertyCollector/propertyCollector/WaitForUpdatesEx",
        json={"version": s.version, "options": {"_typeName": "WaitOptions", "maxWaitSeconds": 120}},
    )
    r.raise_for_status()
    update = r.json()
    s.version = update["version"]
    objs = [o for fs in update["filterSet"] for o in fs["objectSet"]]
    assert len(objs) == 1 and objs[0]["kind"] == "modify", update
    return time.perf_counter()


async def _all_waiting(si: Any, sessions: list[Session]) -> None:
    """Until every session's WaitForUpdatesEx is blocked in the collector."""
    states = si.property_collector.states
    while True:
        events = [states[s.key].changed for s in sessions]
        # asyncio.Event has no public "is anyone waiting": its waiters list tells the wait began
        if all(e is not None and not e.is_set() and e._waiters for e in events):
            return
        await asyncio.sleep(0.005)


async def _run(vms: int, sessions_n: int, rounds: int, paths: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gosc-pc-bench-") as tmp:
        os.environ["GOSC_ADMIN_PASSWORD"] = ADMIN_PASSWORD
        config = ServerConfig(data_dir=Path(tmp) / "data", demo=True)
        si = build_service_instance(config)
        app = create_app(config, si)
        await start(si, config)
        sessions: list[Session] = []
        try:
            t0 = time.perf_counter()
            made = make_vms(si, vms)
            setup = {"create_vm x N, s": time.perf_counter() - t0}
            t0 = time.perf_counter()
            for _ in range(sessions_n):
                sessions.append(await _session(app, si, paths))
            setup["sessions with a filter over every VM, s"] = time.perf_counter() - t0
            target = made[len(made) // 2]
            # Baseline: one read of the whole view, as the former collector did per session per change.
            body = {
                "specSet": [filter_spec(_view_of(si, sessions[0]), paths)],
                "options": {"_typeName": "RetrieveOptions"},
            }
            t0, c0 = time.perf_counter(), time.process_time()
            r = await sessions[0].client.post("/PropertyCollector/propertyCollector/RetrievePropertiesEx", json=body)
            r.raise_for_status()
            baseline = {"wall ms": (time.perf_counter() - t0) * 1e3, "CPU ms": (time.process_time() - c0) * 1e3}
            change_cpu, all_cpu, delivery = [], [], []
            for n in range(rounds):
                waits = [asyncio.create_task(_wait(s)) for s in sessions]
                await _all_waiting(si, sessions)
                # A rename as its task does it, the store write untimed: what is timed is
                # the notification, which is when every filter takes the change in.
                target.name = target.config.name = f"renamed-{n}"
                si.save(target)
                t0, c0 = time.perf_counter(), time.process_time()
                si.notify(target, None)
                change_cpu.append(time.process_time() - c0)
                done = await asyncio.gather(*waits)
                all_cpu.append(time.process_time() - c0)
                delivery += [t - t0 for t in done]
            return {
                "VMs": vms,
                "sessions": sessions_n,
                "rounds": rounds,
                "paths": paths,
                "setup": setup,
                "collector CPU for the change, ms (p50, max)": (
                    statistics.median(change_cpu) * 1e3,
                    max(change_cpu) * 1e3,
                ),
                "CPU in all ms, incl. 100 HTTP answers + clients (p50)": statistics.median(all_cpu) * 1e3,
                "delivery ms p50": _pct(delivery, 0.5) * 1e3,
                "delivery ms p99": _pct(delivery, 0.99) * 1e3,
                "delivery ms max": max(delivery) * 1e3,
                "baseline: one RetrievePropertiesEx of the view": baseline,
                "load average": os.getloadavg(),
            }
        finally:
            for s in sessions:
                await s.client.aclose()
            await app({"type": "lifespan"}, _lifespan_shutdown(), _ignore)


def _view_of(si: Any, s: Session) -> dict[str, Any]:
    from gosc.inventory.view_manager import ContainerView

    view = next(o for o in si.objects.values() if isinstance(o, ContainerView) and o.owner == s.key)
    return {"_typeName": "ManagedObjectReference", "type": "ContainerView", "value": view.moId}


def run(vms: int = 10_000, sessions: int = 100, rounds: int = 20, paths: list[str] | None = None) -> dict[str, Any]:
    return asyncio.run(_run(vms, sessions, rounds, paths or PATHS))


if __name__ == "__main__":
    import json
    import sys

    # python -m bench.pc_bench [VMS SESSIONS ROUNDS [PATH,PATH...]]
    counts = [int(a) for a in sys.argv[1:4]]
    watched = sys.argv[4].split(",") if len(sys.argv) > 4 else None
    print(json.dumps(run(*counts, paths=watched), indent=2, default=str))
