"""What VirtualMachine's method mixins (vm_power, vm_provisioning, vm_customization,
vm_reconfigure, vm_snapshot) may use of a VM, and the faults they share.

VirtualMachine (virtual_machine.py) inherits every mixin and provides what is declared
here; the declarations let each mixin type-check on its own without importing the class
that imports it.
"""

from __future__ import annotations

import asyncio
import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pyVmomi import vim, vmodl

from ..vim import types as T
from ..vim.faults import fault, invalid_argument
from .base import ManagedEntity, ManagedObject

if TYPE_CHECKING:
    from ..guest.vmx import ToolsConnection
    from .folder import Folder
    from .host_system import HostSystem
    from .resource_pool import ResourcePool
    from .virtual_machine import VirtualMachine
    from .virtual_machine_snapshot import VirtualMachineSnapshot

_M = TypeVar("_M", bound=ManagedObject)


def invalid_power_state(vm: VmBase, requested: str | None) -> vmodl.MethodFault:
    want = f"; it must be {requested}" if requested else ""
    return fault(
        vim.fault.InvalidPowerState,
        f"The attempted operation cannot be performed in the current state ({vm.power_state}) of {vm.name}{want}.",
        existingState=vm.power_state,
        requestedState=requested,
    )


def tools_unavailable(vm: VmBase) -> vmodl.MethodFault:
    return fault(
        vim.fault.ToolsUnavailable,
        f"Cannot complete operation because VMware Tools is not running in this virtual machine ({vm.name}).",
    )


def template_fault(vm: VmBase, what: str) -> vmodl.MethodFault:
    """What a template answers to an operation only a virtual machine can do (vcsim: InvalidState)."""
    return fault(vim.fault.InvalidState, f"{vm.name} is a template: it cannot {what}.")


class VmBase(ManagedEntity):
    """The VM's state as the mixins see it (set by VirtualMachine.__init__)."""

    parent_obj: Folder
    host: HostSystem
    pool: ResourcePool | None
    backend: str
    tools_installed: bool
    family: str
    power_state: str
    boot_time: datetime.datetime | None
    guest_report: dict[str, Any]
    customization_info: vim.vm.GuestInfo.CustomizationInfo | None
    guest_pending: bool  # a VM made in bulk whose guest tree is not made yet (vm_power.ensure_guest)
    # The making of a pending guest under way (vm_power.ensure_guest): callers that come meanwhile wait for it.
    waking: asyncio.Task[None] | None = None
    # A CustomizeVM_Task's spec waiting for the next power-on (its passwords sealed with the
    # server's key, as the spec store keeps them) and who asked: {"spec": doc, "user": name}.
    staged_customization: dict[str, Any] | None
    # The guest's restart after RebootGuest, while its OS is down (vm_power): cancelled by
    # any power operation that comes first.
    rebooting: asyncio.Task[None] | None = None
    snapshots: dict[str, VirtualMachineSnapshot]  # vm_snapshot: by moId, in the order taken

    if TYPE_CHECKING:

        @property
        def config(self) -> vim.vm.ConfigInfo: ...

        @config.setter
        def config(self, value: vim.vm.ConfigInfo) -> None: ...

        @property
        def config_read(self) -> vim.vm.ConfigInfo: ...

        @property
        def tools(self) -> ToolsConnection: ...

        async def ensure_guest(self) -> None: ...

        def as_vm(self) -> VirtualMachine:
            """This VM as the class the rest of the inventory takes (backends, events)."""

        @property
        def instance_uuid(self) -> str: ...

        @property
        def tools_running(self) -> bool: ...

        def nics(self) -> list[vim.vm.device.VirtualEthernetCard]: ...

        def macs(self) -> list[str]: ...

        def set_extra_config(self, key: str, value: str) -> None: ...

        def save(self) -> None: ...

        def set_customization_status(self, status: str, error: str | None = None) -> None: ...

        async def power_on(self) -> None: ...

        async def boot(self) -> None: ...

        async def power_off(self) -> None: ...

        async def halt(self) -> None: ...

        def apply_staged_customization(self) -> None: ...

        def check_customization(self, spec: vim.vm.customization.Specification) -> None: ...

        def check_config_spec(self, spec: vim.vm.ConfigSpec, path: str) -> list[str]: ...

        def drop_snapshots(self) -> None: ...

        def snapshot_of(self, ref: T.ManagedObject, path: str) -> VirtualMachineSnapshot: ...

    @property
    def is_template(self) -> bool:
        return bool(self.config_read.template)

    def resolve(self, ref: T.ManagedObject, cls: type[_M], path: str) -> _M:
        """The object a reference argument names, which must be a ``cls``: InvalidArgument at ``path`` if not."""
        obj = self.si.objects.get(ref._moId)
        if not isinstance(obj, cls):
            raise invalid_argument(path, f"'{ref._moId}' is not a {T.wsdl_name(cls.vim_type)}")
        return obj

    def post_vm_event(self, event: vim.event.VmEvent, user: str, message: str, chain_id: int | None) -> None:
        event.userName, event.template, event.fullFormattedMessage = user, self.is_template, message
        self.si.event_manager.post(event, vm=self.as_vm(), chain_id=chain_id)
