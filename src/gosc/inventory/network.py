"""Network: a standard port group ("VM Network") that NICs are backed by."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import types as T
from .base import CallContext, ManagedEntity

if TYPE_CHECKING:
    from .virtual_machine import VirtualMachine

DEFAULT_NAME = "VM Network"


class Network(ManagedEntity):
    vim_type = vim.Network

    def hosts(self) -> list[ManagedEntity]:
        # by managed type, not by class: gosc.inventory.host_system imports this module
        dc = self.datacenter()
        return [o for o in self.si.entities.values() if o.vim_type is vim.HostSystem and o.datacenter() is dc]

    def vms(self) -> list[VirtualMachine]:
        return [v for v in self.si.vms() if any(_backed_by(d, self) for d in v.nics())]

    def prop_summary(self, ctx: CallContext) -> vim.Network.Summary:
        return vim.Network.Summary(network=self.ref, name=self.name, accessible=True, ipPoolName="")

    def prop_host(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.HostSystem, [h.ref for h in self.hosts()])

    def prop_vm(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.VirtualMachine, [v.ref for v in self.vms()])

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name}


def _backed_by(nic: vim.vm.device.VirtualEthernetCard, network: Network) -> bool:
    backing = nic.backing
    return (
        isinstance(backing, vim.vm.device.VirtualEthernetCard.NetworkBackingInfo)
        and backing.network is not None
        and backing.network._moId == network.moId
    )
