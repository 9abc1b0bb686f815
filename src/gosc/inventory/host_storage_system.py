"""HostStorageSystem: a host's storage devices and mounted volumes (``configManager.storageSystem``).

Its one local disk holds the server's data directory, which every datastore of the host's
datacenter lives on (host_network.py builds the devices, datastore.py the volumes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim.faults import fault
from . import host_network
from .base import CallContext, ManagedObject

if TYPE_CHECKING:
    from .host_system import HostSystem
    from .service_instance import ServiceInstance


class HostStorageSystem(ManagedObject):
    vim_type = vim.host.StorageSystem

    def __init__(self, si: ServiceInstance, moId: str, host: HostSystem) -> None:
        super().__init__(si, moId)
        self.host = host

    @classmethod
    def of(cls, host: HostSystem) -> HostStorageSystem:
        """The host's storage system (made on first use: it keeps no state, so nothing is stored)."""
        obj = host.si.objects.get(f"storageSystem-{host.moId}")
        if isinstance(obj, HostStorageSystem):
            return obj
        return host.si.register(cls(host.si, f"storageSystem-{host.moId}", host))

    def prop_storageDeviceInfo(self, ctx: CallContext) -> vim.host.StorageDeviceInfo:
        return host_network.storage_device_info(self.host)

    def prop_fileSystemVolumeInfo(self, ctx: CallContext) -> vim.host.FileSystemVolumeInfo:
        return self.host.file_system_volumes()

    def prop_multipathStateInfo(self, ctx: CallContext) -> vim.host.MultipathStateInfo:
        info = host_network.storage_device_info(self.host).multipathInfo
        luns = info.lun if info is not None else []
        return vim.host.MultipathStateInfo(
            path=[
                vim.host.MultipathStateInfo.Path(name=p.name, pathState=p.pathState) for lun in luns for p in lun.path
            ]
        )

    def prop_systemFile(self, ctx: CallContext) -> list[str]:
        return []

    def RetrieveDiskPartitionInfo(self, ctx: CallContext, devicePath: list[str]) -> list[vim.host.DiskPartitionInfo]:
        disks = {
            lun.devicePath: lun
            for lun in host_network.storage_device_info(self.host).scsiLun
            if isinstance(lun, vim.host.ScsiDisk)
        }
        out = []
        for i, path in enumerate(devicePath):
            disk = disks.get(path)
            if disk is None:
                raise fault(vim.fault.NotFound, f"The host has no disk '{path}' (devicePath[{i}]).")
            out.append(
                vim.host.DiskPartitionInfo(
                    deviceName=path,
                    spec=vim.host.DiskPartitionInfo.Specification(
                        partitionFormat="gpt",
                        chs=vim.host.DiskDimensions.Chs(
                            cylinder=disk.capacity.block // (255 * 63), head=255, sector=63
                        ),
                        totalSectors=disk.capacity.block,
                        partition=[],
                    ),
                )
            )
        return out

    def RefreshStorageSystem(self, ctx: CallContext) -> None:
        """Nothing to refresh: every read is built from the inventory as it is now."""

    def RescanAllHba(self, ctx: CallContext) -> None:
        """The one adapter's one disk is always there: a rescan finds nothing new."""

    def RescanVmfs(self, ctx: CallContext) -> None:
        """gosc's volumes are directories of the data directory: nothing to discover."""
