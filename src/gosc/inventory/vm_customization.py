"""Customizing a VM that is off: CustomizeVM_Task stages a spec, CheckCustomizationSpec
only checks one, and the guest's tools apply a staged spec at its next boot.

Staging is what vCenter does: the spec is checked at once, the package waits with the
VM (``guest.customizationInfo`` PENDING, ``config.tools.pendingCustomization`` set), and
the tools apply it when the guest boots, through the same pipeline as CustomizeGuest_Task
(GuestCustomizationManager.run_package), with the same events and status.  The staged spec
is stored with its passwords encrypted by the server's key, so it survives a restart.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim.faults import fault
from .base import CallContext
from .vm_base import VmBase, invalid_power_state, template_fault

if TYPE_CHECKING:
    from .task import Task


class VmCustomization(VmBase):
    def check_customization(self, spec: vim.vm.customization.Specification) -> None:
        """Raise what CustomizeVM_Task would find wrong with ``spec`` for this VM."""
        if not self.tools_installed:
            raise fault(
                vim.fault.CustomizationFault,
                f"{self.name} cannot be customized: VMware Tools is not installed in its guest.",
            )
        self.si.guest_customization_manager.prepare(self.as_vm(), spec, [])

    def stage_customization(self, ctx: CallContext, spec: vim.vm.customization.Specification) -> None:
        self.staged_customization = {"spec": self.si.customization_spec_manager.seal_spec(spec), "user": ctx.user}
        if self.config.tools is None:
            self.config.tools = vim.vm.ToolsConfigInfo()
        self.config.tools.pendingCustomization = str(uuid.uuid4())  # what vcsim sets: an id of the package
        self.set_customization_status("TOOLSDEPLOYPKG_PENDING")  # saves

    def clear_staged_customization(self) -> None:
        self.staged_customization = None
        if self.config.tools is not None:
            self.config.tools.pendingCustomization = None
        self.save()

    def apply_staged_customization(self) -> None:
        staged = self.staged_customization
        if staged is None or not self.tools_running:
            return  # without running tools nothing picks the package up: it stays pending
        spec = self.si.customization_spec_manager.open_spec(staged["spec"])
        self.si.guest_customization_manager.apply_staged(self.as_vm(), spec, str(staged.get("user", "")))

    # ------------------------------------------------------------ API

    def CustomizeVM_Task(self, ctx: CallContext, spec: vim.vm.customization.Specification) -> vim.Task:
        async def work(task: Task) -> None:
            # The VM's state as the task finds it, then the spec: each ends the task in error.
            if self.is_template:
                raise template_fault(self, "be customized (customize its clones)")
            if self.power_state != "poweredOff":
                raise invalid_power_state(self, "poweredOff")
            if self.staged_customization is not None:
                raise fault(
                    vim.fault.CustomizationPending,
                    f"A customization of {self.name} is already pending: it is applied at the next power-on.",
                )
            self.check_customization(spec)
            self.stage_customization(ctx, spec)

        return self.si.task_manager.submit(ctx, self, "CustomizeVM_Task", work)

    def CheckCustomizationSpec(self, ctx: CallContext, spec: vim.vm.customization.Specification) -> None:
        self.check_customization(spec)
