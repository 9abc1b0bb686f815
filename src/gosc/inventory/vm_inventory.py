"""A VM leaving and rejoining the inventory, and its hardware version: UnregisterVM
(the files and guest tree stay, for RegisterVM_Task in folder_vm.py) and UpgradeVM_Task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import json_codec
from ..vim.faults import fault
from .base import CallContext
from .folder_vm import UNREGISTERED, hardware_version
from .vm_base import VmBase, invalid_power_state
from .vm_config import HARDWARE_VERSION

if TYPE_CHECKING:
    from .task import Task


class VmInventory(VmBase):
    def UnregisterVM(self, ctx: CallContext) -> None:
        ctx.check(self, "VirtualMachine.Inventory.Unregister")
        if self.power_state == "poweredOn":
            raise invalid_power_state(self, "poweredOff")
        self.si.task_manager.check_free(self)
        doc = self.to_doc()
        doc["config"] = json_codec.to_store(self.config)
        self.si.store.put(
            UNREGISTERED, self.instance_uuid, {"path": self.config.files.vmPathName, "name": self.name, "vm": doc}
        )
        self.post_vm_event(vim.event.VmRemovedEvent(), ctx.user, f"Removed {self.name} on {self.host.name}", None)
        parent = self.parent_obj
        self.si.unregister(self)
        self.si.notify(parent, "childEntity")

    def UpgradeVM_Task(self, ctx: CallContext, version: str | None = None) -> vim.Task:
        ctx.check(self, "VirtualMachine.Config.UpgradeVirtualHardware")
        target = hardware_version(version or HARDWARE_VERSION, "version")
        self.si.task_manager.check_free(self)

        async def work(task: Task) -> None:
            if self.power_state != "poweredOff":
                raise invalid_power_state(self, "poweredOff")
            current = hardware_version(self.config.version or "vmx-04", "version")
            if current >= target:
                raise fault(
                    vim.fault.AlreadyUpgraded, f"{self.name} already has hardware version {self.config.version}."
                )
            self.config.version = f"vmx-{target:02d}"
            self.save()
            self.post_vm_event(
                vim.event.VmUpgradingEvent(version=self.config.version),
                ctx.user,
                f"Upgrading virtual machine compatibility of {self.name} to {self.config.version}",
                task.info.eventChainId,
            )

        return self.si.task_manager.submit(ctx, self, "UpgradeVM_Task", work)
