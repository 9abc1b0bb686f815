"""LicenseAssignmentManager: every entity (the vCenter itself, each host) holds the
evaluation license (license_manager.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import types as T
from .base import CallContext, ManagedObject
from .license_manager import evaluation_license

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

Assignment = vim.LicenseAssignmentManager.LicenseAssignment


class LicenseAssignmentManager(ManagedObject):
    vim_type = vim.LicenseAssignmentManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "LicenseAssignmentManager")

    def QueryAssignedLicenses(self, ctx: CallContext, entityId: str | None = None) -> list[Assignment]:
        # The vCenter is named by its instance UUID, a host by its moId; no id: all of them.
        names = {self.si.instance_uuid: "VMware vCenter Server"}
        names.update({e.moId: e.name for e in self.si.entities.values() if e.vim_type is vim.HostSystem})
        if entityId:
            names = {entityId: names[entityId]} if entityId in names else {}
        return T.array(
            Assignment,
            [
                Assignment(entityId=k, entityDisplayName=v, assignedLicense=evaluation_license())
                for k, v in names.items()
            ],
        )
