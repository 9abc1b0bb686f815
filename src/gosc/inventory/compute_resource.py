"""ComputeResource: a standalone host's compute resource, which owns its root pool."""

from __future__ import annotations

from typing import Any

from pyVmomi import vim

from ..vim import types as T
from .base import CallContext, ManagedEntity
from .environment_browser import EnvironmentBrowser
from .host_system import HostSystem
from .resource_pool import ResourcePool


class ComputeResource(ManagedEntity):
    vim_type = vim.ComputeResource

    def hosts(self) -> list[HostSystem]:
        return [o for o in self.si.entities.values() if isinstance(o, HostSystem) and o.parent_obj is self]

    def pools(self) -> list[ResourcePool]:
        return [o for o in self.si.entities.values() if isinstance(o, ResourcePool) and o.parent_obj is self]

    def environment_browser(self) -> EnvironmentBrowser:
        """The browser VMs on this compute resource answer ``environmentBrowser`` with
        (made on first use: it has no state of its own, so nothing is stored)."""
        moid = f"envbrowser-{self.moId}"
        obj = self.si.objects.get(moid)
        if isinstance(obj, EnvironmentBrowser):
            return obj
        return self.si.register(EnvironmentBrowser(self.si, moid, self))

    def prop_host(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.HostSystem, [h.ref for h in self.hosts()])

    def prop_resourcePool(self, ctx: CallContext) -> T.ManagedObject | None:
        pools = self.pools()
        return pools[0].ref if pools else None

    def prop_datastore(self, ctx: CallContext) -> list[T.ManagedObject]:
        seen = {ds.moId: ds.ref for h in self.hosts() for ds in h.datastores()}
        return T.array(vim.Datastore, list(seen.values()))

    def prop_network(self, ctx: CallContext) -> list[T.ManagedObject]:
        seen = {n.moId: n.ref for h in self.hosts() for n in h.networks()}
        return T.array(vim.Network, list(seen.values()))

    def prop_environmentBrowser(self, ctx: CallContext) -> T.ManagedObject:
        return self.environment_browser().ref

    def prop_configurationEx(self, ctx: CallContext) -> vim.ComputeResource.ConfigInfo:
        return vim.ComputeResource.ConfigInfo(vmSwapPlacement="vmDirectory")

    def prop_summary(self, ctx: CallContext) -> vim.ComputeResource.Summary:
        """The sum of its hosts' hardware, as vCenter shows a standalone host's resource."""
        hw = [h.hardware_summary() for h in self.hosts()]
        return vim.ComputeResource.Summary(
            totalCpu=sum(h.cpuMhz * h.numCpuCores for h in hw),
            totalMemory=sum(h.memorySize for h in hw),
            numCpuCores=sum(h.numCpuCores for h in hw),
            numCpuThreads=sum(h.numCpuThreads for h in hw),
            effectiveCpu=sum(h.cpuMhz * h.numCpuCores for h in hw),
            effectiveMemory=sum(h.memorySize for h in hw) >> 20,
            numHosts=len(hw),
            numEffectiveHosts=len(hw),
            overallStatus="green",
        )

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name}
