"""HostSystem and the ComputeResource and ResourcePool that hold it: where VMs run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import types as T
from .base import CallContext, ManagedEntity

if TYPE_CHECKING:
    from .virtual_machine import VirtualMachine


class ComputeResource(ManagedEntity):
    vim_type = vim.ComputeResource

    def hosts(self) -> list[HostSystem]:
        return [o for o in self.si.entities.values() if isinstance(o, HostSystem) and o.parent_obj is self]

    def pools(self) -> list[ResourcePool]:
        return [o for o in self.si.entities.values() if isinstance(o, ResourcePool) and o.parent_obj is self]

    def prop_host(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.HostSystem, [h.ref for h in self.hosts()])

    def prop_resourcePool(self, ctx: CallContext) -> T.ManagedObject | None:
        pools = self.pools()
        return pools[0].ref if pools else None

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name}


class ResourcePool(ManagedEntity):
    vim_type = vim.ResourcePool
    parent_obj: ComputeResource  # gosc's pools are a compute resource's root pool

    def prop_owner(self, ctx: CallContext) -> T.ManagedObject:
        return self.parent_obj.ref

    def prop_vm(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.VirtualMachine, [v.ref for v in self.si.vms() if v.pool is self])

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name}


class HostSystem(ManagedEntity):
    vim_type = vim.HostSystem
    parent_obj: ComputeResource  # a standalone host's compute resource

    def vms(self) -> list[VirtualMachine]:
        return [v for v in self.si.vms() if v.host is self]

    def prop_vm(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.VirtualMachine, [v.ref for v in self.vms()])

    def prop_runtime(self, ctx: CallContext) -> vim.host.RuntimeInfo:
        return vim.host.RuntimeInfo(connectionState="connected", powerState="poweredOn", inMaintenanceMode=False)

    def prop_summary(self, ctx: CallContext) -> vim.host.Summary:
        return vim.host.Summary(
            host=self.ref,
            runtime=self.prop_runtime(ctx),
            overallStatus="green",
            rebootRequired=False,
            config=vim.host.Summary.ConfigSummary(
                name=self.name, port=443, vmotionEnabled=False, faultToleranceEnabled=False
            ),
        )

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name}
