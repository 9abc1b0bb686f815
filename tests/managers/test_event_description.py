"""EventManager.description: every event a server posts has its type described (govc's
``events`` reads the category from there), with vCenter's categories."""

from __future__ import annotations

from pyVim.task import WaitForTask
from pyVmomi import vim

from tests.managers.conftest import find_vm
from tests.support.server import GoscServer
from tests.support.specs import GUEST_PASSWORD, GUEST_USER


def _customization(host: str, ip: str) -> vim.vm.customization.Specification:
    C = vim.vm.customization
    return C.Specification(
        identity=C.LinuxPrep(hostName=C.FixedName(name=host), domain="example.com"),
        globalIPSettings=C.GlobalIPSettings(),
        nicSettingMap=[C.AdapterMapping(adapter=C.IPSettings(ip=C.FixedIp(ipAddress=ip), subnetMask="255.255.255.0"))],
    )


def test_every_posted_event_type_is_described(server: GoscServer, si: vim.ServiceInstance) -> None:
    content = si.content
    src = find_vm(si, "demo-ubuntu")
    WaitForTask(src.InstantClone_Task(vim.vm.InstantCloneSpec(name="described", location=vim.vm.RelocateSpec())))
    clone = find_vm(si, "described")
    auth = vim.vm.guest.NamePasswordAuthentication(username=GUEST_USER, password=GUEST_PASSWORD)
    gcm = content.guestCustomizationManager
    WaitForTask(gcm.CustomizeGuest_Task(clone, auth, _customization("described01", "192.168.10.31")))
    bad = vim.vm.guest.NamePasswordAuthentication(username=GUEST_USER, password="wrong")
    try:
        WaitForTask(gcm.CustomizeGuest_Task(clone, bad, _customization("described02", "192.168.10.32")))
    except vim.fault.InvalidGuestLogin:
        pass
    WaitForTask(clone.PowerOffVM_Task())
    WaitForTask(clone.Destroy_Task())

    description = content.eventManager.description
    info = {d.key.__name__.split(".")[-1]: d for d in description.eventInfo}  # keys are types
    assert [c.key for c in description.category] == ["info", "warning", "error", "user"]
    posted = {type(e).__name__.split(".")[-1] for e in content.eventManager.QueryEvents(vim.event.EventFilterSpec())}
    assert {"VmClonedEvent", "CustomizationStartedEvent", "CustomizationSucceeded", "VmRemovedEvent"} <= posted
    assert posted <= set(info), posted - set(info)
    assert info["CustomizationSucceeded"].category == "info" and info["CustomizationFailed"].category == "error"
    assert all(d.description and d.fullFormat for d in info.values())
