"""ClusterComputeResource: a cluster made by ``Folder.CreateClusterEx``, with its root pool.

gosc adds no hosts to clusters (``AddHost_Task`` is not implemented): a cluster holds its
configuration (DRS, HA... as the ConfigSpecEx set it) and its root resource pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import json_codec
from .base import CallContext, ManagedEntity
from .compute_resource import ComputeResource

if TYPE_CHECKING:
    from .service_instance import ServiceInstance


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

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "cluster": True, "config": json_codec.to_store(self.config)}

    @classmethod
    def from_doc(cls, si: ServiceInstance, moid: str, doc: dict[str, Any]) -> ClusterComputeResource:
        config = json_codec.from_store(doc["config"], vim.cluster.ConfigInfoEx) if doc.get("config") else None
        return cls(si, moid, doc["name"], None, config)
