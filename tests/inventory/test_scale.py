"""``gosc serve --demo --demo-vms N``: a big inventory of powered-on VMs that cost only
their inventory records until something needs a guest (issue 12), through pyVmomi; and
the store's batched writes it is made with."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from gosc.store import SqliteStore
from tests.managers.conftest import connect, find_vm
from tests.support.server import GoscServer
from tests.vm.helpers import linux_spec, status, until

ROOT = vim.vm.guest.NamePasswordAuthentication(username="root", password="VMware1!")
SCALE = ["--demo-vms", "40", "--demo-hosts", "2", "--demo-clusters", "1"]  # 2 + 3 hosts: 8 VMs each


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoscServer]:
    s = GoscServer(tmp_path_factory.mktemp("scale") / "data", extra_args=SCALE).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def si(server: GoscServer) -> Iterator[vim.ServiceInstance]:
    conn = connect(server)
    yield conn
    Disconnect(conn)


def names_and_power(si: vim.ServiceInstance) -> dict[str, str]:
    """Every VM's name and power state, through a ContainerView and RetrievePropertiesEx pages."""
    content = si.content
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[
            vmodl.query.PropertyCollector.ObjectSpec(
                obj=view,
                skip=True,
                selectSet=[
                    vmodl.query.PropertyCollector.TraversalSpec(name="v", type=vim.view.ContainerView, path="view")
                ],
            )
        ],
        propSet=[
            vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=["name", "runtime.powerState"])
        ],
    )
    pc = content.propertyCollector
    out: dict[str, str] = {}
    result = pc.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=7))
    while result is not None:
        for o in result.objects:
            props = {p.name: p.val for p in o.propSet}
            out[props["name"]] = props["runtime.powerState"]
        result = pc.ContinueRetrievePropertiesEx(result.token) if result.token else None
    view.DestroyView()
    return out


def tree(server: GoscServer, vm: Any) -> Path:
    return server.data_dir / "guests" / vm.config.instanceUuid / "root"


def test_the_vms_are_named_as_vcsim_names_them_and_are_on(si: vim.ServiceInstance) -> None:
    vms = names_and_power(si)
    scale = {n: p for n, p in vms.items() if n.startswith("DC0_")}
    assert len(scale) == 40
    assert {"DC0_H0_VM0", "DC0_H1_VM7", "DC0_C0_H0_VM0", "DC0_C0_H2_VM7"} <= scale.keys()
    assert set(scale.values()) == {"poweredOn"}
    assert "demo-ubuntu" in vms  # beside the demo VMs
    cluster = si.content.searchIndex.FindByInventoryPath("DC0/host/DC0_C0")
    assert isinstance(cluster, vim.ClusterComputeResource)
    assert sorted(h.name for h in cluster.host) == ["DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"]
    vm = find_vm(si, "DC0_C0_H1_VM3")
    assert vm.runtime.host.name == "DC0_C0_H1"
    assert vm.resourcePool == cluster.resourcePool


def test_an_idle_vm_has_no_tree_but_answers_as_a_running_linux_vm(si: vim.ServiceInstance, server: GoscServer) -> None:
    vm = find_vm(si, "DC0_H0_VM1")
    assert vm.guest.toolsRunningStatus == "guestToolsRunning"
    assert vm.config.guestId == "ubuntu64Guest"
    (nic,) = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)]
    assert nic.macAddress.startswith("00:50:56:")
    assert not tree(server, vm).parent.exists()


def test_a_guest_operation_makes_the_tree_and_boots_the_guest(si: vim.ServiceInstance, server: GoscServer) -> None:
    vm = find_vm(si, "DC0_H1_VM2")
    assert not tree(server, vm).exists()
    files = si.content.guestOperationsManager.fileManager.ListFilesInGuest(vm, ROOT, "/etc", matchPattern="os-release")
    assert [f.path for f in files.files] == ["os-release"]
    assert (tree(server, vm) / "etc" / "os-release").exists()
    macs = [d.macAddress for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)]
    assert (tree(server, vm) / "sys/class/net/ens192/address").read_text().strip() == macs[0]


def test_a_power_cycle_makes_the_tree(si: vim.ServiceInstance, server: GoscServer) -> None:
    vm = find_vm(si, "DC0_C0_H0_VM4")
    WaitForTask(vm.PowerOffVM_Task())
    assert not tree(server, vm).exists()  # off, still nothing needed it
    assert vm.guest.toolsRunningStatus == "guestToolsNotRunning"
    WaitForTask(vm.PowerOnVM_Task())
    assert tree(server, vm).is_dir()
    until(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning", "tools after power on")


def test_customization_reaches_a_pending_guest(si: vim.ServiceInstance, server: GoscServer) -> None:
    vm = find_vm(si, "DC0_C0_H2_VM5")
    task = si.content.guestCustomizationManager.CustomizeGuest_Task(vm, ROOT, linux_spec("scale-five"))
    WaitForTask(task)
    assert status(vm) == "TOOLSDEPLOYPKG_SUCCEEDED"
    assert (tree(server, vm) / "etc" / "hostname").read_text().strip() == "scale-five"


def test_a_snapshot_and_a_clone_of_a_pending_vm_have_its_tree(si: vim.ServiceInstance, server: GoscServer) -> None:
    vm = find_vm(si, "DC0_H0_VM6")
    WaitForTask(vm.CreateSnapshot_Task(name="s1", memory=False, quiesce=False))
    assert tree(server, vm).is_dir()
    other = find_vm(si, "DC0_H1_VM6")
    task = other.CloneVM_Task(
        folder=other.parent, name="scale-clone", spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=False)
    )
    WaitForTask(task)
    clone = task.info.result
    assert (tree(server, clone) / "etc" / "os-release").exists()
    assert tree(server, other).is_dir()


def test_rename_and_reconfigure_of_a_pending_vm_are_kept(si: vim.ServiceInstance) -> None:
    vm = find_vm(si, "DC0_H0_VM3")
    WaitForTask(vm.Rename_Task("scale-renamed"))
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(annotation="a note")))
    assert vm.name == "scale-renamed" and vm.config.name == "scale-renamed"
    assert vm.config.annotation == "a note"


def test_restart_keeps_pending_vms_pending_and_woken_ones_running(tmp_path: Path) -> None:
    server = GoscServer(tmp_path / "data", extra_args=["--demo-vms", "6"]).start()
    try:
        conn = connect(server)
        woken, idle = find_vm(conn, "DC0_H0_VM0"), find_vm(conn, "DC0_H0_VM1")
        before = idle.config  # read, never changed: built again alike after the restart
        conn.content.guestOperationsManager.fileManager.ListFilesInGuest(woken, ROOT, "/etc")
        Disconnect(conn)
        server.stop()
        server.start()
        conn = connect(server)
        woken, idle = find_vm(conn, "DC0_H0_VM0"), find_vm(conn, "DC0_H0_VM1")
        assert len([n for n in names_and_power(conn) if n.startswith("DC0_H0_VM")]) == 6  # made once, not again
        assert idle.runtime.powerState == "poweredOn"
        assert not tree(server, idle).parent.exists()
        after = idle.config
        disk = [d for d in after.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
        disk0 = [d for d in before.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
        assert (after.uuid, after.instanceUuid, after.createDate, after.locationId) == (
            before.uuid,
            before.instanceUuid,
            before.createDate,
            before.locationId,
        )
        assert disk[0].backing.uuid == disk0[0].backing.uuid
        until(lambda: woken.guest.toolsRunningStatus == "guestToolsRunning", "the woken guest booted at start")
        assert tree(server, woken).is_dir()
        Disconnect(conn)
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--demo-vms", "5"], "give --demo too"),
        (["--demo", "--demo-vms", "5", "--demo-hosts", "0"], "--demo-hosts or --demo-clusters"),
        (["--demo", "--demo-vms", "-1"], "must be zero or more"),
    ],
)
def test_bad_demo_arguments_are_refused(tmp_path: Path, args: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gosc.cli", "serve", "--data-dir", str(tmp_path / "d"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert message in done.stderr


# ------------------------------------------------------------ the store's batched writes


def test_put_many_stores_all_in_order_or_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    store.put("vm", "vm-0", {"n": 0})
    store.put_many("vm", [(f"vm-{i}", {"n": i}) for i in range(1, 5)])
    assert [k for k, _ in store.load("vm")] == ["vm-0", "vm-1", "vm-2", "vm-3", "vm-4"]
    with pytest.raises(TypeError):
        store.put_many("vm", [("vm-5", {"n": 5}), ("vm-6", {"n": object()})])
    assert [k for k, _ in store.load("vm")][-1] == "vm-4"
    store.put_many("vm", [("vm-1", {"n": 10})])  # an update keeps its place
    assert dict(store.load("vm"))["vm-1"] == {"n": 10}
    store.close()
    again = SqliteStore(tmp_path / "s.db")
    assert len(list(again.load("vm"))) == 5
    again.close()


def test_next_ids_hands_out_a_block_never_handed_out_before(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    assert store.next_id("vm") == 1
    block = list(store.next_ids("vm", 3))
    assert block == list(range(block[0], block[0] + 3)) and block[0] > 1
    assert store.next_id("vm") == 2  # from the numbers next_id reserved, which next_ids skipped
    assert list(store.next_ids("mac", 2)) == [1, 2]
    handed = {1, 2, *block}
    store.close()
    store = SqliteStore(tmp_path / "s.db")  # a restart: what was reserved and not handed out is skipped
    assert store.next_id("vm") > max(handed)
    assert store.distinct("vm", ("backend",)) == set()
    store.put_many("vm", [("a", {"backend": "rootfs", "family": "ubuntu"}), ("b", {"family": "windows"})])
    assert store.distinct("vm", ("backend", "family")) == {("rootfs", "ubuntu"), (None, "windows")}
    with pytest.raises(ValueError):
        store.distinct("vm", ("a') OR 1=1 --",))
    store.close()


def test_whole_inventory_scans_see_the_idle_vms_as_their_config_says(si: vim.ServiceInstance) -> None:
    """The search index, datastores and hosts answer idle VMs from their seeds: the same
    answers as from their ConfigInfos."""
    vm = find_vm(si, "DC0_C0_H1_VM6")
    index = si.content.searchIndex
    # the seed's answer: FindByUuid before anything read this VM's config
    by_instance = index.FindByUuid(None, vm.summary.config.instanceUuid, True, True)
    assert by_instance == vm
    assert index.FindByUuid(None, vm.config.uuid, True, False) == vm
    ds = vm.datastore[0]
    assert vm in ds.vm
    assert len(ds.vm) == len(names_and_power(si))  # the datacenter's one datastore holds every VM
    host = si.content.searchIndex.FindByInventoryPath("DC0/host/DC0_H1/DC0_H1")
    on = [v for v in host.vm if v.runtime.powerState == "poweredOn"]
    assert host.summary.quickStats.overallMemoryUsage == sum(v.config.hardware.memoryMB for v in on)
    assert index.FindByIp(None, "192.0.2.77", True) is None


def test_callers_that_meet_a_guest_being_made_wait_for_the_same_one(server: GoscServer) -> None:
    """Four clients ask a pending guest at once: one tree is made, every call is answered."""
    from concurrent.futures import ThreadPoolExecutor

    conns = [connect(server) for _ in range(4)]
    try:
        vms = [find_vm(c, "DC0_C0_H0_VM2") for c in conns]

        def listing(i: int) -> list[str]:
            fm = conns[i].content.guestOperationsManager.fileManager
            return [f.path for f in fm.ListFilesInGuest(vms[i], ROOT, "/etc", matchPattern="hostname").files]

        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(listing, range(4))) == [["hostname"]] * 4
        assert (tree(server, vms[0]) / "etc" / "hostname").exists()
        assert vms[0].guest.toolsRunningStatus == "guestToolsRunning"
    finally:
        for c in conns:
            Disconnect(c)


def test_pages_are_read_as_they_are_asked_and_leave_out_what_went_meanwhile(si: vim.ServiceInstance) -> None:
    """RetrievePropertiesEx reads a page when it answers it (the next one while the client
    reads the last): a VM destroyed after an earlier page was answered is not in a later
    one, and every other VM is in exactly one page."""
    pc_ = vmodl.query.PropertyCollector
    dc_vm_folder = si.content.rootFolder.childEntity[0].vmFolder
    folder = dc_vm_folder.CreateFolder("paging")
    source = find_vm(si, "DC0_H0_VM7")
    clones = []
    for i in range(4):
        task = source.CloneVM_Task(
            folder=folder, name=f"paged-{i}", spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=False)
        )
        WaitForTask(task)
        clones.append(task.info.result)
    view = si.content.viewManager.CreateContainerView(folder, [vim.VirtualMachine], False)
    spec = pc_.FilterSpec(
        objectSet=[
            pc_.ObjectSpec(obj=view, skip=True, selectSet=[pc_.TraversalSpec(type=vim.view.ContainerView, path="view")])
        ],
        propSet=[pc_.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])],
    )
    pc = si.content.propertyCollector
    pages = [pc.RetrievePropertiesEx([spec], pc_.RetrieveOptions(maxObjects=1))]
    pages.append(pc.ContinueRetrievePropertiesEx(pages[-1].token))
    gone = clones[2]._moId  # the third page's VM, whose page is being read ahead now
    WaitForTask(clones[2].Destroy_Task())
    result = pc.ContinueRetrievePropertiesEx(pages[-1].token)
    while True:
        pages.append(result)
        if not result.token:
            break
        result = pc.ContinueRetrievePropertiesEx(result.token)
    listed = [o.obj._moId for page in pages for o in page.objects]
    assert all(len(page.objects) <= 1 for page in pages)
    assert listed == [c._moId for c in clones if c._moId != gone]
    first = pc.RetrievePropertiesEx([spec], pc_.RetrieveOptions(maxObjects=1))
    pc.CancelRetrievePropertiesEx(first.token)
    with pytest.raises(vmodl.fault.InvalidArgument):
        pc.ContinueRetrievePropertiesEx(first.token)
    view.DestroyView()
