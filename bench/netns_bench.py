"""Live guests (netns backend, needs root): wall time from InstantClone_Task submitted to
the clone answering ping at its customized address.

For each clone: POST InstantClone_Task, wait for the task, POST CustomizeGuest_Task with
the clone's own fixed IP and host name, wait for it, then ping from the gosc host
namespace until the first reply (``ping -c1 -w5 -i0.01``).  Phase 1 does ``clones``
of these one after another (p50/p95); phase 2 runs ``parallel`` workers over
``parallel_clones`` clones (clones/s, and the latency under that load).  A fresh server
(own data directory, own namespace prefix) is started and stopped around the run.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from gosc.backends.netns import NetnsBackend
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer
from tests.support.specs import customize_body, fixed_ip, instant_clone_body, linux_spec
from tests.support.vijson import ViClient

from .common import percentile

GCM = ("VirtualMachineGuestCustomizationManager", "GuestCustomizationManager")


def _one(vi: ViClient, src: str, host_ns: str, name: str, ip: str) -> float:
    t0 = time.perf_counter()
    info = vi.wait_task(vi.call("VirtualMachine", src, "InstantClone_Task", instant_clone_body(name)))
    if info["state"] != "success":
        raise RuntimeError(f"{name}: {info.get('error')}")
    spec = linux_spec(name.replace("-", ""), nics=[fixed_ip(ip, gateway="192.168.10.1")], tz=None)
    done = vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(info["result"], spec)))
    if done["state"] != "success":
        raise RuntimeError(f"{name}: {done.get('error')}")
    ping = subprocess.run(
        ["ip", "netns", "exec", host_ns, "ping", "-q", "-c1", "-w5", "-i0.01", ip], capture_output=True
    )
    if ping.returncode != 0:
        raise RuntimeError(f"{name} does not answer at {ip}")
    return time.perf_counter() - t0


def run(clones: int = 20, parallel: int = 8, parallel_clones: int = 24, prefix: str | None = None) -> dict[str, Any]:
    if os.geteuid() != 0:
        raise RuntimeError("the netns bench needs root")
    prefix = prefix or f"gb{os.getpid() % 100000}"
    host_ns = f"{prefix}-host"
    with tempfile.TemporaryDirectory(prefix="gosc-netns-bench-") as tmp:
        server = GoscServer(
            Path(tmp) / "data", extra_args=["--guest-backend", "netns", "--netns-prefix", prefix]
        ).start()
        vi = ViClient(server.url)
        try:
            vi.login(ADMIN, ADMIN_PASSWORD)
            src = vi.find("DC0/vm/demo-ubuntu")["value"]
            _one(vi, src, host_ns, "warm-0", "192.168.10.19")  # imports, first overlay, ARP tables
            serial = [_one(vi, src, host_ns, f"seq-{i}", f"192.168.10.{20 + i}") for i in range(clones)]

            def client() -> ViClient:
                c = ViClient(server.url, client=vi.http)  # one connection pool: the server stops at once
                c.session = vi.session
                return c

            t0 = time.perf_counter()
            with ThreadPoolExecutor(parallel) as pool:
                loaded = list(
                    pool.map(
                        lambda i: _one(client(), src, host_ns, f"par-{i}", f"192.168.10.{50 + i}"),
                        range(parallel_clones),
                    )
                )
            elapsed = time.perf_counter() - t0
        finally:
            vi.http.close()
            server.stop()
            NetnsBackend(Path(tmp), Path(tmp), prefix=prefix).recover()  # in case the server had to be killed
    return {
        "serial clones": float(clones),
        "clone->ping p50_ms": percentile(serial, 50) * 1000,
        "clone->ping p95_ms": percentile(serial, 95) * 1000,
        "clone->ping max_ms": max(serial) * 1000,
        f"clones/s with {parallel} in parallel": parallel_clones / elapsed,
        f"clone->ping p50_ms with {parallel} in parallel": percentile(loaded, 50) * 1000,
        f"clone->ping p95_ms with {parallel} in parallel": percentile(loaded, 95) * 1000,
        "target p50_ms": 1000.0,
    }


if __name__ == "__main__":
    from .common import show

    show("netns: InstantClone_Task to ping at the customized address", run())
