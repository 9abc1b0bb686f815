"""Power tasks, the guest's own power operations, Destroy_Task: success, each fault, where
the fault is delivered (the call or its task), events and task lists."""

from __future__ import annotations

from typing import Any

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from gosc.testing import Gosc
from tests.vm.helpers import clone_off, events_of, find, guest_root, task_error, until


@pytest.fixture(scope="module")
def si(gosc: Gosc) -> Any:
    return gosc.service_instance


def tools_running(vm: Any) -> bool:
    return bool(vm.guest.toolsRunningStatus == "guestToolsRunning")


def test_power_on_suspend_resume_reset_off(si: Any) -> None:
    vm = clone_off(si)
    assert vm.runtime.powerState == "poweredOff" and vm.runtime.bootTime is None
    WaitForTask(vm.PowerOnVM_Task())
    assert vm.runtime.powerState == "poweredOn" and tools_running(vm)
    booted = vm.runtime.bootTime
    WaitForTask(vm.SuspendVM_Task())
    assert vm.runtime.powerState == "suspended" and not tools_running(vm)
    WaitForTask(vm.PowerOnVM_Task())  # resumes: the guest has run since its boot
    assert vm.runtime.powerState == "poweredOn" and vm.runtime.bootTime == booted and tools_running(vm)
    WaitForTask(vm.ResetVM_Task())
    assert vm.runtime.powerState == "poweredOn" and vm.runtime.bootTime > booted and tools_running(vm)
    WaitForTask(vm.PowerOffVM_Task())
    assert vm.runtime.powerState == "poweredOff" and not tools_running(vm)
    kinds = [type(e).__name__ for e in events_of(si, vm)]
    for kind in ("VmPoweredOnEvent", "VmSuspendedEvent", "VmResettingEvent", "VmPoweredOffEvent"):
        assert f"vim.event.{kind}" in kinds
    # A suspended VM can be powered off without resuming it.
    WaitForTask(vm.PowerOnVM_Task())
    WaitForTask(vm.SuspendVM_Task())
    WaitForTask(vm.PowerOffVM_Task())
    assert vm.runtime.powerState == "poweredOff"


@pytest.mark.parametrize(
    ("method", "description", "requested"),
    [
        ("PowerOffVM_Task", "VirtualMachine.powerOff", "poweredOn"),
        ("ResetVM_Task", "VirtualMachine.reset", "poweredOn"),
        ("SuspendVM_Task", "VirtualMachine.suspend", "poweredOn"),
    ],
)
def test_a_power_task_in_the_wrong_state_ends_in_error(si: Any, method: str, description: str, requested: str) -> None:
    vm = clone_off(si)
    task = getattr(vm, method)()  # the call itself succeeds: it returns the task
    fault = task_error(task)
    assert isinstance(fault, vim.fault.InvalidPowerState)
    assert fault.existingState == "poweredOff" and fault.requestedState == requested
    assert task.info.descriptionId == description and task.info.entity == vm
    assert task in vm.recentTask and task in si.RetrieveContent().taskManager.recentTask
    assert vm.runtime.powerState == "poweredOff"


def test_power_on_of_a_running_vm_and_destroy_of_a_running_vm_end_their_tasks(si: Any) -> None:
    vm = clone_off(si)
    WaitForTask(vm.PowerOnVM_Task())
    fault = task_error(vm.PowerOnVM_Task())
    assert isinstance(fault, vim.fault.InvalidPowerState) and fault.existingState == "poweredOn"
    destroy = vm.Destroy_Task()
    fault = task_error(destroy)
    assert isinstance(fault, vim.fault.InvalidPowerState) and fault.requestedState == "poweredOff"
    assert destroy.info.descriptionId == "VirtualMachine.destroy"
    assert vm.name and vm.runtime.powerState == "poweredOn"  # still there, still running
    WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(vm.Destroy_Task())
    with pytest.raises(vim.ManagedObjectNotFound):
        vm.name  # noqa: B018 -- reading it is the check


def test_argument_problems_still_fail_the_call(si: Any) -> None:
    vm = clone_off(si)
    folder = vm.parent
    with pytest.raises(vmodl.fault.InvalidArgument) as e:  # a folder is no host
        vm.PowerOnVM_Task(host=vim.HostSystem(folder._moId, si._stub))
    assert e.value.invalidProperty == "host"


def test_guest_operations_need_running_tools(si: Any) -> None:
    notools = find(si, "DC0/vm/demo-notools")
    for op in (notools.RebootGuest, notools.ShutdownGuest, notools.StandbyGuest):
        with pytest.raises(vim.fault.ToolsUnavailable):
            op()
    assert notools.runtime.powerState == "poweredOn"
    off = clone_off(si)
    for op in (off.RebootGuest, off.ShutdownGuest, off.StandbyGuest):
        with pytest.raises(vim.fault.InvalidPowerState) as e:
            op()
        assert e.value.existingState == "poweredOff" and e.value.requestedState == "poweredOn"


def test_reboot_guest_restarts_the_guest(gosc: Gosc, si: Any) -> None:
    vm = clone_off(si)
    WaitForTask(vm.PowerOnVM_Task())
    booted = vm.runtime.bootTime
    # What the guest's files say now shows once the guest boots again.
    (guest_root(gosc, vm) / "etc/hostname").write_text("rebooted01\n")
    assert vm.guest.hostName != "rebooted01"
    vm.RebootGuest()
    # The call returns with the guest going down: its tools gone, the VM still on ...
    assert vm.runtime.powerState == "poweredOn" and not tools_running(vm)
    with pytest.raises(vim.fault.ToolsUnavailable):
        vm.RebootGuest()
    # ... and the guest comes back (--guest-reboot-seconds later) with what its files say now.
    until(lambda: tools_running(vm), "the rebooted guest's tools run again")
    assert vm.runtime.bootTime > booted
    until(lambda: vm.guest.hostName == "rebooted01", "the rebooted guest reports its host name")
    assert events_of(si, vm, "VmGuestRebootEvent")


def test_shutdown_and_standby_guest(si: Any) -> None:
    vm = clone_off(si)
    WaitForTask(vm.PowerOnVM_Task())
    vm.StandbyGuest()
    assert vm.runtime.powerState == "suspended" and not tools_running(vm)
    WaitForTask(vm.PowerOnVM_Task())
    assert tools_running(vm)
    vm.ShutdownGuest()
    assert vm.runtime.powerState == "poweredOff" and vm.runtime.bootTime is None
    kinds = {type(e).__name__ for e in events_of(si, vm)}
    assert {"vim.event.VmGuestStandbyEvent", "vim.event.VmGuestShutdownEvent", "vim.event.VmSuspendedEvent"} <= kinds


def test_a_busy_vm_refuses_a_guest_operation(gosc: Gosc, si: Any) -> None:
    vm = clone_off(si)
    WaitForTask(vm.PowerOnVM_Task())
    hold = gosc.inject.add("ResetVM_Task", moId=vm._moId, hold=True, count=1)
    reset = vm.ResetVM_Task()
    gosc.inject.wait_held(hold)
    with pytest.raises(vim.fault.TaskInProgress):
        vm.RebootGuest()
    gosc.inject.release(hold)
    WaitForTask(reset)
    assert reset.info.state == "success"
