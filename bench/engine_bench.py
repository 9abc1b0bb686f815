"""Packages built and applied per second to a rootfs guest, on one core, beside the cost
of copying the same files (what any tool that writes them must at least spend)."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from pyVmomi import vim

from gosc.customization import package
from gosc.guest import deploy, engine
from gosc.guest.skeletons import copy_skeleton

MAC = "00:50:56:80:00:01"


def _spec(i: int) -> Any:
    C = vim.vm.customization
    return C.Specification(
        identity=C.LinuxPrep(
            hostName=C.FixedName(name=f"host{i}"), domain="example.com", timeZone="Europe/Berlin", hwClockUTC=True
        ),
        globalIPSettings=C.GlobalIPSettings(dnsServerList=["192.168.10.2"], dnsSuffixList=["example.com"]),
        nicSettingMap=[
            C.AdapterMapping(
                adapter=C.IPSettings(
                    ip=C.FixedIp(ipAddress=f"192.168.{i % 250}.{i % 250 + 2}"),
                    subnetMask="255.255.255.0",
                    gateway=[f"192.168.{i % 250}.1"],
                )
            )
        ],
    )


def run(seconds: float = 3.0) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="gosc-bench-"))
    try:
        root = copy_skeleton("ubuntu", work / "root", [MAC])
        facts = package.VmFacts("bench", (MAC,), "uuid-bench")
        n, t0 = 0, time.perf_counter()
        changed: list[str] = []
        while time.perf_counter() - t0 < seconds:
            pkg = package.build_package(_spec(n), facts, f"host{n}")
            pkg_dir = work / f"pkg{n}"
            deploy.extract(pkg, pkg_dir)
            result = engine.apply(root, pkg_dir)
            assert result.ok, result.message
            changed = result.changes
            shutil.rmtree(pkg_dir)
            n += 1
        applied = n / (time.perf_counter() - t0)

        # Baseline: copy the same files the engine wrote (same sizes), with the same
        # durability (write to a temp file, fsync, rename), as many times.
        files = [root / c.lstrip("/") for c in changed if (root / c.lstrip("/")).is_file()]
        dest = work / "copy"
        dest.mkdir()
        m, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            for i, f in enumerate(files):
                tmp = dest / f".{i}.tmp"
                with open(f, "rb") as src, open(tmp, "wb") as out:
                    out.write(src.read())
                    out.flush()
                    __import__("os").fsync(out.fileno())
                tmp.replace(dest / str(i))
            m += 1
        copied = m / (time.perf_counter() - t0)
        return {
            "packages built+applied/s": applied,
            "same files copied (fsync)/s": copied,
            "apply / copy": applied / copied,
            "files per customization": float(len(files)),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
