"""The inventory back from the store at start (``ServiceInstance.load``), and one VM back
from its stored document (RegisterVM_Task).

Entities are recreated parents first (the order of ``ENTITY_KINDS``) and linked once all
exist; VMs stored by an older gosc are completed to the shape a new one has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import json_codec
from .base import ManagedEntity, now
from .cluster_compute_resource import ClusterComputeResource
from .compute_resource import ComputeResource
from .datacenter import Datacenter
from .datastore import Datastore
from .folder import Folder
from .host_system import HostSystem
from .network import Network
from .resource_pool import ResourcePool
from .virtual_machine import VirtualMachine
from .vm_config import ConfigSeed, Placement, complete_config

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

# Entity kinds in the store, in the order they must be recreated (parents first).
ENTITY_KINDS = ("folder", "datacenter", "datastore", "network", "compute", "pool", "host", "vm")


async def load(si: ServiceInstance) -> None:
    """Recreate the inventory from the store and power on what was on."""
    si.authorization_manager.load()
    si.event_manager.load()
    si.customization_spec_manager.load()
    si.guest_customization_manager.records.load()
    si.option_manager.load()
    si.custom_fields_manager.load()
    si.extension_manager.load()
    parents: dict[str, str | None] = {}
    for kind in ENTITY_KINDS:
        for moid, doc in si.store.load(kind):
            if moid != si.root_folder.moId:
                si.register(entity_from_doc(si, kind, moid, doc))
                parents[moid] = doc.get("parent")
    # Parents link after everything exists: a datacenter's folders are stored before it.
    for moid, parent in parents.items():
        si.entities[moid].parent_obj = si.entity_of(parent, ManagedEntity) if parent else None
    for moid, doc in si.store.load("datacenter"):
        dc = si.entity_of(moid, Datacenter)
        dc.folders = {k: si.entity_of(v, Folder) for k, v in doc["folders"].items()}
    si.task_manager.load()
    _complete_inventory(si)
    si.scheduled_task_manager.load()
    if si.scheduled_task_manager.tasks:
        si.scheduled_task_manager.ensure_running()
    started = now()
    for vm in si.vms():
        status = vm.customization_info.customizationStatus if vm.customization_info else None
        # A staged customization (CustomizeVM_Task) stays pending: the next boot applies it.
        if status in ("TOOLSDEPLOYPKG_PENDING", "TOOLSDEPLOYPKG_RUNNING") and vm.staged_customization is None:
            vm.set_customization_status(
                "TOOLSDEPLOYPKG_FAILED", "interrupted: the server restarted during customization"
            )
        if vm.power_state == "poweredOn":
            if vm.guest_pending:  # booted when first needed (vm_power.ensure_guest): a big inventory starts at once
                vm.boot_time = started
            else:
                await vm.power_on()


def _complete_inventory(si: ServiceInstance) -> None:
    """What an older gosc did not store: datastores, networks, and the devices,
    files and NIC networks of its VMs (stored once made, so this runs once)."""
    for dc in [o for o in si.entities.values() if isinstance(o, Datacenter)]:
        si.ensure_storage_and_network(dc)
    placements: dict[str, Placement] = {}  # by folder: each look-up walks every entity
    for vm in si.vms():
        if vm.seed is not None and vm.config_unread:
            continue  # built by make_config when first read: complete by construction
        folder = vm.parent_obj
        placement = placements.get(folder.moId) or placements.setdefault(folder.moId, si.placement(folder))
        if complete_config(vm.config, placement, tools_installed=vm.tools_installed):
            si.save(vm)
    si.ensure_browsers()


def entity_from_doc(si: ServiceInstance, kind: str, moid: str, doc: dict[str, Any]) -> ManagedEntity:
    parent = None  # linked by load() once every entity exists
    if kind == "folder":
        return Folder(si, moid, doc["name"], parent, doc["childType"])
    if kind == "datacenter":
        return Datacenter(si, moid, doc["name"], parent)  # its folders are linked by load()
    if kind == "datastore":
        return Datastore(si, moid, doc["name"], parent, doc["volumeUuid"])
    if kind == "network":
        return Network(si, moid, doc["name"], parent)
    if kind == "compute":
        if doc.get("cluster"):
            return ClusterComputeResource.from_doc(si, moid, doc)
        return ComputeResource(si, moid, doc["name"], parent)
    if kind == "pool":
        return ResourcePool(si, moid, doc["name"], parent)
    if kind == "host":
        return HostSystem(si, moid, doc["name"], parent)
    vm = VirtualMachine(
        si,
        moid,
        doc["name"],
        si.entity_of(doc["parent"], Folder),  # folders are loaded before VMs
        config=json_codec.from_store(doc["config"], vim.vm.ConfigInfo)
        if "config" in doc
        else ConfigSeed.from_doc(doc["configSeed"]),
        host=si.entity_of(doc["host"], HostSystem),
        pool=si.entity_of(doc["pool"], ResourcePool) if doc["pool"] else None,
        backend=doc["backend"],
        tools_installed=doc["toolsInstalled"],
        family=doc["family"],
    )
    vm.power_state = doc["powerState"]
    vm.guest_pending = bool(doc.get("guestPending"))
    vm.guest_report = doc.get("guestReport") or {"hostName": "", "nics": []}
    vm.staged_customization = doc.get("stagedCustomization")
    vm.load_snapshots(doc)
    if doc.get("customizationInfo"):
        vm.customization_info = json_codec.from_store(doc["customizationInfo"], vim.vm.GuestInfo.CustomizationInfo)
    return vm


def restore_vm(si: ServiceInstance, moid: str, doc: dict[str, Any]) -> VirtualMachine:
    """A VM back in the inventory from its stored document (RegisterVM_Task)."""
    vm = entity_from_doc(si, "vm", moid, doc)
    assert isinstance(vm, VirtualMachine)
    vm.parent_obj = si.entity_of(doc["parent"], Folder)
    return si.register(vm)
