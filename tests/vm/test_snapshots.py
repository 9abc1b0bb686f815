"""Snapshots with real effect (pyVmomi over SOAP): a revert gives the guest its tree back byte
for byte, the snapshot tree and current snapshot follow vCenter, power follows the memory
rules, everything persists through a restart, and a linked clone starts from a snapshot."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from gosc.testing import Gosc
from tests.support.specs import GUEST_PASSWORD, GUEST_USER
from tests.vm.helpers import clone_off, connect, disconnect, guest_root, linux_spec, task_error, unique, until


@pytest.fixture(scope="module")
def si(gosc: Gosc) -> Any:
    return gosc.service_instance


def listing(root: Path) -> dict[str, tuple[int, int, int, int, bytes | None]]:
    """Every entry of a tree, symlinks not followed: mode, owner, group, links, content (a
    symlink's target, a regular file's bytes)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [".", *dirnames, *filenames] if dirpath == str(root) else [*dirnames, *filenames]:
            p = Path(dirpath) / name
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                data: bytes | None = os.readlink(p).encode()
            elif stat.S_ISREG(st.st_mode):
                data = p.read_bytes()
            else:
                data = None
            out[str(p.relative_to(root))] = (st.st_mode, st.st_uid, st.st_gid, st.st_nlink, data)
    return out


def power_on(vm: Any) -> None:
    WaitForTask(vm.PowerOnVM_Task())
    until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning", f"{vm.name}'s tools run")


def customize_running(si: Any, vm: Any, host: str, ip: str) -> None:
    auth = vim.vm.guest.NamePasswordAuthentication(username=GUEST_USER, password=GUEST_PASSWORD)
    WaitForTask(si.content.guestCustomizationManager.CustomizeGuest_Task(vm, auth, linux_spec(host, ip)))


def tree_of(snapshots: list[Any]) -> list[Any]:
    return [(s.name, tree_of(s.childSnapshotList)) for s in snapshots]


def odd_entries(root: Path) -> None:
    """What a real guest tree has beyond plain files: a fifo, hard links, a set-uid file,
    an extended attribute, symlinks that name the host's paths (they must stay symlinks)."""
    os.mkfifo(root / "run-fifo")
    (root / "usr/bin").mkdir(parents=True, exist_ok=True)
    (root / "usr/bin/tool").write_bytes(b"\x7fELF tool\n")
    os.chmod(root / "usr/bin/tool", 0o4755)
    os.link(root / "usr/bin/tool", root / "usr/bin/tool-link")
    os.setxattr(root / "usr/bin/tool", "user.gosc-test", b"kept")
    os.symlink("/etc/shadow", root / "etc/shadow-link")
    os.symlink("/", root / "host-root")
    os.chown(root / "etc/hostname", 1000, 1000)


def test_revert_restores_the_tree_byte_for_byte(gosc: Gosc, si: Any) -> None:
    vm = clone_off(si)
    root = guest_root(gosc, vm)
    odd_entries(root)
    power_on(vm)
    old_host = (root / "etc/hostname").read_text()
    before = listing(root)

    task = vm.CreateSnapshot_Task(name="before", description="as cloned", memory=True, quiesce=True)
    WaitForTask(task)
    snap = task.info.result
    assert task.info.descriptionId == "VirtualMachine.createSnapshot"
    assert vm.snapshot.currentSnapshot == snap and vm.rootSnapshot == [snap]
    node = vm.snapshot.rootSnapshotList[0]
    assert (node.name, node.description, node.state, node.quiesced, node.id) == (
        "before",
        "as cloned",
        "poweredOn",
        True,
        1,
    )
    assert node.vm == vm and snap.vm == vm and snap.config.instanceUuid == vm.config.instanceUuid

    customize_running(si, vm, "snapped01", "192.168.10.61")
    assert (root / "etc/hostname").read_text().strip() == "snapped01"
    until(lambda: vm.guest.hostName == "snapped01", "the guest reports its new name")

    task = snap.RevertToSnapshot_Task()
    WaitForTask(task)
    assert task.info.descriptionId == "vm.Snapshot.revert" and task.info.entity == vm
    # A snapshot with memory of a running VM: the VM runs after the revert, on the old tree.
    assert vm.runtime.powerState == "poweredOn"
    assert listing(root) == before
    assert (root / "etc/hostname").read_text() == old_host
    assert os.getxattr(root / "usr/bin/tool", "user.gosc-test") == b"kept"
    assert os.readlink(root / "host-root") == "/"  # a symlink, copied, never followed
    until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning", "the tools run again")
    until(lambda: vm.guest.hostName == old_host.strip(), "the guest reports its old name")

    # The guest runs on the reverted tree: it can be customized again.
    customize_running(si, vm, "again01", "192.168.10.62")
    assert (root / "etc/hostname").read_text().strip() == "again01"
    WaitForTask(vm.RevertToCurrentSnapshot_Task())
    assert listing(root) == before


def test_the_memory_rules(gosc: Gosc, si: Any) -> None:
    vm = clone_off(si)
    power_on(vm)
    WaitForTask(vm.CreateSnapshot_Task(name="no-memory", memory=False, quiesce=False))
    WaitForTask(vm.CreateSnapshot_Task(name="memory", memory=True, quiesce=False))
    assert tree_of(vm.snapshot.rootSnapshotList) == [("no-memory", [("memory", [])])]
    no_memory, memory = vm.rootSnapshot[0], vm.snapshot.currentSnapshot
    assert vm.snapshot.rootSnapshotList[0].state == "poweredOff"

    WaitForTask(no_memory.RevertToSnapshot_Task())  # without memory: powered off
    assert vm.runtime.powerState == "poweredOff" and vm.guest.toolsRunningStatus == "guestToolsNotRunning"
    assert vm.snapshot.currentSnapshot == no_memory
    WaitForTask(memory.RevertToSnapshot_Task())  # with memory: running, from a powered-off VM too
    assert vm.runtime.powerState == "poweredOn"
    until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning", "the tools run")
    WaitForTask(memory.RevertToSnapshot_Task(suppressPowerOn=True))  # the memory state kept, not run
    assert vm.runtime.powerState == "suspended"
    WaitForTask(vm.CreateSnapshot_Task(name="suspended", memory=True, quiesce=False))
    assert vm.snapshot.rootSnapshotList[0].childSnapshotList[0].childSnapshotList[0].state == "suspended"

    # Quiescing is the tools' work: a running VM without them cannot be quiesced.
    notools = clone_off(si, source="DC0/vm/demo-notools")
    WaitForTask(notools.PowerOnVM_Task())
    error = task_error(notools.CreateSnapshot_Task(name="q", memory=False, quiesce=True))
    assert isinstance(error, vim.fault.ToolsUnavailable)
    assert notools.snapshot is None


def test_the_tree_current_snapshot_remove_and_rename(gosc: Gosc, si: Any) -> None:
    vm = clone_off(si)
    snaps = {}
    for name in ("A", "B"):
        task = vm.CreateSnapshot_Task(name=name, memory=False, quiesce=False)
        WaitForTask(task)
        snaps[name] = task.info.result
    WaitForTask(snaps["A"].RevertToSnapshot_Task())
    for name in ("C", "D"):
        task = vm.CreateSnapshot_Task(name=name, memory=False, quiesce=False)
        WaitForTask(task)
        snaps[name] = task.info.result
    assert tree_of(vm.snapshot.rootSnapshotList) == [("A", [("B", []), ("C", [("D", [])])])]
    assert snaps["A"].childSnapshot == [snaps["B"], snaps["C"]] and vm.snapshot.currentSnapshot == snaps["D"]
    assert [n.id for n in vm.snapshot.rootSnapshotList[0].childSnapshotList] == [2, 3]
    store = gosc.server.data_dir / "guests" / vm.config.instanceUuid / "snapshots"
    assert sorted(p.name for p in store.iterdir()) == sorted(s._moId for s in snaps.values())
    # B was taken right after A: its copy shares A's files (snapshot copies are never written).
    a, b = store / snaps["A"]._moId, store / snaps["B"]._moId
    assert os.stat(a / "etc/os-release").st_ino == os.stat(b / "etc/os-release").st_ino
    live = guest_root(gosc, vm) / "etc/os-release"
    assert os.stat(live).st_ino not in (os.stat(a / "etc/os-release").st_ino, os.stat(b / "etc/os-release").st_ino)

    # Removing C alone: D moves up to A; removing the current snapshot makes its parent current.
    task = snaps["C"].RemoveSnapshot_Task(removeChildren=False)
    WaitForTask(task)
    assert task.info.descriptionId == "vm.Snapshot.remove"
    assert tree_of(vm.snapshot.rootSnapshotList) == [("A", [("B", []), ("D", [])])]
    WaitForTask(snaps["D"].RemoveSnapshot_Task(removeChildren=False))
    assert vm.snapshot.currentSnapshot == snaps["A"]
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        snaps["C"].RevertToSnapshot_Task()
    assert not (store / snaps["C"]._moId).exists()

    snaps["B"].RenameSnapshot(name="B2", description="renamed")
    node = vm.snapshot.rootSnapshotList[0].childSnapshotList[0]
    assert (node.name, node.description) == ("B2", "renamed")
    with pytest.raises(vim.fault.InvalidName):
        snaps["B"].RenameSnapshot(name="")
    with pytest.raises(vim.fault.InvalidName):
        vm.CreateSnapshot_Task(name="x" * 81, memory=False, quiesce=False)

    # Removing A with its children removes the whole tree.
    WaitForTask(snaps["A"].RemoveSnapshot_Task(removeChildren=True))
    assert vm.snapshot is None and vm.rootSnapshot == []
    assert not any(store.iterdir())
    with pytest.raises(vim.fault.NotFound):
        vm.RevertToCurrentSnapshot_Task()
    WaitForTask(vm.RemoveAllSnapshots_Task())  # nothing to remove: nothing happens


def test_faults(gosc: Gosc, si: Any) -> None:
    template = clone_off(si)
    template.MarkAsTemplate()
    with pytest.raises(vim.fault.InvalidState):
        template.CreateSnapshot_Task(name="t", memory=False, quiesce=False)
    vm = clone_off(si)
    task = vm.CreateSnapshot_Task(name="one", memory=False, quiesce=False)
    WaitForTask(task)
    other = clone_off(si)
    # A snapshot's own VM is what its methods act on: another VM's snapshot is no argument here.
    with pytest.raises(vmodl.fault.InvalidArgument) as e:
        other.CloneVM_Task(
            folder=other.parent,
            name=unique("bad"),
            spec=vim.vm.CloneSpec(
                location=vim.vm.RelocateSpec(), snapshot=task.info.result, powerOn=False, template=False
            ),
        )
    assert e.value.invalidProperty == "spec.snapshot"


def test_linked_clone_starts_from_the_snapshot(gosc: Gosc, si: Any) -> None:
    vm = clone_off(si)
    root = guest_root(gosc, vm)
    task = vm.CreateSnapshot_Task(name="base", memory=False, quiesce=False)
    WaitForTask(task)
    base = task.info.result
    at_snapshot = listing(root)
    (root / "etc/hostname").write_text("changed-since\n")  # the source moves on after its snapshot

    spec = vim.vm.CloneSpec(
        location=vim.vm.RelocateSpec(diskMoveType="createNewChildDiskBacking"),
        snapshot=base,
        powerOn=False,
        template=False,
    )
    task = vm.CloneVM_Task(folder=vm.parent, name=unique("linked"), spec=spec)
    WaitForTask(task)
    child = task.info.result
    child_tree = listing(guest_root(gosc, child))
    mac_files = {k for k in child_tree if k.startswith("sys/class/net/") and k.endswith("/address")}
    assert {k: v for k, v in child_tree.items() if k not in mac_files} == {
        k: v for k, v in at_snapshot.items() if k not in mac_files
    }
    assert child.snapshot is None and child.config.instanceUuid != vm.config.instanceUuid

    # The linked clone lives on its own: its source's snapshots can go, the clone runs and customizes.
    WaitForTask(vm.RemoveAllSnapshots_Task())
    power_on(child)
    customize_running(si, child, "linked01", "192.168.10.63")
    assert (guest_root(gosc, child) / "etc/hostname").read_text().strip() == "linked01"

    with pytest.raises(vmodl.fault.InvalidArgument) as e:  # a linked clone needs a snapshot
        vm.CloneVM_Task(
            folder=vm.parent,
            name=unique("linked"),
            spec=vim.vm.CloneSpec(
                location=vim.vm.RelocateSpec(diskMoveType="createNewChildDiskBacking"), powerOn=False, template=False
            ),
        )
    assert e.value.invalidProperty == "spec.snapshot"


def test_snapshots_persist_and_destroy_removes_them(gosc: Gosc, si: Any) -> None:
    vm = clone_off(si)
    root = guest_root(gosc, vm)
    before = listing(root)
    WaitForTask(vm.CreateSnapshot_Task(name="kept", description="through a restart", memory=False, quiesce=False))
    (root / "etc/hostname").write_text("after-snapshot\n")
    moid, snap_moid = vm._moId, vm.snapshot.currentSnapshot._moId

    gosc.server.stop()
    gosc.server.start()
    si2 = connect(gosc)
    try:
        vm = vim.VirtualMachine(moid, si2._stub)
        node = vm.snapshot.rootSnapshotList[0]
        assert (node.name, node.description, node.snapshot._moId) == ("kept", "through a restart", snap_moid)
        assert vm.snapshot.currentSnapshot._moId == snap_moid
        WaitForTask(node.snapshot.RevertToSnapshot_Task())
        assert listing(root) == before
        store = gosc.server.data_dir / "guests" / vm.config.instanceUuid
        WaitForTask(vm.Destroy_Task())
        assert not store.exists()
        with pytest.raises(vmodl.fault.ManagedObjectNotFound):
            vim.vm.Snapshot(snap_moid, si2._stub).RenameSnapshot(name="gone")
    finally:
        disconnect(si2)
