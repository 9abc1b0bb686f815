"""LicenseManager: the one license a gosc server has, an evaluation license, as vcsim has.

gosc enforces no license; the manager answers what clients read (govc ``license.ls``,
Ansible's license facts) so that they work unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim, vmodl

from ..vim import types as T
from .base import CallContext, ManagedObject

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

EVALUATION_KEY = "00000-00000-00000-00000-00000"


def evaluation_license() -> vim.LicenseManager.LicenseInfo:
    return vim.LicenseManager.LicenseInfo(
        licenseKey=EVALUATION_KEY,
        editionKey="eval",
        name="Evaluation Mode",
        total=0,
        used=0,
        costUnit="",
        properties=[
            vmodl.KeyAnyValue(
                key="feature", value=vim.KeyValue(key="serialuri:2", value="Remote virtual Serial Port Concentrator")
            ),
            vmodl.KeyAnyValue(key="feature", value=vim.KeyValue(key="dvs", value="vSphere Distributed Switch")),
        ],
    )


class LicenseManager(ManagedObject):
    vim_type = vim.LicenseManager

    def __init__(self, si: ServiceInstance, assignment_manager: ManagedObject) -> None:
        super().__init__(si, "LicenseManager")
        self.assignment_manager = assignment_manager

    def prop_licenses(self, ctx: CallContext) -> list[vim.LicenseManager.LicenseInfo]:
        return T.array(vim.LicenseManager.LicenseInfo, [evaluation_license()])

    def prop_licenseAssignmentManager(self, ctx: CallContext) -> T.ManagedObject:
        return self.assignment_manager.ref

    def prop_featureInfo(self, ctx: CallContext) -> list[vim.LicenseManager.FeatureInfo]:
        return T.array(vim.LicenseManager.FeatureInfo, [])
