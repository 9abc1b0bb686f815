"""Each VM as vCenter shows it: tools config, files, controllers and a disk, layout and
storage, and its environment browser; clones get files of their own."""

from __future__ import annotations

from typing import Any

import pytest
from pyVmomi import vim, vmodl

from gosc.testing import Gosc
from tests.inventory.support import find, task_result

D = vim.vm.device


@pytest.fixture(scope="module")
def si(gosc: Gosc) -> Any:
    return gosc.service_instance


def devices(vm: Any, kind: type) -> list[Any]:
    return [d for d in vm.config.hardware.device if isinstance(d, kind)]


def test_tools_and_files(si: Any) -> None:
    vm = find(si, "DC0/vm/demo-ubuntu")
    tools = vm.config.tools
    assert isinstance(tools, vim.vm.ToolsConfigInfo)
    assert tools.toolsVersion == int(vm.guest.toolsVersion) and tools.toolsInstallType == "guestToolsTypeOpenVMTools"
    assert tools.afterPowerOn is True and tools.toolsUpgradePolicy == "manual"
    assert find(si, "DC0/vm/demo-notools").config.tools.toolsVersion == 0
    files = vm.config.files
    assert files.vmPathName == "[datastore1] demo-ubuntu/demo-ubuntu.vmx"
    assert files.logDirectory == files.snapshotDirectory == files.suspendDirectory == "[datastore1] demo-ubuntu"
    assert vm.summary.config.vmPathName == files.vmPathName


def test_a_disk_on_a_scsi_controller_on_the_pci_bus_and_the_default_devices(si: Any) -> None:
    vm = find(si, "DC0/vm/demo-ubuntu")
    ds = find(si, "DC0/datastore/datastore1")
    [pci] = devices(vm, D.VirtualPCIController)
    [scsi] = devices(vm, D.ParaVirtualSCSIController)
    [disk] = devices(vm, D.VirtualDisk)
    assert scsi.controllerKey == pci.key and scsi.key in pci.device
    assert disk.controllerKey == scsi.key and disk.unitNumber == 0 and scsi.device == [disk.key]
    assert disk.backing.fileName == "[datastore1] demo-ubuntu/demo-ubuntu.vmdk"
    assert disk.backing.datastore == ds and disk.backing.thinProvisioned is True
    assert disk.backing.diskMode == "persistent"
    assert disk.capacityInBytes == disk.capacityInKB * 1024 > 0
    assert disk.deviceInfo.label == "Hard disk 1"
    # The NICs sit on the PCI bus too.
    assert all(n.controllerKey == pci.key and n.key in pci.device for n in devices(vm, D.VirtualEthernetCard))
    for kind in (D.VirtualKeyboard, D.VirtualPointingDevice, D.VirtualVideoCard, D.VirtualVMCIDevice):
        assert len(devices(vm, kind)) == 1, kind
    assert len(devices(vm, D.VirtualIDEController)) == 2 and len(devices(vm, D.VirtualCdrom)) == 1
    keys = [d.key for d in vm.config.hardware.device]
    assert len(keys) == len(set(keys))
    assert vm.summary.config.numVirtualDisks == 1 and vm.summary.config.numEthernetCards == 1


def test_layout_storage_and_the_summarys_storage(si: Any) -> None:
    vm = find(si, "DC0/vm/demo-ubuntu")  # powered on: its swap file is there too
    ds = find(si, "DC0/datastore/datastore1")
    layout = vm.layoutEx
    names = {f.name: f for f in layout.file}
    assert {
        "[datastore1] demo-ubuntu/demo-ubuntu.vmx",
        "[datastore1] demo-ubuntu/demo-ubuntu.nvram",
        "[datastore1] demo-ubuntu/demo-ubuntu.vmdk",
        "[datastore1] demo-ubuntu/demo-ubuntu-flat.vmdk",
        "[datastore1] demo-ubuntu/vmware.log",
        "[datastore1] demo-ubuntu/demo-ubuntu.vswp",
    } == set(names)
    assert names["[datastore1] demo-ubuntu/demo-ubuntu.vmdk"].type == "diskDescriptor"
    [disk] = devices(vm, D.VirtualDisk)
    [chain] = [d.chain for d in layout.disk if d.key == disk.key]
    keys = {f.key: f.name for f in layout.file}
    assert sorted(keys[k] for k in chain[0].fileKey) == [
        "[datastore1] demo-ubuntu/demo-ubuntu-flat.vmdk",
        "[datastore1] demo-ubuntu/demo-ubuntu.vmdk",
    ]
    assert vm.layout.disk[0].diskFile == [disk.backing.fileName]
    [usage] = vm.storage.perDatastoreUsage
    assert usage.datastore == ds
    assert usage.committed == sum(f.size for f in layout.file)
    summary = vm.summary.storage
    assert summary.committed == usage.committed and summary.unshared == usage.unshared
    assert summary.uncommitted == disk.capacityInBytes - usage.unshared
    # A powered-off VM has no swap file.
    off = find(si, "DC0/vm/demo-notools")
    assert off.runtime.powerState == "poweredOn" or not any(f.type == "swap" for f in off.layoutEx.file)


def test_the_properties_vcenter_always_sets(si: Any) -> None:
    vm = find(si, "DC0/vm/demo-ubuntu")
    pc = si.RetrieveContent().propertyCollector
    PC = vmodl.query.PropertyCollector
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=vm)], propSet=[PC.PropertySpec(type=vim.VirtualMachine, all=True)]
    )
    [oc] = pc.RetrieveContents([spec])
    got = {p.name for p in oc.propSet}
    # Every property vcsim 0.24 sets on its VM (but snapshot, which it leaves unset too).
    assert {
        "capability",
        "config",
        "datastore",
        "environmentBrowser",
        "guest",
        "guestHeartbeatStatus",
        "layout",
        "layoutEx",
        "name",
        "network",
        "overallStatus",
        "parent",
        "resourceConfig",
        "resourcePool",
        "runtime",
        "storage",
        "summary",
        "configStatus",
    } <= got
    assert vm.resourceConfig.entity == vm and vm.resourceConfig.cpuAllocation.limit == -1
    assert vm.capability.snapshotOperationsSupported is False and vm.capability.bootOptionsSupported is True
    assert vm.config.cpuAllocation.shares.level == "normal" and vm.config.bootOptions is not None


def test_the_environment_browser_answers_for_vmx_21(si: Any) -> None:
    vm = find(si, "DC0/vm/demo-ubuntu")
    assert vm.config.version == "vmx-21"
    browser = vm.environmentBrowser
    host = find(si, "DC0/host/esx-01.gosc.local/esx-01.gosc.local")
    assert browser == host.parent.environmentBrowser
    descriptors = browser.QueryConfigOptionDescriptor()
    [default] = [d for d in descriptors if d.defaultConfigOption]
    assert default.key == "vmx-21" and default.createSupported and list(default.host) == [host]
    option = browser.QueryConfigOption(key=vm.config.version)
    assert option.version == "vmx-21" and option.hardwareOptions.hwVersion == 21
    ids = {g.id: g for g in option.guestOSDescriptor}
    assert ids["ubuntu64Guest"].family == "linuxGuest" and ids["ubuntu64Guest"].fullName == "Ubuntu Linux (64-bit)"
    assert ids["windows2019srvNext_64Guest"].family == "windowsGuest"
    assert any(isinstance(d, D.VirtualKeyboard) for d in option.defaultDevice)
    assert browser.QueryConfigOption().version == "vmx-21"
    ex = browser.QueryConfigOptionEx(vim.EnvironmentBrowser.ConfigOptionQuerySpec(guestId=["rhel9_64Guest"]))
    assert [g.id for g in ex.guestOSDescriptor] == ["rhel9_64Guest"]
    with pytest.raises(vmodl.fault.InvalidArgument) as bad:
        browser.QueryConfigOption(key="vmx-99")
    assert bad.value.invalidProperty == "key"
    target = browser.QueryConfigTarget()
    assert [d.name for d in target.datastore] == ["datastore1"]
    assert target.datastore[0].datastore.capacity > 0 and target.datastore[0].mode == "readWrite"
    assert [n.name for n in target.network] == ["VM Network"]
    assert target.network[0].network.network == find(si, "DC0/network/VM Network")
    assert target.numCpuCores == host.summary.hardware.numCpuCores


def test_clones_get_their_own_disk_and_files(si: Any) -> None:
    src = find(si, "DC0/vm/demo-ubuntu")
    clone = task_result(
        src.InstantClone_Task(vim.vm.InstantCloneSpec(name="inv-clone", location=vim.vm.RelocateSpec()))
    )
    try:
        assert clone.config.files.vmPathName == "[datastore1] inv-clone/inv-clone.vmx"
        [disk] = devices(clone, D.VirtualDisk)
        [src_disk] = devices(src, D.VirtualDisk)
        assert disk.backing.fileName == "[datastore1] inv-clone/inv-clone.vmdk"
        assert disk.backing.uuid != src_disk.backing.uuid
        assert "[datastore1] inv-clone/inv-clone-flat.vmdk" in {f.name for f in clone.layoutEx.file}
        assert not any("demo-ubuntu" in f.name for f in clone.layoutEx.file)
        ds = find(si, "DC0/datastore/datastore1")
        assert list(clone.datastore) == [ds] and clone in ds.vm
        net = find(si, "DC0/network/VM Network")
        assert [n.backing.network for n in devices(clone, D.VirtualEthernetCard)] == [net]
        assert clone.environmentBrowser == src.environmentBrowser
    finally:
        task_result(clone.PowerOffVM_Task())
        task_result(clone.Destroy_Task())


def test_every_entity_answers_roles_permissions_and_empty_lists(si: Any) -> None:
    vm = find(si, "DC0/vm/demo-ubuntu")
    assert list(vm.effectiveRole) == [-1]  # the administrator: Admin, inherited from the root folder
    # The one defined on the VM itself (tests/conftest.py's users.toml: the cloner may not touch it).
    assert [(p.principal, p.roleId) for p in vm.permission] == [("cloner@vsphere.local", -5)]
    root = si.RetrieveContent().rootFolder
    assert ("administrator@vsphere.local", -1) in [(p.principal, p.roleId) for p in root.permission]
    assert list(vm.configIssue) == [] and list(vm.disabledMethod) == [] and list(vm.tag) == []
