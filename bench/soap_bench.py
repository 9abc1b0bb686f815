"""SOAP figures, measured as a pyVmomi user sees them (pyVmomi 9.1.1.0, one client,
sequential calls): Fetch of a VM's ``guest`` (what ``vm.guest`` sends), and
CustomizeGuest_Task + pyVim.task.WaitForTask (CreateFilter, WaitForUpdates, Fetch,
DestroyPropertyFilter) end to end.  Each loop stops at a fixed count or a time bound,
whichever comes first."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from .common import summary_ms

GUEST_USER, GUEST_PASSWORD = "root", "VMware1!"


def _spec(host: str) -> Any:
    from pyVmomi import vim

    c = vim.vm.customization
    return c.Specification(
        identity=c.LinuxPrep(hostName=c.FixedName(name=host), domain="example.com", hwClockUTC=True),
        globalIPSettings=c.GlobalIPSettings(),
        nicSettingMap=[c.AdapterMapping(adapter=c.IPSettings(ip=c.DhcpIpGenerator()))],
    )


def _loop(fn: Any, count: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    t0 = time.monotonic()
    deadline = t0 + seconds
    while len(latencies) < count and time.monotonic() < deadline:
        t = time.perf_counter()
        fn(len(latencies))
        latencies.append(time.perf_counter() - t)
    elapsed = time.monotonic() - t0
    return {
        "calls/s": len(latencies) / elapsed if elapsed else 0.0,
        **summary_ms(latencies),
        "count": float(len(latencies)),
    }


def run(
    base_url: str,
    admin: str,
    password: str,
    *,
    fetch_count: int = 2000,
    customize_count: int = 50,
    seconds: float = 5.0,
) -> dict[str, Any]:
    from pyVim.connect import Disconnect, SmartConnect
    from pyVim.task import WaitForTask
    from pyVmomi import vim

    url = urlsplit(base_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    si = SmartConnect(
        host=url.hostname, port=port, user=admin, pwd=password, protocol=url.scheme, disableSslCertValidation=True
    )
    try:
        content = si.RetrieveContent()
        gcm = content.guestCustomizationManager
        src = content.searchIndex.FindByInventoryPath("DC0/vm/demo-ubuntu")
        task = src.InstantClone_Task(
            spec=vim.vm.InstantCloneSpec(name=f"bench-soap-{uuid.uuid4().hex[:8]}", location=vim.vm.RelocateSpec())
        )
        if WaitForTask(task) != "success":
            raise RuntimeError(f"instant clone failed: {task.info.error}")
        clone = task.info.result
        auth = vim.vm.guest.NamePasswordAuthentication(
            username=GUEST_USER, password=GUEST_PASSWORD, interactiveSession=False
        )
        WaitForTask(gcm.CustomizeGuest_Task(clone, auth, _spec("warm")))  # warm-up

        def fetch(_: int) -> None:
            if clone.guest is None:
                raise RuntimeError("no guest")

        def customize(i: int) -> None:
            if WaitForTask(gcm.CustomizeGuest_Task(clone, auth, _spec(f"s{i}"))) != "success":
                raise RuntimeError("customization failed")

        out = {
            "client": "pyVmomi " + si._stub.version,
            "Fetch VirtualMachine.guest": _loop(fetch, fetch_count, seconds),
            "CustomizeGuest_Task + WaitForTask": _loop(customize, customize_count, seconds),
        }
        try:
            WaitForTask(clone.PowerOffVM_Task())
            WaitForTask(clone.Destroy_Task())
        except Exception:  # cleaning up is best effort; the figures stand
            pass
        return out
    finally:
        Disconnect(si)
