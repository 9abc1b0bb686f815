"""Folder: the inventory tree's branches (root folder group-d1, each datacenter's vm folder...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import types as T
from .base import CallContext, ManagedEntity
from .folder_inventory import FolderInventory
from .folder_vm import FolderVms

if TYPE_CHECKING:
    from .service_instance import ServiceInstance


class Folder(FolderVms, FolderInventory):
    vim_type = vim.Folder

    def __init__(
        self, si: ServiceInstance, moId: str, name: str, parent: ManagedEntity | None, child_type: list[str]
    ) -> None:
        super().__init__(si, moId, name, parent)
        self.child_type = child_type

    def as_folder(self) -> Folder:
        return self

    def children(self) -> list[ManagedEntity]:
        return [o for o in self.si.entities.values() if o.parent_obj is self]

    def prop_childEntity(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.ManagedEntity, [c.ref for c in self.children()])

    def prop_childType(self, ctx: CallContext) -> list[str]:
        return self.child_type

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "childType": self.child_type}
