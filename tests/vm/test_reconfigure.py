"""ReconfigVM_Task (extraConfig and guestinfo, annotation, CPUs, memory, NIC connection),
Rename_Task on entities, and their persistence."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from gosc.testing import Gosc, GoscServer
from tests.vm.helpers import clone_off, connect, disconnect, events_of, find, linux_spec, task_error, unique


@pytest.fixture(scope="module")
def si(gosc: Gosc) -> Any:
    return gosc.service_instance


def rpctool(vm: Any, command: str) -> subprocess.CompletedProcess[str]:
    """``vmware-rpctool`` as a program in the guest runs it (gosc rpctool, through the agent)."""
    return subprocess.run(
        [sys.executable, "-m", "gosc.cli", "rpctool", "--vm-uuid", vm.config.instanceUuid, command],
        capture_output=True,
        text=True,
        timeout=60,
    )


def option(vm: Any, key: str) -> Any:
    return next((o.value for o in vm.config.extraConfig if o.key == key), None)


def nic(vm: Any) -> Any:
    return next(d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard))


def nic_edit(device: Any, connected: bool) -> Any:
    return vim.vm.device.VirtualDeviceSpec(
        operation="edit",
        device=type(device)(
            key=device.key,
            connectable=vim.vm.device.VirtualDevice.ConnectInfo(connected=connected, startConnected=connected),
        ),
    )


def test_extra_config_reaches_the_guest(si: Any) -> None:
    vm = clone_off(si)
    WaitForTask(vm.PowerOnVM_Task())
    spec = vim.vm.ConfigSpec(
        extraConfig=[
            vim.option.OptionValue(key="guestinfo.app.role", value="web"),
            vim.option.OptionValue(key="app.tier", value="2"),
        ],
        annotation="web tier",
    )
    task = vm.ReconfigVM_Task(spec=spec)
    WaitForTask(task)
    assert task.info.descriptionId == "VirtualMachine.reconfigure"
    assert option(vm, "guestinfo.app.role") == "web" and option(vm, "app.tier") == "2"
    assert vm.config.annotation == "web tier"
    r = rpctool(vm, "info-get guestinfo.app.role")
    assert r.returncode == 0 and r.stdout.strip() == "web", r.stderr
    # The guest sets a key; the API reads it.
    assert rpctool(vm, "info-set guestinfo.app.state ready").returncode == 0
    assert option(vm, "guestinfo.app.state") == "ready"
    # An empty value removes the key.
    WaitForTask(
        vm.ReconfigVM_Task(
            spec=vim.vm.ConfigSpec(extraConfig=[vim.option.OptionValue(key="guestinfo.app.role", value="")])
        )
    )
    assert option(vm, "guestinfo.app.role") is None
    assert rpctool(vm, "info-get guestinfo.app.role").returncode == 1
    assert events_of(si, vm, "VmReconfiguredEvent")


def test_cpu_and_memory(si: Any) -> None:
    vm = clone_off(si)
    WaitForTask(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(numCPUs=4, memoryMB=4096)))
    assert vm.config.hardware.numCPU == 4 and vm.config.hardware.memoryMB == 4096
    WaitForTask(vm.PowerOnVM_Task())
    fault = task_error(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(numCPUs=2)))  # no hot add: the task says so
    assert isinstance(fault, vim.fault.InvalidPowerState) and fault.requestedState == "poweredOff"
    assert vm.config.hardware.numCPU == 4


def test_nic_disconnect_and_connect(si: Any) -> None:
    vm = clone_off(si)
    WaitForTask(vm.PowerOnVM_Task())
    dev = nic(vm)
    WaitForTask(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[nic_edit(dev, False)])))
    assert nic(vm).connectable.connected is False and nic(vm).connectable.startConnected is False
    assert vm.guest.net[0].connected is False
    WaitForTask(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[nic_edit(dev, True)])))
    assert nic(vm).connectable.connected is True and vm.guest.net[0].connected is True


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        (vim.vm.ConfigSpec(numCPUs=0), "spec.numCPUs"),
        (vim.vm.ConfigSpec(numCPUs=3, numCoresPerSocket=2), "spec.numCPUs"),
        (vim.vm.ConfigSpec(memoryMB=1001), "spec.memoryMB"),
        (vim.vm.ConfigSpec(extraConfig=[vim.option.OptionValue(key="", value="x")]), "spec.extraConfig[0].key"),
        (vim.vm.ConfigSpec(extraConfig=[vim.option.OptionValue(key="a b", value="x")]), "spec.extraConfig[0].key"),
    ],
)
def test_bad_specs_fail_the_call(si: Any, spec: Any, path: str) -> None:
    vm = clone_off(si)
    with pytest.raises(vmodl.fault.InvalidArgument) as e:
        vm.ReconfigVM_Task(spec=spec)
    assert e.value.invalidProperty == path
    assert vm.config.hardware.numCPU == 2 and vm.config.hardware.memoryMB == 2048  # nothing half-applied


def test_bad_device_changes_fail_the_call(si: Any) -> None:
    vm = clone_off(si)
    dev = nic(vm)
    add = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.VirtualVmxnet3(key=-1))
    with pytest.raises(vim.fault.InvalidDeviceSpec) as e:
        vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[nic_edit(dev, False), add]))
    assert e.value.property == "spec.deviceChange[1].operation" and e.value.deviceIndex == 1
    assert nic(vm).connectable.connected is True  # the first change was not applied either
    missing = nic_edit(dev, False)
    missing.device.key = 9999
    with pytest.raises(vim.fault.InvalidDeviceSpec) as e:
        vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[missing]))
    assert e.value.property == "spec.deviceChange[0].device.key"
    with pytest.raises(vmodl.fault.NotSupported):
        vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(guestId="otherGuest"))


def test_rename(si: Any) -> None:
    vm = clone_off(si)
    new = unique("renamed")
    task = vm.Rename_Task(newName=new)
    WaitForTask(task)
    assert vm.name == new and vm.config.name == new and task.info.descriptionId == "VirtualMachine.rename"
    assert find(si, f"DC0/vm/{new}") == vm
    renamed = events_of(si, vm, "VmRenamedEvent")
    assert renamed and renamed[0].newName == new
    with pytest.raises(vim.fault.DuplicateName) as e:
        vm.Rename_Task(newName="demo-ubuntu")
    assert e.value.name == "demo-ubuntu" and e.value.object == vm.parent
    with pytest.raises(vim.fault.InvalidName):
        vm.Rename_Task(newName="")
    with pytest.raises(vim.fault.InvalidName):
        vm.Rename_Task(newName="n" * 81)  # longer than vCenter allows
    # ReconfigVM_Task renames too.
    WaitForTask(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(name=new + "-b")))
    assert vm.name == new + "-b"
    dc = find(si, "DC0")
    WaitForTask(dc.Rename_Task(newName="DC0"))  # its own name again: nothing to say
    with pytest.raises(vmodl.fault.NotSupported):
        dc.vmFolder.Rename_Task(newName="vms")  # a datacenter's own folders keep their names


def test_each_method_checks_its_privilege(gosc: Gosc, si: Any) -> None:
    from pyVim.connect import Disconnect, SmartConnect

    from tests.conftest import LIMITED_PASSWORD, LIMITED_USER

    vm = clone_off(si)
    viewer = SmartConnect(
        host=gosc.host, port=gosc.server.port, user=LIMITED_USER, pwd=LIMITED_PASSWORD, disableSslCertValidation=True
    )
    try:
        mine = vim.VirtualMachine(vm._moId, viewer._stub)
        calls = {
            "VirtualMachine.Config.AdvancedConfig": lambda: mine.ReconfigVM_Task(
                spec=vim.vm.ConfigSpec(extraConfig=[vim.option.OptionValue(key="guestinfo.x", value="y")])
            ),
            "VirtualMachine.Config.Rename": lambda: mine.Rename_Task(newName=unique("nope")),
            "VirtualMachine.Provisioning.Clone": lambda: mine.CloneVM_Task(
                folder=mine.parent, name=unique("nope"), spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec())
            ),
            "VirtualMachine.Provisioning.Customize": lambda: mine.CheckCustomizationSpec(spec=linux_spec("nope")),
            "VirtualMachine.Provisioning.MarkAsTemplate": mine.MarkAsTemplate,
            "VirtualMachine.Interact.Reset": mine.ResetVM_Task,
            "VirtualMachine.Interact.Suspend": mine.SuspendVM_Task,
        }
        for privilege, call in calls.items():
            with pytest.raises(vim.fault.NoPermission) as e:
                call()
            assert e.value.privilegeId == privilege
    finally:
        Disconnect(viewer)
    assert vm.config.template is False and option(vm, "guestinfo.x") is None


def test_changes_persist_through_a_restart(gosc: Gosc, si: Any) -> None:
    vm = clone_off(si)
    new = unique("kept")
    spec = vim.vm.ConfigSpec(
        name=new,
        annotation="kept",
        numCPUs=4,
        memoryMB=1024,
        extraConfig=[vim.option.OptionValue(key="guestinfo.k", value="v")],
    )
    WaitForTask(vm.ReconfigVM_Task(spec=spec))
    WaitForTask(vm.ReconfigVM_Task(spec=vim.vm.ConfigSpec(deviceChange=[nic_edit(nic(vm), False)])))
    moid = vm._moId
    gosc.server.stop()
    gosc.server.start()
    si2 = connect(gosc)
    assert find(si2, "DC0/vm/" + new)._moId == moid
    vm = vim.VirtualMachine(moid, si2._stub)
    assert vm.name == new and vm.config.annotation == "kept" and option(vm, "guestinfo.k") == "v"
    assert vm.config.hardware.numCPU == 4 and vm.config.hardware.memoryMB == 1024
    assert nic(vm).connectable.connected is False
    disconnect(si2)


def test_a_renamed_datacenter_keeps_its_name_after_a_restart(tmp_path: Path) -> None:
    # A server of its own, without the tests' users.toml: that file names /DC0/... paths.
    server = GoscServer(tmp_path / "data").start()
    try:
        own = Gosc(server)
        si = connect(own)
        WaitForTask(find(si, "DC0").Rename_Task(newName="Lab"))
        vm = find(si, "Lab/vm/demo-ubuntu")
        disconnect(si)
        server.stop()
        server.start()
        si = connect(own)
        assert find(si, "Lab/vm/demo-ubuntu") == vm
        assert si.RetrieveContent().searchIndex.FindByInventoryPath("DC0") is None
        disconnect(si)
    finally:
        server.stop()
