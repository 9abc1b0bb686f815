"""Symlinks in a guest tree never lead gosc to read, write or delete a host file (issue 8).

Each test plants links in a guest tree that name a host "canary" directory (by its real
host path) or the host's own /run, then drives gosc as a user would: through the server
(rootfs Linux and Windows guests) or the engine/agent directly where the server adds
nothing.  Afterwards the canaries are byte-identical and no canary byte is in the guest.
An absolute link means the GUEST's file: ``var/run -> /run`` is the guest's own run/.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gosc.guest.agent import IMC_DIR, ToolsAgent
from gosc.guest.engine import apply
from gosc.guest.guestpath import GuestRoot
from gosc.guest.skeletons import copy_skeleton
from tests.conftest import guest_root
from tests.support.guest_canary import CANARY_TEXT, make_canary, snapshot, tree_bytes
from tests.support.server import GoscServer
from tests.support.specs import customize_body, instant_clone_body, linux_spec, sysprep_spec
from tests.support.vijson import ViClient

GCM = ("VirtualMachineGuestCustomizationManager", "GuestCustomizationManager")
MAC = "00:50:56:00:00:01"


@pytest.fixture
def host(tmp_path: Path) -> Path:
    return make_canary(tmp_path)


def clone_of(vi: ViClient, name: str) -> dict[str, str]:
    src = vi.find(f"DC0/vm/{name}")
    assert src is not None
    body = instant_clone_body(f"{name}-gp-{uuid.uuid4().hex[:6]}")
    info = vi.wait_task(vi.call("VirtualMachine", src["value"], "InstantClone_Task", body))
    assert info["state"] == "success", info
    return info["result"]  # type: ignore[no-any-return]


def customize(vi: ViClient, vm: dict[str, str], spec: dict[str, Any], user: str = "root") -> dict[str, Any]:
    return vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, spec, user=user)))


def relink(path: Path, target: Path | str) -> None:
    """Replace whatever is at ``path`` by a symlink to ``target``."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def leftovers(root: Path) -> list[str]:
    """What a customization left in the guest's /var/run/vmware-imc (wherever it resolves)."""
    with GuestRoot(root) as g:
        found = []
        for d in g.listdir(IMC_DIR):
            found += [f"{d}/{n}" for n in g.listdir(f"{IMC_DIR}/{d}")] or [d]
        return found


# ------------------------------------------------------------------ engine log (rootfs, server)


def test_engine_log_through_a_symlinked_log_dir_stays_in_the_guest(
    server: GoscServer, vi: ViClient, host: Path
) -> None:
    vm = clone_of(vi, "demo-ubuntu")
    root = guest_root(server, vi, vm)
    before = snapshot(host)
    relink(root / "var/log/vmware-imc", host / "log/vmware-imc")  # the host dir exists
    info = customize(vi, vm, linux_spec("gp01"))
    assert info["state"] == "success", info.get("error")
    assert snapshot(host) == before  # no toolsDeployPkg.log appeared in the host's directory
    assert (root / "etc/hostname").read_text().strip() == "gp01"

    # The same link target, present inside the guest: the log lands in the guest's directory.
    vm2 = clone_of(vi, "demo-ubuntu")
    root2 = guest_root(server, vi, vm2)
    relink(root2 / "var/log/vmware-imc", "/srv/imc-log")
    (root2 / "srv/imc-log").mkdir(parents=True)
    assert customize(vi, vm2, linux_spec("gp02"))["state"] == "success"
    assert "customization succeeded" in (root2 / "srv/imc-log/toolsDeployPkg.log").read_text()
    assert snapshot(host) == before


# ------------------------------------------------------------------ Windows guestcust.log (server)


@pytest.mark.parametrize("where", ["file", "parent"])
def test_windows_guestcust_log_symlink_copies_no_host_file(
    server: GoscServer, vi: ViClient, host: Path, where: str
) -> None:
    vm = clone_of(vi, "demo-windows")
    root = guest_root(server, vi, vm)
    before = snapshot(host)
    if where == "file":
        relink(root / "Windows/Temp/vmware-imc/guestcust.log", host / "secret")
    else:
        relink(root / "Windows/Temp", host)  # the log's directory chain leads to the host
    info = customize(vi, vm, sysprep_spec("GPWIN"), user="Administrator")
    assert info["state"] == "success", info.get("error")
    assert "GPWIN" in (root / "Windows/Panther/unattend.xml").read_text()
    assert CANARY_TEXT not in tree_bytes(root)
    assert snapshot(host) == before


# ------------------------------------------------------------------ power-on empties var/run/vmware-imc


@pytest.fixture
def host_run_imc() -> Iterator[Path]:
    """A canary in the HOST's own /run/vmware-imc, the directory a Debian guest's
    ``var/run -> /run`` names; removed afterwards (only what this test made)."""
    imc = Path("/run/vmware-imc")
    made = not imc.exists()
    mine = imc / f"gosc-canary-{uuid.uuid4().hex}"
    mine.mkdir(parents=True)
    (mine / "cust.cfg").write_bytes(CANARY_TEXT)
    try:
        yield mine
    finally:
        shutil.rmtree(mine, ignore_errors=True)
        if made:
            shutil.rmtree(imc, ignore_errors=True)


def _power_cycle(vi: ViClient, vm: dict[str, str]) -> None:
    assert vi.wait_task(vi.call("VirtualMachine", vm["value"], "PowerOffVM_Task"))["state"] == "success"
    assert vi.wait_task(vi.call("VirtualMachine", vm["value"], "PowerOnVM_Task", {}))["state"] == "success"


@pytest.mark.parametrize("target", ["/run", "host-canary"])
def test_power_on_with_var_run_symlink_deletes_nothing_on_the_host(
    server: GoscServer, vi: ViClient, host: Path, host_run_imc: Path, target: str
) -> None:
    vm = clone_of(vi, "demo-debian")
    root = guest_root(server, vi, vm)
    relink(root / "var/run", "/run" if target == "/run" else str(host))
    guest_run = root / ("run" if target == "/run" else str(host).lstrip("/"))
    (guest_run / "vmware-imc/old-pkg").mkdir(parents=True)  # what an earlier boot left
    (guest_run / "vmware-imc/old-pkg/cust.cfg").write_text("-PASS = left over\n")
    before, run_before = snapshot(host), snapshot(host_run_imc)
    _power_cycle(vi, vm)
    assert snapshot(host) == before and snapshot(host_run_imc) == run_before
    assert not (guest_run / "vmware-imc").exists()  # the guest's own directory is emptied


# ------------------------------------------------------------------ guest.hostName (introspection)


@pytest.mark.parametrize("link", ["host-file", "absolute-in-guest"])
def test_hostname_symlink_never_surfaces_a_host_file(server: GoscServer, vi: ViClient, host: Path, link: str) -> None:
    vm = clone_of(vi, "demo-ubuntu")
    root = guest_root(server, vi, vm)
    if link == "host-file":
        relink(root / "etc/hostname", host / "hostname")
    else:
        (root / "etc/real-hostname").write_text("in-guest-name\n")
        relink(root / "etc/hostname", "/etc/real-hostname")  # absolute: the guest's /etc
    # A customization that fails before changing a file (scripts are off in this guest):
    # the agent re-reads the tree and reports guest.info before the task ends.
    info = customize(vi, vm, linux_spec("never", script="#!/bin/sh\ntrue\n"))
    assert info["state"] == "error"
    name = vi.get("VirtualMachine", vm["value"], "guest").get("hostName", "")
    assert "host-canary" not in name
    if link == "absolute-in-guest":
        assert name == "in-guest-name"


# ------------------------------------------------------------------ item 7: the package leaves the guest


def test_no_package_remains_after_success_or_failure(server: GoscServer, vi: ViClient) -> None:
    for spec, state in ((linux_spec("pk01"), "success"), (linux_spec("pk02", script="#!/bin/sh\ntrue\n"), "error")):
        vm = clone_of(vi, "demo-debian")
        root = guest_root(server, vi, vm)
        relink(root / "var/run", "/run")  # as in a real Debian tree
        (root / "run").mkdir()
        assert customize(vi, vm, spec)["state"] == state
        assert leftovers(root) == []
        assert b"-PASS" not in tree_bytes(root / "run")


def test_a_package_begun_but_never_deployed_is_removed(tmp_path: Path) -> None:
    root = copy_skeleton("debian", tmp_path / "root", [MAC])

    async def run() -> None:
        agent = ToolsAgent(root)
        a, b = socket.socketpair()
        reader, writer = await asyncio.open_unix_connection(sock=a)
        _, other = await asyncio.open_unix_connection(sock=b)
        agent.attach(reader, writer)
        pkg_dir = (await agent._begin(b""))[2:].decode()
        await agent._put(f"{pkg_dir}/pkg.zip".encode() + b"\0" + b"-PASS secret")
        assert leftovers(root) == [f"{pkg_dir.rsplit('/', 1)[1]}/pkg.zip"]
        await agent._begin(b"")  # the host starts over: the first package goes
        assert len(leftovers(root)) == 1
        await agent.stop()  # power off
        other.close()
        assert leftovers(root) == []

    asyncio.run(run())


# ------------------------------------------------------------------ engine directly, both lookups


@pytest.mark.parametrize("openat2", [True, False], ids=["openat2", "walk"])
def test_engine_links_to_guest_paths_are_followed_inside_the_guest(tmp_path: Path, host: Path, openat2: bool) -> None:
    """Absolute and ".." links that name guest files: the engine edits the guest's files."""
    root, pkg = _ubuntu(tmp_path)
    relink(root / "etc/hosts", host / "secret")  # a file the identity step rewrites: replaced
    relink(root / "var/log/vmware-imc", "/srv/log")  # the guest's /srv/log
    (root / "srv/log").mkdir(parents=True)
    relink(root / "etc/netplan", "../../../../../../../../etc/np")  # ".." stops at the guest root
    (root / "etc/np").mkdir()
    before = snapshot(host)
    with GuestRoot(root, use_openat2=openat2) as guest:
        result = apply(guest, pkg)
    assert result.ok, result.message
    assert snapshot(host) == before and CANARY_TEXT not in tree_bytes(root)
    assert "gp03" in (root / "etc/hosts").read_text() and not (root / "etc/hosts").is_symlink()
    assert "192.168.10.23/24" in (root / "etc/np/99-netcfg-vmware.yaml").read_text()
    assert result.log_path == root / "srv/log/toolsDeployPkg.log" and result.log_path.is_file()


@pytest.mark.parametrize("openat2", [True, False], ids=["openat2", "walk"])
def test_engine_links_to_host_paths_reach_nothing_on_the_host(tmp_path: Path, host: Path, openat2: bool) -> None:
    """Links naming host directories are dangling in the guest: the engine fails cleanly
    (network commit) and writes nothing on the host, its log included."""
    root, pkg = _ubuntu(tmp_path)
    relink(root / "etc/netplan", host)
    relink(root / "var/log/vmware-imc", host / "log/vmware-imc")
    before = snapshot(host)
    with GuestRoot(root, use_openat2=openat2) as guest:
        result = apply(guest, pkg)
    assert (result.ok, result.failure) == (False, "network") and "etc/netplan" in result.message
    assert snapshot(host) == before
    assert (root / "etc/hostname").read_text().strip() != "gp03"  # nothing half-applied
    assert result.log_path is None


def _ubuntu(tmp_path: Path) -> tuple[Path, Path]:
    from gosc.formats import custcfg
    from gosc.formats.custcfg_model import CustConfig, Nic

    root = copy_skeleton("ubuntu", tmp_path / "root", [MAC])
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    cfg = CustConfig(
        hostname="gp03",
        domainname="example.com",
        nics=[Nic("NIC1", MAC, primary=True, bootproto="static", ipaddr="192.168.10.23", netmask="255.255.255.0")],
    )
    (pkg / "cust.cfg").write_text(custcfg.render(cfg))
    return root, pkg
