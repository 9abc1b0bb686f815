"""ClusterComputeResource: a cluster made by ``Folder.CreateClusterEx``, with its root pool.

A cluster holds its configuration (DRS, HA... as the ConfigSpecEx set it), its root resource
pool, and the hosts ``MoveInto_Task`` moved into it from their standalone compute resources (gosc
connects no other host: ``AddHost_Task`` is not implemented).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import json_codec
from ..vim import types as T
from ..vim.faults import fault, invalid_argument
from .base import CallContext, ManagedEntity
from .compute_resource import ComputeResource
from .host_system import HostSystem

if TYPE_CHECKING:
    from .service_instance import ServiceInstance
    from .task import Task


def config_from_spec(spec: vim.cluster.ConfigSpecEx | None) -> vim.cluster.ConfigInfoEx:
    """The configuration a new cluster has: what the spec sets, the rest as vCenter defaults it."""
    spec = spec or vim.cluster.ConfigSpecEx()
    return vim.cluster.ConfigInfoEx(
        vmSwapPlacement=spec.vmSwapPlacement or "vmDirectory",
        dasConfig=_das(spec.dasConfig),
        drsConfig=_drs(spec.drsConfig),
        dpmConfigInfo=vim.cluster.DpmConfigInfo(
            enabled=bool(spec.dpmConfig and spec.dpmConfig.enabled), defaultDpmBehavior="automated"
        ),
        rule=[],
        group=[],
    )


def _das(d: vim.cluster.DasConfigInfo | None) -> vim.cluster.DasConfigInfo:
    return vim.cluster.DasConfigInfo(
        enabled=bool(d and d.enabled),
        vmMonitoring=(d.vmMonitoring if d else None) or "vmMonitoringDisabled",
        hostMonitoring=(d.hostMonitoring if d else None) or "enabled",
        vmComponentProtecting=(d.vmComponentProtecting if d else None) or "disabled",
        admissionControlEnabled=bool(d.admissionControlEnabled)
        if d and d.admissionControlEnabled is not None
        else True,
        defaultVmSettings=vim.cluster.DasVmSettings(restartPriority="medium", isolationResponse="none"),
    )


def _drs(d: vim.cluster.DrsConfigInfo | None) -> vim.cluster.DrsConfigInfo:
    return vim.cluster.DrsConfigInfo(
        enabled=bool(d and d.enabled),
        enableVmBehaviorOverrides=True,
        defaultVmBehavior=(d.defaultVmBehavior if d else None) or "fullyAutomated",
        vmotionRate=(d.vmotionRate if d else None) or 3,
    )


class ClusterComputeResource(ComputeResource):
    vim_type = vim.ClusterComputeResource

    def __init__(
        self,
        si: ServiceInstance,
        moId: str,
        name: str,
        parent: ManagedEntity | None,
        config: vim.cluster.ConfigInfoEx | None = None,
    ) -> None:
        super().__init__(si, moId, name, parent)
        self.config = config or config_from_spec(None)

    def prop_configurationEx(self, ctx: CallContext) -> vim.cluster.ConfigInfoEx:
        return self.config

    def prop_configuration(self, ctx: CallContext) -> vim.cluster.ConfigInfo:
        return vim.cluster.ConfigInfo(
            dasConfig=self.config.dasConfig, drsConfig=self.config.drsConfig, rule=[], dasVmConfig=[], drsVmConfig=[]
        )

    def prop_summary(self, ctx: CallContext) -> vim.ClusterComputeResource.Summary:
        base = super().prop_summary(ctx)
        return vim.ClusterComputeResource.Summary(
            **{p.name: getattr(base, p.name) for p in vim.ComputeResource.Summary._propList},
            currentFailoverLevel=0,
            numVmotions=0,
        )

    def prop_actionHistory(self, ctx: CallContext) -> list[vim.cluster.ActionHistory]:
        return []

    def prop_drsFault(self, ctx: CallContext) -> list[vim.cluster.DrsFaults]:
        return []

    def prop_drsRecommendation(self, ctx: CallContext) -> list[vim.cluster.DrsRecommendation]:
        return []

    def prop_recommendation(self, ctx: CallContext) -> list[vim.cluster.Recommendation]:
        return []

    def prop_migrationHistory(self, ctx: CallContext) -> list[vim.cluster.DrsMigration]:
        return []

    # ------------------------------------------------------------ MoveInto_Task

    def MoveInto_Task(self, ctx: CallContext, host: list[vim.HostSystem]) -> T.ManagedObject:
        moving = [self._movable(ctx, ref, f"host[{i}]") for i, ref in enumerate(host)]

        async def work(task: Task) -> None:
            for h in moving:
                self._take(h)

        return self.si.task_manager.submit(ctx, self, "MoveInto_Task", work)

    def _movable(self, ctx: CallContext, ref: vim.HostSystem, path: str) -> HostSystem:
        found = self.si.objects.get(ref._moId)
        if not isinstance(found, HostSystem):
            raise invalid_argument(path, f"'{ref._moId}' is not a host")
        ctx.check(found, "Host.Inventory.MoveHost")
        if found.datacenter() is not self.datacenter():
            raise invalid_argument(path, f"{found.name} is in another datacenter")
        owner = found.parent_obj
        if owner is self:
            raise invalid_argument(path, f"{found.name} is in {self.name} already")
        if isinstance(owner, ClusterComputeResource):
            # vCenter moves a clustered host only in maintenance mode, which gosc's hosts never enter.
            raise fault(
                vim.fault.InvalidState, f"{found.name} is in cluster {owner.name}; it must be in maintenance mode."
            )
        return found

    def _take(self, host: HostSystem) -> None:
        """A standalone host joins: its VMs go to the cluster's root pool and its own compute
        resource (with its pool) goes away, as vCenter's MoveInto_Task does."""
        si = self.si
        old = host.parent_obj
        root = self.pools()[0]
        for vm in si.vms():
            if vm.host is host and vm.pool is not None:
                vm.pool = root
                vm.save()
                si.notify(vm, "resourcePool")
        host.parent_obj = self
        si.save(host)
        if isinstance(old, ComputeResource):
            folder = old.parent_obj
            for pool in old.pools():
                si.unregister(pool)
            si.unregister(old)
            if folder is not None:
                si.notify(folder, "childEntity")
        si.notify(self, None)
        si.notify(host, "parent")

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "cluster": True, "config": json_codec.to_store(self.config)}

    @classmethod
    def from_doc(cls, si: ServiceInstance, moid: str, doc: dict[str, Any]) -> ClusterComputeResource:
        config = json_codec.from_store(doc["config"], vim.cluster.ConfigInfoEx) if doc.get("config") else None
        return cls(si, moid, doc["name"], None, config)
