"""ResourcePool: a compute resource's root pool ("Resources"), where VMs take their share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import types as T
from .base import CallContext, ManagedEntity

if TYPE_CHECKING:
    from .compute_resource import ComputeResource


class ResourcePool(ManagedEntity):
    vim_type = vim.ResourcePool
    parent_obj: ComputeResource  # gosc's pools are a compute resource's root pool

    def _totals(self) -> tuple[int, int]:
        """The pool's CPU (MHz) and memory (bytes): all of its compute resource's, as a
        root pool has."""
        hw = [h.hardware_summary() for h in self.parent_obj.hosts()]
        return sum(h.cpuMhz * h.numCpuCores for h in hw), sum(h.memorySize for h in hw)

    def prop_owner(self, ctx: CallContext) -> T.ManagedObject:
        return self.parent_obj.ref

    def prop_vm(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.VirtualMachine, [v.ref for v in self.si.vms() if v.pool is self])

    def prop_resourcePool(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.ResourcePool)  # gosc makes no child pools

    def prop_config(self, ctx: CallContext) -> vim.ResourceConfigSpec:
        # A root pool reserves all its resources and cannot expand: its limit is its size.
        cpu, memory = self._totals()

        def allocation(amount: int) -> vim.ResourceAllocationInfo:
            return vim.ResourceAllocationInfo(
                reservation=amount,
                expandableReservation=False,
                limit=amount,
                shares=vim.SharesInfo(shares=9000, level="custom"),
            )

        return vim.ResourceConfigSpec(
            entity=self.ref,
            cpuAllocation=allocation(cpu),
            memoryAllocation=allocation(memory >> 20),
        )

    def prop_runtime(self, ctx: CallContext) -> vim.ResourcePool.RuntimeInfo:
        cpu, memory = self._totals()

        def usage(amount: int) -> vim.ResourcePool.ResourceUsage:
            return vim.ResourcePool.ResourceUsage(
                reservationUsed=0,
                reservationUsedForVm=0,
                unreservedForPool=amount,
                unreservedForVm=amount,
                overallUsage=0,
                maxUsage=amount,
            )

        return vim.ResourcePool.RuntimeInfo(memory=usage(memory), cpu=usage(cpu), overallStatus="green")

    def prop_summary(self, ctx: CallContext) -> vim.ResourcePool.Summary:
        return vim.ResourcePool.Summary(
            name=self.name,
            config=self.prop_config(ctx),
            runtime=self.prop_runtime(ctx),
            configuredMemoryMB=sum(v.memory_mb for v in self.si.vms() if v.pool is self),
        )

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name}
