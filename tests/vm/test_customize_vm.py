"""CustomizeVM_Task (staged, applied by the tools at the next power-on), CheckCustomizationSpec,
and a staged customization across a server restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from gosc.testing import Gosc
from tests.vm.helpers import (
    C,
    clone_off,
    connect,
    disconnect,
    events_of,
    find,
    guest_root,
    linux_spec,
    status,
    task_error,
    until,
)

# Held in its precustomization phase until the test creates /gate in the guest's tree: the
# guest waits, so the test sees RUNNING without sleeping on its side.
GATED = '#!/bin/sh\nif [ "$1" = precustomization ]; then while [ ! -e /gate ]; do sleep 0.05; done; fi\n'
ROOT_PASSWORD = "Staged-Root-1!"


@pytest.fixture(scope="module")
def si(gosc: Gosc) -> Any:
    return gosc.service_instance


def files_with(root: Path, text: str) -> list[str]:
    return [
        str(p.relative_to(root))
        for p in (root / "etc").rglob("*")
        if p.is_file() and not p.is_symlink() and text in p.read_text(errors="replace")
    ]


def test_staged_customization_is_applied_at_power_on(gosc: Gosc, si: Any) -> None:
    vm = clone_off(si)
    root = guest_root(gosc, vm)
    (root / "etc/vmware-tools").mkdir(parents=True, exist_ok=True)
    (root / "etc/vmware-tools/tools.conf").write_text("[deployPkg]\nenable-custom-scripts = true\n")
    before = (root / "etc/hostname").read_text()
    task = vm.CustomizeVM_Task(spec=linux_spec("staged01", "192.168.10.41", script=GATED))
    WaitForTask(task)
    assert task.info.descriptionId == "VirtualMachine.customize"
    assert status(vm) == "TOOLSDEPLOYPKG_PENDING" and vm.config.tools.pendingCustomization
    assert (root / "etc/hostname").read_text() == before  # nothing in the guest until it boots

    WaitForTask(vm.PowerOnVM_Task())
    until(lambda: status(vm) == "TOOLSDEPLOYPKG_RUNNING", "the guest runs the staged customization")
    assert (root / "etc/hostname").read_text() == before  # held in its precustomization script
    (root / "gate").write_text("")
    until(lambda: status(vm) in ("TOOLSDEPLOYPKG_SUCCEEDED", "TOOLSDEPLOYPKG_FAILED"), "the customization ends")
    assert status(vm) == "TOOLSDEPLOYPKG_SUCCEEDED", vm.guest.customizationInfo.errorMsg
    assert (root / "etc/hostname").read_text().strip() == "staged01"
    assert files_with(root, "192.168.10.41")  # the guest's network files carry the new address
    assert not vm.config.tools.pendingCustomization
    until(lambda: vm.guest.hostName == "staged01", "the guest reports its new host name")
    kinds = [type(e).__name__ for e in events_of(si, vm)]  # oldest first
    started = kinds.index("vim.event.CustomizationStartedEvent")
    assert kinds.index("vim.event.CustomizationSucceeded") > started
    # Applied once: a reset does not customize again.
    WaitForTask(vm.ResetVM_Task())
    assert len(events_of(si, vm, "CustomizationStartedEvent")) == 1


def test_customize_vm_faults_end_the_task(si: Any) -> None:
    running = clone_off(si)
    WaitForTask(running.PowerOnVM_Task())
    fault = task_error(running.CustomizeVM_Task(spec=linux_spec("x1")))
    assert isinstance(fault, vim.fault.InvalidPowerState) and fault.requestedState == "poweredOff"

    vm = clone_off(si)
    two_nics = linux_spec("x2")
    two_nics.nicSettingMap = two_nics.nicSettingMap * 2
    fault = task_error(vm.CustomizeVM_Task(spec=two_nics))
    assert isinstance(fault, vim.fault.NicSettingMismatch) and fault.numberOfNicsInSpec == 2
    assert status(vm) is None  # nothing staged

    WaitForTask(vm.CustomizeVM_Task(spec=linux_spec("x3")))
    fault = task_error(vm.CustomizeVM_Task(spec=linux_spec("x4")))
    assert isinstance(fault, vim.fault.CustomizationPending)
    assert status(vm) == "TOOLSDEPLOYPKG_PENDING"

    notools = clone_off(si, source="DC0/vm/demo-notools")
    fault = task_error(notools.CustomizeVM_Task(spec=linux_spec("x5")))
    assert isinstance(fault, vim.fault.CustomizationFault) and "Tools" in fault.msg


def test_check_customization_spec(si: Any) -> None:
    vm = find(si, "DC0/vm/demo-ubuntu")
    assert vm.CheckCustomizationSpec(spec=linux_spec("good01")) is None
    two_nics = linux_spec("bad01")
    two_nics.nicSettingMap = two_nics.nicSettingMap * 2
    with pytest.raises(vim.fault.NicSettingMismatch):
        vm.CheckCustomizationSpec(spec=two_nics)
    with pytest.raises(vmodl.fault.InvalidArgument) as e:
        vm.CheckCustomizationSpec(spec=linux_spec("bad.name"))
    assert e.value.invalidProperty == "spec.identity.hostName"
    assert status(vm) != "TOOLSDEPLOYPKG_PENDING"  # a check stages nothing


def test_a_staged_customization_survives_a_restart(gosc: Gosc) -> None:
    si = connect(gosc)
    vm = clone_off(si)
    spec = linux_spec("kept02", "192.168.10.42")
    spec.identity.password = C.Password(value=ROOT_PASSWORD, plainText=True)
    WaitForTask(vm.CustomizeVM_Task(spec=spec))
    moid = vm._moId
    disconnect(si)
    gosc.server.stop()
    stored = b"".join(
        p.read_bytes() for p in gosc.server.data_dir.rglob("*") if p.is_file() and "guests" not in p.parts
    )
    assert ROOT_PASSWORD.encode() not in stored  # the staged spec's password is stored encrypted
    gosc.server.start()
    si = connect(gosc)
    vm = vim.VirtualMachine(moid, si._stub)
    assert status(vm) == "TOOLSDEPLOYPKG_PENDING" and vm.config.tools.pendingCustomization
    WaitForTask(vm.PowerOnVM_Task())
    until(lambda: status(vm) in ("TOOLSDEPLOYPKG_SUCCEEDED", "TOOLSDEPLOYPKG_FAILED"), "the customization ends")
    assert status(vm) == "TOOLSDEPLOYPKG_SUCCEEDED", vm.guest.customizationInfo.errorMsg
    assert (guest_root(gosc, vm) / "etc/hostname").read_text().strip() == "kept02"
    disconnect(si)
