"""Datacenter: owns the vm, host, datastore and network folders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import types as T
from .base import CallContext, ManagedEntity

if TYPE_CHECKING:
    from .folder import Folder


class Datacenter(ManagedEntity):
    vim_type = vim.Datacenter
    folders: dict[str, Folder]  # "vm", "host", "datastore", "network"

    def prop_vmFolder(self, ctx: CallContext) -> T.ManagedObject:
        return self.folders["vm"].ref

    def prop_hostFolder(self, ctx: CallContext) -> T.ManagedObject:
        return self.folders["host"].ref

    def prop_datastoreFolder(self, ctx: CallContext) -> T.ManagedObject:
        return self.folders["datastore"].ref

    def prop_networkFolder(self, ctx: CallContext) -> T.ManagedObject:
        return self.folders["network"].ref

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "folders": {k: f.moId for k, f in self.folders.items()}}
