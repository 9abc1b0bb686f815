"""The guest operating systems a config option describes (``GuestOsDescriptor``).

The identifiers are pyVmomi's (``GuestOsIdentifier``); the family follows the id's prefix,
as vcsim decides it.  Every descriptor carries the same recommendations, those of a
current 64-bit guest (vmxnet3, paravirtual SCSI, EFI or BIOS); gosc has no per-OS tables.
"""

from __future__ import annotations

import functools

from pyVmomi import vim

from ..vim import types as T

_FULL_NAMES = {
    "otherGuest": "Other (32-bit)",
    "otherGuest64": "Other (64-bit)",
    "ubuntu64Guest": "Ubuntu Linux (64-bit)",
    "debian12_64Guest": "Debian GNU/Linux 12 (64-bit)",
    "centos7_64Guest": "CentOS 7 (64-bit)",
    "rhel9_64Guest": "Red Hat Enterprise Linux 9 (64-bit)",
    "sles15_64Guest": "SUSE Linux Enterprise 15 (64-bit)",
    "vmwarePhoton64Guest": "VMware Photon OS (64-bit)",
    "windows2019srvNext_64Guest": "Microsoft Windows Server 2022 (64-bit)",
}


def family(guest_id: str) -> str:
    if guest_id.startswith(("win", "dos")):
        return "windowsGuest"
    if guest_id.startswith("darwin"):
        return "darwinGuestFamily"
    if guest_id.startswith(("solaris", "oracleSolaris")):
        return "solarisGuest"
    if guest_id.startswith("netware"):
        return "netwareGuest"
    if guest_id.startswith("other") and "Linux" not in guest_id:
        return "otherGuestFamily"
    return "linuxGuest"


def descriptor(guest_id: str, full_name: str | None = None) -> vim.vm.GuestOsDescriptor:
    windows = family(guest_id) == "windowsGuest"
    return vim.vm.GuestOsDescriptor(
        id=guest_id,
        family=family(guest_id),
        fullName=full_name or _FULL_NAMES.get(guest_id, guest_id),
        supportedMaxCPUs=768,
        numSupportedPhysicalSockets=128,
        numSupportedCoresPerSocket=64,
        supportedMinMemMB=4,
        supportedMaxMemMB=24 * 1024 * 1024,
        recommendedMemMB=4096 if windows else 2048,
        recommendedColorDepth=32,
        supportedDiskControllerList=[
            vim.vm.device.ParaVirtualSCSIController,
            vim.vm.device.VirtualLsiLogicSASController,
        ],
        recommendedSCSIController=vim.vm.device.ParaVirtualSCSIController,
        recommendedDiskController=vim.vm.device.ParaVirtualSCSIController,
        supportedNumDisks=256,
        recommendedDiskSizeMB=(90 if windows else 16) * 1024,
        recommendedCdromController=vim.vm.device.VirtualIDEController,
        supportedEthernetCard=[vim.vm.device.VirtualVmxnet3, vim.vm.device.VirtualE1000e],
        recommendedEthernetCard=vim.vm.device.VirtualVmxnet3,
        supportsSlaveDisk=False,
        smcRequired=False,
        supportsWakeOnLan=True,
        supportsVMI=False,
        supportsMemoryHotAdd=True,
        supportsCpuHotAdd=True,
        supportsCpuHotRemove=not windows,
        supportedFirmware=["bios", "efi"],
        recommendedFirmware="efi" if windows else "bios",
        supportedUSBControllerList=[vim.vm.device.VirtualUSBXHCIController],
        recommendedUSBController=vim.vm.device.VirtualUSBXHCIController,
        supports3D=True,
        recommended3D=False,
        smcRecommended=False,
        ich7mRecommended=False,
        usbRecommended=False,
        supportLevel="supported",
        supportedForCreate=True,
        vRAMSizeInKB=vim.option.IntOption(min=4096, max=262144, defaultValue=4096),
        numSupportedFloppyDevices=2,
        supportsPvscsiControllerForBoot=True,
        diskUuidEnabled=False,
        supportsHotPlugPCI=True,
        defaultSecureBoot=windows,
        persistentMemorySupported=True,
        supportedMinPersistentMemoryMB=4,
        supportedMaxPersistentMemoryMB=6 * 1024 * 1024,
        recommendedPersistentMemoryMB=4,
        persistentMemoryHotAddSupported=True,
        persistentMemoryHotRemoveSupported=True,
        persistentMemoryColdGrowthSupported=True,
        persistentMemoryColdGrowthGranularityMB=2,
        persistentMemoryHotGrowthSupported=True,
        persistentMemoryHotGrowthGranularityMB=2,
        numRecommendedPhysicalSockets=1,
        numRecommendedCoresPerSocket=1,
    )


@functools.cache
def all_ids() -> tuple[str, ...]:
    return tuple(T.enum_values(vim.vm.GuestOsDescriptor.GuestOsIdentifier))
