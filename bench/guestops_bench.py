"""Guest operations, through pyVmomi against a real server: StartProgramInGuest + waiting
for the exit (ListProcessesInGuest, as govc and Ansible poll) per second, beside starting
the same program in the same sandbox directly; and upload throughput
(InitiateFileTransferToGuest + PUT on /guestFile) beside a plain local copy of the same
file in the same run."""

from __future__ import annotations

import os
import shutil
import ssl
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

from gosc.guest import sandbox
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer

AUTH = vim.vm.guest.NamePasswordAuthentication(username="root", password="VMware1!")
MiB = 1024 * 1024


def _tls() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _programs(gom: Any, vm: Any, seconds: float) -> float:
    pm = gom.processManager
    spec = vim.vm.guest.ProcessManager.ProgramSpec(programPath="/bin/true", arguments="")
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        pid = pm.StartProgramInGuest(vm, AUTH, spec)
        while pm.ListProcessesInGuest(vm, AUTH, [pid])[0].endTime is None:
            time.sleep(0.005)
        n += 1
    return n / (time.perf_counter() - t0)


def _sandbox_only(root: Path, seconds: float) -> float:
    """The floor: the same program in the same sandbox, started and awaited directly."""
    spec = sandbox.SandboxSpec(root=root, cwd="/")
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        sandbox.run(spec, ["/bin/sh", "-c", "'/bin/true'"], timeout=30)
        n += 1
    return n / (time.perf_counter() - t0)


def _connect(port: int) -> Any:
    return SmartConnect(host="127.0.0.1", port=port, user=ADMIN, pwd=ADMIN_PASSWORD, disableSslCertValidation=True)


def _upload(port: int, data_file: Path, size: int) -> float:
    # A connection of its own each time: pyVmomi does not retry a kept-alive connection
    # the server closed after 5 idle seconds (the PUT's duration).
    si = _connect(port)
    fm = si.content.guestOperationsManager.fileManager
    vm = si.content.searchIndex.FindByInventoryPath("DC0/vm/demo-ubuntu")
    t0 = time.perf_counter()
    url = fm.InitiateFileTransferToGuest(
        vm, AUTH, "/tmp/bench.bin", vim.vm.guest.FileManager.FileAttributes(), size, True
    ).replace("*", "127.0.0.1", 1)
    with data_file.open("rb") as body:
        req = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Length": str(size)})
        with urllib.request.urlopen(req, context=_tls(), timeout=300) as r:
            assert r.status == 200
    took = time.perf_counter() - t0
    Disconnect(si)
    return size / MiB / took


def _local_copy(src: Path, dst: Path, size: int) -> float:
    t0 = time.perf_counter()
    with src.open("rb") as fin, dst.open("wb") as fout:
        shutil.copyfileobj(fin, fout, MiB)
        fout.flush()
        os.fsync(fout.fileno())  # the upload is fsync'd before its rename: the same durability
    return size / MiB / (time.perf_counter() - t0)


def run(seconds: float = 5.0, size_mib: int = 256) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="gosc-bench-guestops-") as tmp:
        size = size_mib * MiB
        data_file = Path(tmp) / "payload.bin"
        with data_file.open("wb") as f:
            for _ in range(size_mib):
                f.write(os.urandom(MiB))
        local = max(_local_copy(data_file, Path(tmp) / "copy.bin", size) for _ in range(3))
        server = GoscServer(Path(tmp) / "data").start()
        try:
            si = _connect(server.port)
            gom = si.content.guestOperationsManager
            vm = si.content.searchIndex.FindByInventoryPath("DC0/vm/demo-ubuntu")
            root = server.data_dir / "guests" / vm.config.instanceUuid / "root"
            programs = _programs(gom, vm, seconds)
            Disconnect(si)
            upload = max(_upload(server.port, data_file, size) for _ in range(3))
            floor = _sandbox_only(root, seconds)
        finally:
            server.stop()
    return {
        "StartProgramInGuest + wait for exit /s": programs,
        "same program, sandbox started directly /s": floor,
        "guest ops / direct sandbox": programs / floor,
        f"upload {size_mib} MiB (Initiate + PUT) MB/s": upload,
        f"local copy {size_mib} MiB (+fsync) MB/s": local,
        "upload / local copy": upload / local,
    }
