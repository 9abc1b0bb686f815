"""CloneVM_Task (location, powerOn, template, customization at first power-on), templates
(MarkAsTemplate, MarkAsVirtualMachine, power-on refused) and their persistence."""

from __future__ import annotations

from typing import Any

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from gosc.testing import Gosc
from tests.vm.helpers import (
    clone_off,
    connect,
    disconnect,
    events_of,
    find,
    guest_root,
    linux_spec,
    status,
    task_error,
    unique,
    until,
)


@pytest.fixture(scope="module")
def si(gosc: Gosc) -> Any:
    return gosc.service_instance


def clone_spec(**kw: Any) -> Any:
    kw.setdefault("location", vim.vm.RelocateSpec())
    kw.setdefault("powerOn", False)
    kw.setdefault("template", False)
    return vim.vm.CloneSpec(**kw)


def test_clone_is_a_new_vm_with_its_own_guest(gosc: Gosc, si: Any) -> None:
    src = find(si, "DC0/vm/demo-ubuntu")
    name = unique("full")
    task = src.CloneVM_Task(
        folder=src.parent,
        name=name,
        spec=clone_spec(location=vim.vm.RelocateSpec(pool=src.resourcePool, host=src.runtime.host)),
    )
    WaitForTask(task)
    clone = task.info.result
    assert task.info.descriptionId == "VirtualMachine.clone"
    assert clone.name == name and clone.parent == src.parent and clone.resourcePool == src.resourcePool
    assert clone.runtime.host == src.runtime.host and clone.runtime.powerState == "poweredOff"
    assert clone.config.instanceUuid != src.config.instanceUuid
    macs = {d.macAddress for d in clone.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)}
    src_macs = {d.macAddress for d in src.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)}
    assert macs and not macs & src_macs
    assert clone.config.hardware.numCPU == src.config.hardware.numCPU
    assert (guest_root(gosc, clone) / "etc/hostname").read_text() == (
        guest_root(gosc, src) / "etc/hostname"
    ).read_text()
    assert events_of(si, clone, "VmClonedEvent")[0].sourceVm.vm == src
    assert events_of(si, src, "VmBeingClonedEvent")


def test_clone_with_customization_and_power_on(gosc: Gosc, si: Any) -> None:
    src = find(si, "DC0/vm/demo-ubuntu")
    source_name = (guest_root(gosc, src) / "etc/hostname").read_text()
    task = src.CloneVM_Task(
        folder=src.parent,
        name=unique("custom"),
        spec=clone_spec(powerOn=True, customization=linux_spec("cloned01", "192.168.10.51")),
    )
    WaitForTask(task)
    clone = task.info.result
    assert clone.runtime.powerState == "poweredOn"
    until(
        lambda: status(clone) in ("TOOLSDEPLOYPKG_SUCCEEDED", "TOOLSDEPLOYPKG_FAILED"), "the clone's customization ends"
    )
    assert status(clone) == "TOOLSDEPLOYPKG_SUCCEEDED", clone.guest.customizationInfo.errorMsg
    assert (guest_root(gosc, clone) / "etc/hostname").read_text().strip() == "cloned01"
    assert (guest_root(gosc, src) / "etc/hostname").read_text() == source_name  # the source is untouched
    until(lambda: clone.guest.hostName == "cloned01", "the clone reports its host name")
    assert events_of(si, clone, "CustomizationSucceeded")


def test_clone_faults(si: Any) -> None:
    src = find(si, "DC0/vm/demo-ubuntu")
    with pytest.raises(vim.fault.DuplicateName):
        src.CloneVM_Task(folder=src.parent, name="demo-notools", spec=clone_spec())
    with pytest.raises(vmodl.fault.InvalidArgument) as e:
        src.CloneVM_Task(
            folder=src.parent,
            name=unique("x"),
            spec=clone_spec(location=vim.vm.RelocateSpec(pool=vim.ResourcePool(src.parent._moId, si._stub))),
        )
    assert e.value.invalidProperty == "spec.location.pool"
    with pytest.raises(vmodl.fault.InvalidArgument) as e:
        src.CloneVM_Task(folder=src.parent, name=unique("x"), spec=clone_spec(template=True, powerOn=True))
    assert e.value.invalidProperty == "spec.powerOn"
    with pytest.raises(vmodl.fault.InvalidArgument) as e:
        src.CloneVM_Task(folder=src.parent, name="", spec=clone_spec())
    assert e.value.invalidProperty == "name"
    two_nics = linux_spec("x")
    two_nics.nicSettingMap = two_nics.nicSettingMap * 2
    before = len(src.parent.childEntity)
    fault = task_error(src.CloneVM_Task(folder=src.parent, name=unique("x"), spec=clone_spec(customization=two_nics)))
    assert isinstance(fault, vim.fault.NicSettingMismatch)
    assert len(src.parent.childEntity) == before  # no clone left behind


def test_templates(gosc: Gosc, si: Any) -> None:
    src = find(si, "DC0/vm/demo-ubuntu")
    pool, host = src.resourcePool, src.runtime.host
    running = clone_off(si)
    WaitForTask(running.PowerOnVM_Task())
    with pytest.raises(vim.fault.InvalidPowerState):
        running.MarkAsTemplate()

    vm = clone_off(si)
    vm.MarkAsTemplate()
    assert vm.config.template is True and vm.resourcePool is None
    with pytest.raises(vmodl.fault.NotSupported):
        vm.MarkAsTemplate()
    with pytest.raises(vim.fault.InvalidState):
        vm.PowerOnVM_Task()
    fault = task_error(vm.CustomizeVM_Task(spec=linux_spec("t1")))
    assert isinstance(fault, vim.fault.InvalidState)
    # A clone of a template is a VM (in the pool it is told), or a template again.
    with pytest.raises(vmodl.fault.InvalidArgument):
        vm.CloneVM_Task(folder=vm.parent, name=unique("from-t"), spec=clone_spec())  # no pool
    task = vm.CloneVM_Task(
        folder=vm.parent, name=unique("from-t"), spec=clone_spec(location=vim.vm.RelocateSpec(pool=pool), powerOn=True)
    )
    WaitForTask(task)
    assert task.info.result.config.template is False and task.info.result.runtime.powerState == "poweredOn"
    task = vm.CloneVM_Task(
        folder=vm.parent, name=unique("t-of-t"), spec=clone_spec(location=vim.vm.RelocateSpec(pool=pool), template=True)
    )
    WaitForTask(task)
    assert task.info.result.config.template is True

    with pytest.raises(vmodl.fault.InvalidArgument) as e:
        vm.MarkAsVirtualMachine(pool=vim.ResourcePool(host._moId, si._stub))
    assert e.value.invalidProperty == "pool"
    vm.MarkAsVirtualMachine(pool=pool, host=host)
    assert vm.config.template is False and vm.resourcePool == pool
    with pytest.raises(vmodl.fault.NotSupported):
        vm.MarkAsVirtualMachine(pool=pool)
    WaitForTask(vm.PowerOnVM_Task())

    # Templates persist through a restart.
    template = clone_off(si)
    template.MarkAsTemplate()
    moid = template._moId
    gosc.server.stop()
    gosc.server.start()
    si2 = connect(gosc)
    template = vim.VirtualMachine(moid, si2._stub)
    assert template.config.template is True and template.resourcePool is None
    with pytest.raises(vim.fault.InvalidState):
        template.PowerOnVM_Task()
    disconnect(si2)
