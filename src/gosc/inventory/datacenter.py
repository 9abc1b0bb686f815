"""Datacenter: owns the vm, host, datastore and network folders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import types as T
from .base import CallContext, ManagedEntity
from .vm_config import HARDWARE_VERSION

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

    def _contents(self, managed: type) -> list[T.ManagedObject]:
        # by managed type, not by class: those modules' entities find their datacenter through base
        return [o.ref for o in self.si.entities.values() if o.vim_type is managed and o.datacenter() is self]

    def prop_datastore(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.Datastore, self._contents(vim.Datastore))

    def prop_network(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.Network, self._contents(vim.Network))

    def prop_configuration(self, ctx: CallContext) -> vim.Datacenter.ConfigInfo:
        return vim.Datacenter.ConfigInfo(
            defaultHardwareVersionKey=HARDWARE_VERSION, maximumHardwareVersionKey=HARDWARE_VERSION
        )

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "folders": {k: f.moId for k, f in self.folders.items()}}
