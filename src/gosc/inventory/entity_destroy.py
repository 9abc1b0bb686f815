"""Destroy_Task of the entities that are not VMs (folders, datacenters, clusters...), with
vCenter's rules: destroying an entity destroys everything below it (a VM folder's VMs are
deleted from disk with their guest trees), and fails if a VM below it is powered on or
busy, or if something outside still needs what would go (a host running VMs kept
elsewhere, a datastore or network still used).

vCenter checks as it goes and may stop half-way; gosc checks the whole subtree first, so
a refused destroy changes nothing (docs/decisions.md).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, cast

from pyVmomi import vim, vmodl

from ..vim.faults import fault

if TYPE_CHECKING:
    from .base import CallContext, ManagedEntity
    from .datastore import Datastore
    from .network import Network
    from .task import Task
    from .virtual_machine import VirtualMachine

# What destroying an entity needs, on it and on its parent (vCenter's privileges).
DESTROY_PRIVILEGES = {
    "Folder": "Folder.Delete",
    "Datacenter": "Datacenter.Delete",
    "ClusterComputeResource": "Host.Inventory.DeleteCluster",
    "ComputeResource": "Host.Inventory.RemoveHostFromCluster",
    "ResourcePool": "Resource.DeletePool",
    "Datastore": "Datastore.Delete",
    "Network": "Network.Delete",
}


def subtree(entity: ManagedEntity) -> list[ManagedEntity]:
    """``entity`` and everything below it, deepest first."""
    below = [o for o in entity.si.entities.values() if entity in o.ancestors()]
    below.sort(key=lambda o: len(o.ancestors()), reverse=True)
    return [*below, entity]


def refusal(entity: ManagedEntity) -> vmodl.MethodFault | None:
    """Why ``entity`` itself can never be destroyed, if it cannot."""
    parent = entity.parent_obj
    if entity.type_name not in DESTROY_PRIVILEGES or parent is None:
        return fault(vmodl.fault.NotSupported, f"{entity.type_name} {entity.name} cannot be destroyed.")
    if entity.vim_type is vim.Folder and parent.vim_type is vim.Datacenter:
        return fault(
            vmodl.fault.NotSupported, f"The folder {entity.name} of datacenter {parent.name} cannot be destroyed."
        )
    if entity.vim_type is vim.ResourcePool and parent.vim_type is not vim.ResourcePool:
        return fault(
            vmodl.fault.NotSupported,
            f"{entity.name} is the root resource pool of {parent.name}: destroy {parent.name}.",
        )
    return None


def check(entity: ManagedEntity) -> list[VirtualMachine]:
    """Raise the fault that stops destroying ``entity``; else the VMs that go with it."""
    refused = refusal(entity)
    if refused is not None:
        raise refused
    si = entity.si
    doomed = subtree(entity)
    ids = {o.moId for o in doomed}
    vms = [v for v in si.vms() if v.moId in ids]
    for vm in vms:
        if (
            vm.power_state == "poweredOn"
        ):  # as vm_base.invalid_power_state says it (it imports base, which imports this)
            raise fault(
                vim.fault.InvalidPowerState,
                f"The attempted operation cannot be performed in the current state (poweredOn) of {vm.name}; "
                "it must be poweredOff.",
                existingState="poweredOn",
                requestedState="poweredOff",
            )
        si.task_manager.check_free(vm)
    for o in doomed:
        users: list[ManagedEntity] = []
        if o.vim_type is vim.HostSystem:
            users = [v for v in si.vms() if v.host is o]
        elif o.vim_type in (vim.Datastore, vim.Network):
            users = list(cast("Datastore | Network", o).vms())
        outside = [u for u in users if u.moId not in ids]
        if outside:
            raise fault(
                vim.fault.ResourceInUse,
                f"{o.type_name} {o.name} is in use by {outside[0].name}, which would stay.",
                type=o.vim_type,
                name=o.name,
            )
    return vms


async def destroy(ctx: CallContext, entity: ManagedEntity, task: Task) -> None:
    vms = check(entity)  # again: things may have changed since the call
    si = entity.si
    for vm in vms:
        vm.post_vm_event(
            vim.event.VmRemovedEvent(), ctx.user, f"Removed {vm.name} on {vm.host.name}", task.info.eventChainId
        )
        si.unregister(vm)
        await asyncio.to_thread(si.backend(vm.backend).destroy_tree, vm)
    parent = entity.parent_obj
    for o in subtree(entity):
        si.unregister(o)
    if parent is not None:
        si.notify(parent, None)
