"""Guest operations in live (netns) guests: programs run in the guest's namespaces (its
network, its host name), as the guest account; files go through the guest's own mounts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

from tests.guestops.conftest import ROOT, VMUSER, download, upload, wait_exit
from tests.netns.support import (
    guest_file,
    guest_hostname,
    holder_pid,
    leftovers,
    login,
    machine_links,
    netns_server,
    sh,
    sweep,
)
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer
from tests.support.vijson import ViClient

PREFIX = f"go{os.getpid() % 100000}"
PM = vim.vm.guest.ProcessManager


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GoscServer, vim.ServiceInstance, set[str]]]:
    machine = machine_links()
    server = netns_server(tmp_path_factory.mktemp("netns") / "data", PREFIX).start()
    si = SmartConnect(host="127.0.0.1", port=server.port, user=ADMIN, pwd=ADMIN_PASSWORD, disableSslCertValidation=True)
    try:
        yield server, si, machine
    finally:
        Disconnect(si)
        server.stop()
        sweep(PREFIX)


def run(
    gom: vim.vm.guest.GuestOperationsManager,
    vm: vim.VirtualMachine,
    auth: vim.vm.guest.GuestAuthentication,
    script: str,
) -> int:
    pid = gom.processManager.StartProgramInGuest(
        vm, auth, PM.ProgramSpec(programPath="/bin/sh", arguments=f"-c '{script}'")
    )
    return int(wait_exit(gom.processManager, vm, auth, pid).exitCode)


def test_programs_and_files_in_a_live_guest(live: tuple[GoscServer, vim.ServiceInstance, set[str]]) -> None:
    server, si, _ = live
    gom = si.content.guestOperationsManager
    vm = si.content.searchIndex.FindByInventoryPath("DC0/vm/demo-ubuntu")
    ref = {"value": vm._moId}
    assert run(gom, vm, ROOT, "cat /proc/net/dev > /tmp/netdev; hostname > /tmp/name") == 0
    netdev = download(gom, vm, ROOT, "/tmp/netdev", server).decode()
    seen = sorted(line.split(":")[0].strip() for line in netdev.splitlines()[2:])
    ns = f"{PREFIX}-{vm._moId}"
    theirs = sorted(
        line.split(":")[1].strip().split("@")[0] for line in sh("ip", "-n", ns, "-o", "link").stdout.splitlines()
    )
    assert seen == theirs  # the guest's own interfaces, not the host's
    assert download(gom, vm, ROOT, "/tmp/name", server).decode().strip() == guest_hostname(PREFIX, ref)
    assert run(gom, vm, VMUSER, "id -u > /tmp/uid; echo x > /etc/vmuser") != 0
    assert download(gom, vm, VMUSER, "/tmp/uid", server) == b"1000\n"
    vi: ViClient = login(server)
    upload(gom, vm, VMUSER, "/tmp/from-host", b"live", server)
    path: Path = guest_file(server, vi, PREFIX, ref, "tmp/from-host")
    vi.http.close()
    assert path.read_bytes() == b"live" and path.stat().st_uid == 1000
    assert holder_pid(PREFIX, ref) > 0


def test_zz_server_stop_leaves_nothing(live: tuple[GoscServer, vim.ServiceInstance, set[str]]) -> None:
    server, si, machine = live
    pid = si.content.guestOperationsManager.processManager.StartProgramInGuest(
        si.content.searchIndex.FindByInventoryPath("DC0/vm/demo-ubuntu"),
        ROOT,
        PM.ProgramSpec(programPath="/bin/sleep", arguments="600"),
    )
    assert pid > 0
    Disconnect(si)
    server.stop()
    assert leftovers(PREFIX, server.data_dir, machine) == {"netns": [], "processes": [], "mounts": [], "links": []}
