"""An example of testing your own vSphere automation against gosc, with gosc's pytest
plugin (the ``gosc`` fixture) and its fault injection.  docs/testing.md shows this file;
gosc's own ``make test`` runs it."""

from __future__ import annotations

from typing import Any

from pyVim.task import WaitForTask
from pyVmomi import vim


def power_off(si: Any, path: str) -> str:
    """The automation under test: power a VM off; answer what happened, never raise."""
    vm = si.RetrieveContent().searchIndex.FindByInventoryPath(path)
    if vm is None:
        return "no such VM"
    try:
        WaitForTask(vm.PowerOffVM_Task())
    except vim.fault.InvalidPowerState as e:
        return f"already {e.existingState}"
    return "powered off"


def test_power_off_reports_a_vm_someone_else_powered_off(gosc: Any) -> None:
    si = gosc.service_instance  # an administrator's pyVmomi connection
    vm = si.RetrieveContent().searchIndex.FindByInventoryPath("DC0/vm/demo-ubuntu")
    # The next PowerOffVM_Task on this VM fails as vCenter fails it for a VM that is off.
    gosc.inject.add(
        "PowerOffVM_Task",
        moId=vm._moId,
        fault="InvalidPowerState",
        existingState="poweredOff",
        requestedState="poweredOn",
        count=1,
    )
    assert power_off(si, "DC0/vm/demo-ubuntu") == "already poweredOff"
    assert vm.runtime.powerState == "poweredOn"  # the injected fault changed nothing


def test_power_off_reports_a_missing_vm(gosc: Any) -> None:
    assert power_off(gosc.service_instance, "DC0/vm/no-such-vm") == "no such VM"
