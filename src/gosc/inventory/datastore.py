"""Datastore: where VMs' files are, as clients see it ("datastore1").

gosc's guests are directory trees in the server's data directory, so the datastore is
that directory's file system: its capacity and free space are ``statvfs`` of the data
directory, read at each call.  Every host of its datacenter mounts it; the VMs on it are
those whose ``config.files.vmPathName`` names it.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import types as T
from . import vm_storage
from .base import CallContext, ManagedEntity, now
from .host_datastore_browser import HostDatastoreBrowser

if TYPE_CHECKING:
    from .service_instance import ServiceInstance
    from .virtual_machine import VirtualMachine

DEFAULT_NAME = "datastore1"
TYPE = "OTHER"  # a local file system that is neither VMFS nor NFS, as vcsim's local datastores


class Datastore(ManagedEntity):
    vim_type = vim.Datastore

    def __init__(
        self, si: ServiceInstance, moId: str, name: str, parent: ManagedEntity | None, volume_uuid: str = ""
    ) -> None:
        super().__init__(si, moId, name, parent)
        # The volume's id in its url, as ESXi names volumes (ds:///vmfs/volumes/<id>/).
        self.volume_uuid = volume_uuid or str(uuid.uuid4())

    @property
    def url(self) -> str:
        return f"ds:///vmfs/volumes/{self.volume_uuid}/"

    def space(self) -> tuple[int, int]:
        """Capacity and free bytes of the data directory's file system."""
        st = os.statvfs(self.si.data_dir)
        return st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize

    def hosts(self) -> list[ManagedEntity]:
        # by managed type, not by class: gosc.inventory.host_system imports this module
        dc = self.datacenter()
        return [o for o in self.si.entities.values() if o.vim_type is vim.HostSystem and o.datacenter() is dc]

    def vms(self) -> list[VirtualMachine]:
        prefix = f"[{self.name}]"
        dc = self.datacenter()
        return [v for v in self.si.vms() if v.vmx_path.startswith(prefix) and v.datacenter() is dc]

    def browser(self) -> HostDatastoreBrowser:
        return HostDatastoreBrowser.of(self.si, f"datastoreBrowser-{self.moId}", lambda: [self])

    def host_mount(self, host: ManagedEntity) -> vim.Datastore.HostMount:
        return vim.Datastore.HostMount(
            key=host.ref,
            mountInfo=vim.host.MountInfo(
                path=f"/vmfs/volumes/{self.volume_uuid}", accessMode="readWrite", mounted=True, accessible=True
            ),
        )

    # ------------------------------------------------------------ properties

    def prop_summary(self, ctx: CallContext) -> vim.Datastore.Summary:
        capacity, free = self.space()
        uncommitted = sum(vm_storage.storage_summary(v).uncommitted for v in self.vms())
        return vim.Datastore.Summary(
            datastore=self.ref,
            name=self.name,
            url=self.url,
            capacity=capacity,
            freeSpace=free,
            uncommitted=uncommitted,
            accessible=True,
            multipleHostAccess=len(self.hosts()) > 1,
            type=TYPE,
            maintenanceMode="normal",
        )

    def prop_info(self, ctx: CallContext) -> vim.host.LocalDatastoreInfo:
        capacity, free = self.space()
        return vim.host.LocalDatastoreInfo(
            name=self.name,
            url=self.url,
            freeSpace=free,
            maxFileSize=free,
            maxVirtualDiskCapacity=capacity,
            maxMemoryFileSize=free,
            timestamp=now(),
            containerId=self.volume_uuid,
            path=f"/vmfs/volumes/{self.volume_uuid}",
        )

    def prop_capability(self, ctx: CallContext) -> vim.Datastore.Capability:
        return vim.Datastore.Capability(
            directoryHierarchySupported=True,
            rawDiskMappingsSupported=False,
            perFileThinProvisioningSupported=True,
            storageIORMSupported=False,
            nativeSnapshotSupported=False,
            topLevelDirectoryCreateSupported=True,
            seSparseSupported=True,
            vmfsSparseSupported=False,
            vsanSparseSupported=False,
        )

    def prop_host(self, ctx: CallContext) -> list[vim.Datastore.HostMount]:
        return T.array(vim.Datastore.HostMount, [self.host_mount(h) for h in self.hosts()])

    def prop_vm(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.VirtualMachine, [v.ref for v in self.vms()])

    def prop_browser(self, ctx: CallContext) -> T.ManagedObject:
        return self.browser().ref

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "volumeUuid": self.volume_uuid}
