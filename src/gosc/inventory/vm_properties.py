"""VirtualMachine properties that come from where the VM is: its datastores, networks,
files, environment browser and resources (``VirtualMachine.prop_*`` answer with these)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import types as T
from . import vm_storage
from .datastore import Datastore
from .network import Network

if TYPE_CHECKING:
    from .virtual_machine import VirtualMachine


def datastores(vm: VirtualMachine) -> list[Datastore]:
    """The datastores holding the VM's files: its config file's and its disks'."""
    names = {f.name[1:].partition("]")[0] for f in vm_storage.files(vm) if f.name.startswith("[")}
    dc = vm.datacenter()
    return [o for o in vm.si.entities.values() if isinstance(o, Datastore) and o.name in names and o.datacenter() is dc]


def networks(vm: VirtualMachine) -> list[Network]:
    refs = {
        d.backing.network._moId
        for d in vm.nics()
        if isinstance(d.backing, vim.vm.device.VirtualEthernetCard.NetworkBackingInfo) and d.backing.network
    }
    return [n for n in (vm.si.entities.get(m) for m in refs) if isinstance(n, Network)]


def storage(vm: VirtualMachine) -> vim.vm.StorageInfo:
    found = datastores(vm)
    return vm_storage.storage(vm, found[0].ref if found else None)


def environment_browser(vm: VirtualMachine) -> T.ManagedObject:
    return vm.host.parent_obj.environment_browser().ref


def resource_config(vm: VirtualMachine) -> vim.ResourceConfigSpec:
    return vim.ResourceConfigSpec(
        entity=vm.ref,
        changeVersion=vm.config.changeVersion,
        lastModified=vm.config.modified,
        cpuAllocation=vm.config.cpuAllocation,
        memoryAllocation=vm.config.memoryAllocation,
    )
