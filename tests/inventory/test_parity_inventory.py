"""vcsim parity of the inventory (issue 13, items 2-4) over pyVmomi, reading every effect back:
folders, datacenters, clusters, new and (un)registered VMs, moves, renames and destroys; the
host's network and storage systems; the service message, clone tickets and alarms."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from gosc.testing import Gosc
from tests.inventory.support import find, task_error, task_result
from tests.support.vijson import ViClient
from tests.support.wait import wait_for

HOST = "DC0/host/esx-01.gosc.local/esx-01.gosc.local"
_n = itertools.count(1)


@pytest.fixture(scope="module")
def si(gosc: Gosc) -> Any:
    return gosc.service_instance


def _name(prefix: str) -> str:
    return f"{prefix}-{next(_n)}"


def create_vm(si: Any, name: str, guest: str = "ubuntu64Guest", folder: Any = None, **spec: Any) -> Any:
    host = find(si, HOST)
    config = vim.vm.ConfigSpec(name=name, guestId=guest, files=vim.vm.FileInfo(vmPathName="[datastore1]"), **spec)
    folder = folder or find(si, "DC0/vm")
    return task_result(folder.CreateVm(config, pool=host.parent.resourcePool, host=host))


def guest_root(gosc: Gosc, vm: Any) -> Path:
    return gosc.server.data_dir / "guests" / vm.config.instanceUuid / "root"


# ------------------------------------------------------------------ folders, datacenters, clusters


def test_create_folder_datacenter_and_cluster(si: Any) -> None:
    root = si.RetrieveContent().rootFolder
    dc_name = _name("dc")
    dc = root.CreateDatacenter(dc_name)
    assert dc in root.childEntity and dc.name == dc_name
    assert {f.name for f in (dc.vmFolder, dc.hostFolder, dc.datastoreFolder, dc.networkFolder)} == {
        "vm",
        "host",
        "datastore",
        "network",
    }
    sub = dc.vmFolder.CreateFolder("apps")
    assert sub.parent == dc.vmFolder and set(sub.childType) == set(dc.vmFolder.childType)
    with pytest.raises(vim.fault.DuplicateName):
        dc.vmFolder.CreateFolder("apps")
    with pytest.raises(vmodl.fault.NotSupported):
        dc.vmFolder.CreateDatacenter("nested")  # a VM folder holds no datacenters
    cluster = dc.hostFolder.CreateClusterEx(
        "c1", vim.cluster.ConfigSpecEx(drsConfig=vim.cluster.DrsConfigInfo(enabled=True))
    )
    assert isinstance(cluster, vim.ClusterComputeResource) and cluster.parent == dc.hostFolder
    assert cluster.configurationEx.drsConfig.enabled is True
    assert cluster.resourcePool.name == "Resources" and cluster.host == []
    assert find(si, f"{dc_name}/host/c1") == cluster
    with pytest.raises(vmodl.fault.NotSupported):
        dc.vmFolder.CreateClusterEx("c2", vim.cluster.ConfigSpecEx())
    # An empty datacenter goes with its folders and cluster; the datacenter folder stays.
    task_result(dc.Destroy())
    assert dc not in root.childEntity
    assert si.RetrieveContent().searchIndex.FindByInventoryPath(f"{dc_name}/host/c1") is None


def test_a_datacenters_own_folders_and_the_root_cannot_be_destroyed(si: Any) -> None:
    with pytest.raises(vmodl.fault.NotSupported):
        find(si, "DC0/vm").Destroy()
    with pytest.raises(vmodl.fault.NotSupported):
        si.RetrieveContent().rootFolder.Destroy()


# ------------------------------------------------------------------ CreateVM_Task


def test_a_created_vm_is_off_with_the_specs_hardware_and_its_familys_tree(si: Any, gosc: Gosc) -> None:
    name = _name("new")
    vm = create_vm(si, name, memoryMB=1024, numCPUs=4, annotation="made here", version="vmx-19")
    assert vm.name == name and vm.runtime.powerState == "poweredOff"
    c = vm.config
    assert (c.hardware.memoryMB, c.hardware.numCPU, c.annotation, c.version) == (1024, 4, "made here", "vmx-19")
    assert c.guestId == "ubuntu64Guest" and c.files.vmPathName == f"[datastore1] {name}/{name}.vmx"
    assert any(isinstance(d, vim.vm.device.VirtualDisk) for d in c.hardware.device)
    assert "ubuntu" in (guest_root(gosc, vm) / "etc/os-release").read_text().lower()
    events = si.RetrieveContent().eventManager.QueryEvents(
        vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(entity=vm, recursion="self"))
    )
    assert any(isinstance(e, vim.event.VmCreatedEvent) for e in events)


def test_a_created_vm_boots_and_can_be_customized(si: Any, gosc: Gosc) -> None:
    vm = create_vm(si, _name("boot"), guest="debian12_64Guest")
    ident = vim.vm.customization.LinuxPrep(
        hostName=vim.vm.customization.FixedName(name="made-host"), domain="example.com"
    )
    spec = vim.vm.customization.Specification(
        identity=ident,
        globalIPSettings=vim.vm.customization.GlobalIPSettings(),
        nicSettingMap=[],
    )
    task_result(vm.CustomizeVM_Task(spec))  # staged: the next boot applies it
    task_result(vm.PowerOn())
    wait_for(lambda: vm.guest.toolsRunningStatus == "guestToolsRunning", "tools running")
    wait_for(
        lambda: (
            vm.guest.customizationInfo and vm.guest.customizationInfo.customizationStatus == "TOOLSDEPLOYPKG_SUCCEEDED"
        ),
        "customization done",
    )
    assert (guest_root(gosc, vm) / "etc/hostname").read_text().strip() == "made-host"
    task_result(vm.PowerOff())


def test_create_vm_refuses_bad_specs(si: Any) -> None:
    host = find(si, HOST)
    folder, pool = find(si, "DC0/vm"), host.parent.resourcePool

    def create(**kw: Any) -> Any:
        base = {"name": _name("bad"), "guestId": "otherGuest", "files": vim.vm.FileInfo(vmPathName="[datastore1]")}
        return folder.CreateVm(vim.vm.ConfigSpec(**{**base, **kw}), pool=pool)

    with pytest.raises(vmodl.fault.InvalidArgument) as e:
        create(guestId="notAnOs")
    assert e.value.invalidProperty == "config.guestId"
    with pytest.raises(vmodl.fault.InvalidArgument):
        create(files=vim.vm.FileInfo(vmPathName="no-datastore"))
    with pytest.raises(vim.fault.InvalidDatastorePath):
        create(files=vim.vm.FileInfo(vmPathName="[nosuch]"))
    with pytest.raises(vim.fault.DuplicateName):
        create(name="demo-ubuntu")
    with pytest.raises(vmodl.fault.NotSupported):
        find(si, "DC0/host").CreateVm(
            vim.vm.ConfigSpec(name="x", files=vim.vm.FileInfo(vmPathName="[datastore1]")), pool=pool
        )


def test_an_unknown_family_gets_an_empty_disk_and_no_tools(si: Any, gosc: Gosc) -> None:
    vm = create_vm(si, _name("other"), guest="otherGuest")
    assert vm.guest.toolsStatus == "toolsNotInstalled"
    assert not (guest_root(gosc, vm) / "etc").exists()


# ------------------------------------------------------------------ move, rename, destroy


def test_move_rename_and_destroy_a_folder_with_vms(si: Any, gosc: Gosc) -> None:
    vms = find(si, "DC0/vm")
    box = vms.CreateFolder(_name("box"))
    vm = create_vm(si, _name("mv"))
    task_result(box.MoveInto([vm]))
    assert vm.parent == box and vm in box.childEntity and vm not in vms.childEntity
    with pytest.raises(vim.fault.InvalidFolder):
        box.MoveInto([box])
    with pytest.raises(vmodl.fault.NotSupported):
        find(si, "DC0/host").MoveInto([vm])  # a host folder holds no VMs
    task_result(box.Rename("box-renamed"))
    assert box.name == "box-renamed"
    root = guest_root(gosc, vm)
    task_result(vm.PowerOn())
    err = task_error(box.Destroy())  # a powered-on VM inside: nothing goes
    assert isinstance(err, vim.fault.InvalidPowerState)
    assert vm.parent == box and root.exists()
    task_result(vm.PowerOff())
    task_result(box.Destroy())
    assert box not in vms.childEntity and not root.exists()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        _ = vm.name


def test_a_datastore_in_use_cannot_be_destroyed(si: Any) -> None:
    err = task_error(find(si, "DC0/datastore/datastore1").Destroy())
    assert isinstance(err, vim.fault.ResourceInUse)


# ------------------------------------------------------------------ unregister, register, upgrade


def test_unregister_then_register_keeps_the_guest(si: Any, gosc: Gosc) -> None:
    name = _name("reg")
    vm = create_vm(si, name)
    path, uuid, root = vm.config.files.vmPathName, vm.config.instanceUuid, guest_root(gosc, vm)
    (root / "etc/marker").write_text("kept\n")
    vm.UnregisterVM()
    assert si.RetrieveContent().searchIndex.FindByInventoryPath(f"DC0/vm/{name}") is None
    assert root.exists()
    host = find(si, HOST)
    folder = find(si, "DC0/vm")
    with pytest.raises(vmodl.fault.InvalidArgument):
        folder.RegisterVm(path=path, asTemplate=False)  # a VM needs a pool
    back = task_result(
        folder.RegisterVm(path=path, name=name + "-back", asTemplate=False, pool=host.parent.resourcePool)
    )
    assert back.name == name + "-back" and back.config.instanceUuid == uuid and back.runtime.powerState == "poweredOff"
    assert (guest_root(gosc, back) / "etc/marker").read_text() == "kept\n"
    with pytest.raises(vim.fault.AlreadyExists):
        folder.RegisterVm(path=path, asTemplate=False, pool=host.parent.resourcePool)
    with pytest.raises(vim.fault.NotFound):
        folder.RegisterVm(path="[datastore1] nothing/nothing.vmx", asTemplate=False, pool=host.parent.resourcePool)


def test_upgrade_vm(si: Any) -> None:
    vm = create_vm(si, _name("old"), version="vmx-15")
    task_result(vm.UpgradeVM_Task("vmx-19"))
    assert vm.config.version == "vmx-19"
    task_result(vm.UpgradeVM_Task())  # to the newest the host supports
    assert vm.config.version == "vmx-21"
    assert isinstance(task_error(vm.UpgradeVM_Task()), vim.fault.AlreadyUpgraded)
    with pytest.raises(vmodl.fault.InvalidArgument):
        vm.UpgradeVM_Task("vmx-99")


# ------------------------------------------------------------------ the host's configuration


def test_host_network_agrees_with_the_network_objects(si: Any) -> None:
    host = find(si, HOST)
    net = host.config.network
    assert [v.name for v in net.vswitch] == ["vSwitch0"] and net.vswitch[0].pnic == ["key-vim.host.PhysicalNic-vmnic0"]
    names = {pg.spec.name for pg in net.portgroup}
    assert {n.name for n in host.network} | {"Management Network"} == names
    assert all(pg.spec.vswitchName == "vSwitch0" and pg.key in net.vswitch[0].portgroup for pg in net.portgroup)
    vm_net = next(pg for pg in net.portgroup if pg.spec.name == "VM Network")
    on = [v for v in host.vm if v.runtime.powerState == "poweredOn"]
    assert len(vm_net.port) == sum(
        1 for v in on for d in v.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)
    )
    assert net.vnic[0].device == "vmk0" and net.vnic[0].spec.ip.ipAddress == "127.0.0.1"
    ns = host.configManager.networkSystem
    assert ns.networkInfo.vswitch[0].name == "vSwitch0"
    assert [p.spec.name for p in ns.networkInfo.portgroup] == [p.spec.name for p in net.portgroup]
    assert ns.QueryNetworkHint()[0].device == "vmnic0"
    with pytest.raises(vim.fault.NotFound):
        ns.QueryNetworkHint(["vmnic9"])


def test_host_storage_and_datastore_systems(si: Any) -> None:
    host = find(si, HOST)
    ss = host.configManager.storageSystem
    info = ss.storageDeviceInfo
    assert [h.device for h in info.hostBusAdapter] == ["vmhba0"]
    disk = info.scsiLun[0]
    assert isinstance(disk, vim.host.ScsiDisk) and disk.capacity.block * disk.capacity.blockSize > 0
    assert host.config.storageDevice.scsiLun[0].canonicalName == disk.canonicalName
    assert [m.volume.name for m in ss.fileSystemVolumeInfo.mountInfo] == [d.name for d in host.datastore]
    parts = ss.RetrieveDiskPartitionInfo([disk.devicePath])
    assert parts[0].deviceName == disk.devicePath
    ds = host.configManager.datastoreSystem
    assert ds.datastore == host.datastore
    assert host.hardware.systemInfo.uuid == host.summary.hardware.uuid
    index = si.RetrieveContent().searchIndex
    assert index.FindByUuid(uuid=host.hardware.systemInfo.uuid, vmSearch=False) == host
    assert index.FindByIp(ip="127.0.0.1", vmSearch=False) == host


# ------------------------------------------------------------------ managers


def test_service_message_clone_ticket_and_alarms(si: Any, gosc: Gosc) -> None:
    sm = si.RetrieveContent().sessionManager
    sm.UpdateServiceMessage("maintenance at noon")
    assert sm.message == "maintenance at noon"
    # A clone ticket logs a second client in as the same user, once (VI/JSON here).
    ticket = sm.AcquireCloneTicket()
    other = ViClient(gosc.url)
    r = other.raw("POST", "SessionManager/SessionManager/CloneSession", json={"cloneTicket": ticket})
    assert r.status_code == 200, r.text
    assert r.json()["userName"] == si.RetrieveContent().sessionManager.currentSession.userName
    other.session = r.headers["vmware-api-session-id"]
    assert other.get("SessionManager", "SessionManager", "message") == "maintenance at noon"
    again = ViClient(gosc.url).raw("POST", "SessionManager/SessionManager/CloneSession", json={"cloneTicket": ticket})
    assert again.status_code == 500 and again.json()["_typeName"] == "InvalidLogin"
    other.http.close()
    am = si.RetrieveContent().alarmManager
    host = find(si, HOST)
    assert am.GetAlarm(host) == [] and am.GetAlarmState(host) == []
    assert host.triggeredAlarmState == [] and host.declaredAlarmState == []
