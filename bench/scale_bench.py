"""Big inventories (issue 12): ``gosc serve --demo --demo-vms N`` at 10,000 and 100,000
VMs beside vcsim 0.24 with 20,000 (``vcsim -vm 10000``: 10,000 VMs in each of its two
resource pools), in the same run.  For each server: seconds from launch to its first
answer (a made inventory, and gosc again from its store: a restart), the server's RSS
once it answers, and the seconds pyVmomi takes to read the names of all VMs through a
ContainerView with ``RetrievePropertiesEx`` pages (``maxObjects``) and
``ContinueRetrievePropertiesEx``, and the RSS after that."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer

from .vcsim_bench import Vcsim, cpu_seconds

PAGE = 1000  # objects per RetrievePropertiesEx page


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _connect(url: str, user: str, password: str) -> Any:
    from pyVim.connect import SmartConnect

    u = urlsplit(url)
    return SmartConnect(host=u.hostname, port=u.port, user=user, pwd=password, disableSslCertValidation=True)


def all_names(si: Any) -> list[str]:
    """The names of every VM, as a client lists a big inventory: a ContainerView of the
    root folder, read a page at a time."""
    from pyVmomi import vim, vmodl

    pc_ = vmodl.query.PropertyCollector
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    spec = pc_.FilterSpec(
        objectSet=[
            pc_.ObjectSpec(
                obj=view, skip=True, selectSet=[pc_.TraversalSpec(name="v", type=vim.view.ContainerView, path="view")]
            )
        ],
        propSet=[pc_.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])],
    )
    pc = content.propertyCollector
    names: list[str] = []
    result = pc.RetrievePropertiesEx([spec], pc_.RetrieveOptions(maxObjects=PAGE))
    while result is not None:
        names += [o.propSet[0].val for o in result.objects]
        result = pc.ContinueRetrievePropertiesEx(result.token) if result.token else None
    view.DestroyView()
    return names


def _first_answer(url: str, user: str, password: str, launched: float) -> tuple[float, Any]:
    si = _connect(url, user, password)  # a login is an answer that needs the inventory standing
    si.CurrentTime()
    return time.monotonic() - launched, si


def _listing(si: Any, pid: int) -> dict[str, float]:
    """The listing's wall time, and the CPU the server and the pyVmomi client each spent
    on it (both share this machine's cores: the client's parsing is part of the wall time)."""
    t0, server0, client0 = time.monotonic(), cpu_seconds(pid), time.process_time()
    names = all_names(si)
    return {
        "VMs listed": len(names),
        "names of all VMs s": time.monotonic() - t0,
        "  server CPU s": cpu_seconds(pid) - server0,
        "  pyVmomi client CPU s": time.process_time() - client0,
        "RSS after listing MiB": rss_mib(pid),
    }


def gosc_at(vms: int, workdir: Path, *, listing: bool = True) -> dict[str, float]:
    data = workdir / f"gosc-{vms}"
    server = GoscServer(data, extra_args=["--demo-vms", str(vms), "--demo-clusters", "1"])
    out: dict[str, float] = {}
    try:
        for phase in ("made", "restarted"):
            launched = time.monotonic()
            server.start(timeout=600)
            assert server.proc is not None
            seconds, si = _first_answer(server.url, ADMIN, ADMIN_PASSWORD, launched)
            out[f"first answer s ({phase})"] = seconds
            out[f"  server CPU s to it ({phase})"] = cpu_seconds(server.proc.pid)  # a noisy machine: both
            out[f"RSS MiB ({phase})"] = rss_mib(server.proc.pid)
            if phase == "restarted" and listing:
                out.update(_listing(si, server.proc.pid))
            server.stop()
    finally:
        server.stop()
    return out


def vcsim_at(per_pool: int, workdir: Path, cert: Path, key: Path) -> dict[str, float]:
    launched = time.monotonic()
    vcsim = Vcsim(cert, key, workdir / "vcsim-scale.log", "-vm", str(per_pool))
    try:
        seconds, si = _first_answer(vcsim.url, vcsim.user, vcsim.password, launched)
        out = {
            "first answer s (made)": seconds,
            "  server CPU s to it (made)": cpu_seconds(vcsim.proc.pid),
            "RSS MiB (made)": rss_mib(vcsim.proc.pid),
        }
        out.update(_listing(si, vcsim.proc.pid))
        return out
    finally:
        vcsim.stop()


def run(sizes: tuple[int, ...] = (10_000, 100_000), vcsim_per_pool: int = 10_000) -> dict[str, Any]:
    results: dict[str, Any] = {"load average": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    with tempfile.TemporaryDirectory(prefix="gosc-scale-") as tmp:
        work = Path(tmp)
        for n in sizes:
            results[f"gosc {n:,} VMs"] = gosc_at(n, work)
        # vcsim serves gosc's certificate, so TLS costs both the same.
        tls = work / f"gosc-{sizes[0]}" / "tls"
        results[f"vcsim 0.24 {2 * vcsim_per_pool:,} VMs"] = vcsim_at(
            vcsim_per_pool, work, tls / "server.crt", tls / "server.key"
        )
    results["load average after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return results
