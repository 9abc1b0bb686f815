"""A VM's files on its datastore: ``layout``, ``layoutEx``, ``storage``, ``summary.storage``.

gosc keeps no virtual disk images (a guest is a directory tree), so a VM's datastore files
are what vCenter would list for it, named from its config, with nominal sizes: the
config file, NVRAM, the disk's descriptor and (thin) extent, the log, and the swap file
while it runs.  The datastore browser lists the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import types as T
from .base import now

if TYPE_CHECKING:
    from .virtual_machine import VirtualMachine

# Nominal sizes (bytes) of the files vCenter shows for a new thin-provisioned VM.
CONFIG_SIZE = 3 * 1024
NVRAM_SIZE = 270_840
DESCRIPTOR_SIZE = 512
EXTENT_SIZE = 1024**3  # the thin disk's used part
LOG_SIZE = 256 * 1024


@dataclass(frozen=True)
class VmFile:
    name: str  # "[datastore1] vm/vm.vmx"
    type: str  # FileLayoutEx.FileType
    size: int

    @property
    def base(self) -> str:
        return self.name.rpartition("/")[2]


def _disks(vm: VirtualMachine) -> list[vim.vm.device.VirtualDisk]:
    return _config_disks(vm.config)


def _config_disks(config: vim.vm.ConfigInfo) -> list[vim.vm.device.VirtualDisk]:
    return [d for d in config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]


def disk_file_name(disk: vim.vm.device.VirtualDisk) -> str:
    backing = disk.backing
    if isinstance(backing, vim.vm.device.VirtualDevice.FileBackingInfo) and backing.fileName:
        return str(backing.fileName)
    return ""


def disk_files(disk: vim.vm.device.VirtualDisk) -> list[VmFile]:
    name = disk_file_name(disk)
    if not name:
        return []
    return [
        VmFile(name, "diskDescriptor", DESCRIPTOR_SIZE),
        VmFile(name.removesuffix(".vmdk") + "-flat.vmdk", "diskExtent", EXTENT_SIZE),
    ]


def files(vm: VirtualMachine) -> list[VmFile]:
    return config_files(vm.config, running=vm.power_state == "poweredOn")


def config_files(config: vim.vm.ConfigInfo, *, running: bool = False) -> list[VmFile]:
    """The files of a VM with ``config`` (an unregistered VM's too: they stay on the datastore)."""
    vmx = config.files.vmPathName or ""
    directory = vmx.rpartition("/")[0]
    stem = vmx.rpartition("/")[2].removesuffix(".vmx")
    out = [VmFile(vmx, "config", CONFIG_SIZE), VmFile(f"{directory}/{stem}.nvram", "nvram", NVRAM_SIZE)]
    for disk in _config_disks(config):
        out += disk_files(disk)
    out.append(VmFile(f"{directory}/vmware.log", "log", LOG_SIZE))
    if running:
        out.append(VmFile(f"{directory}/{stem}.vswp", "swap", config.hardware.memoryMB * 1024 * 1024))
    return out


def layout_ex(vm: VirtualMachine) -> vim.vm.FileLayoutEx:
    all_files = files(vm)
    keys = {f.name: i for i, f in enumerate(all_files)}
    return vim.vm.FileLayoutEx(
        file=[
            vim.vm.FileLayoutEx.FileInfo(
                key=i, name=f.name, type=f.type, size=f.size, uniqueSize=f.size, accessible=True, backingObjectId=""
            )
            for i, f in enumerate(all_files)
        ],
        disk=[
            vim.vm.FileLayoutEx.DiskLayout(
                key=d.key,
                chain=[vim.vm.FileLayoutEx.DiskUnit(fileKey=[keys[f.name] for f in disk_files(d)])],
            )
            for d in _disks(vm)
        ],
        timestamp=now(),
    )


def layout(vm: VirtualMachine) -> vim.vm.FileLayout:
    all_files = files(vm)
    swap = next((f.name for f in all_files if f.type == "swap"), None)
    return vim.vm.FileLayout(
        configFile=[f.base for f in all_files if f.type == "nvram"],
        logFile=[f.base for f in all_files if f.type == "log"],
        disk=[vim.vm.FileLayout.DiskLayout(key=d.key, diskFile=[disk_file_name(d)]) for d in _disks(vm)],
        swapFile=swap,
    )


def _usage(vm: VirtualMachine) -> tuple[int, int, int]:
    """committed (every file), uncommitted (disk capacity not yet used), unshared (disks)."""
    all_files = files(vm)
    committed = sum(f.size for f in all_files)
    unshared = sum(f.size for f in all_files if f.type in ("diskDescriptor", "diskExtent"))
    capacity = sum(d.capacityInKB * 1024 for d in _disks(vm))
    return committed, max(capacity - unshared, 0), unshared


def storage(vm: VirtualMachine, datastore: T.ManagedObject | None) -> vim.vm.StorageInfo:
    committed, uncommitted, unshared = _usage(vm)
    usage = (
        [
            vim.vm.StorageInfo.UsageOnDatastore(
                datastore=datastore, committed=committed, uncommitted=uncommitted, unshared=unshared
            )
        ]
        if datastore is not None
        else []
    )
    return vim.vm.StorageInfo(perDatastoreUsage=usage, timestamp=now())


def storage_summary(vm: VirtualMachine) -> vim.vm.Summary.StorageSummary:
    committed, uncommitted, unshared = _usage(vm)
    return vim.vm.Summary.StorageSummary(
        committed=committed, uncommitted=uncommitted, unshared=unshared, timestamp=now()
    )
