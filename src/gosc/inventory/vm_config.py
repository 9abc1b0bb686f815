"""A VM's configuration as vCenter reports it: ``make_config`` and the virtual devices.

Every VM gets the devices a VM made by vCenter has (PCI, IDE, PS/2 and SIO controllers,
keyboard, pointing device, video card, VMCI, a CD-ROM), a paravirtual SCSI controller
with one thin disk whose backing file is ``[<datastore>] <name>/<name>.vmdk``, and its
vmxnet3 NICs on the datastore's network.  ``complete_config`` fills in what a VM stored by
an older gosc lacks, so old data directories load into the same shape.
"""

from __future__ import annotations

import datetime
import functools
import sys
import uuid
from dataclasses import dataclass
from typing import Any

from pyVmomi import vim

from .base import now

TOOLS_VERSION = "12352"  # open-vm-tools 12.3.x, as vCenter reports it
HARDWARE_VERSION = "vmx-21"
DISK_CAPACITY_KB = 16 * 1024 * 1024  # 16 GiB, thin: what the guest tree may grow to
SEED_MEMORY_MB = 2048  # every new VM's memory (and so every seed's)
PCI, IDE0, IDE1, PS2, SIO, SCSI = 100, 200, 201, 300, 400, 1000
VIDEO, KEYBOARD, POINTING, VMCI, DISK, CDROM, NIC0 = 500, 600, 700, 12000, 2000, 3000, 4000


@dataclass(frozen=True)
class Placement:
    """Where a VM's files and NICs live: its datastore and network (names and refs)."""

    datastore_name: str
    datastore: vim.Datastore | None
    network_name: str
    network: vim.Network | None

    def path(self, vm_name: str, file: str = "") -> str:
        return f"[{self.datastore_name}] {vm_name}/{file}"


def _desc(label: str, summary: str | None = None) -> vim.Description:
    return vim.Description(label=label, summary=summary or label)


def _thousands(n: int) -> str:
    return f"{n:,}"


def disk_file(placement: Placement, vm_name: str) -> str:
    return placement.path(vm_name, f"{vm_name}.vmdk")


def nic(key: int, index: int, mac: str, placement: Placement) -> vim.vm.device.VirtualVmxnet3:
    return vim.vm.device.VirtualVmxnet3(
        key=key,
        deviceInfo=_desc(f"Network adapter {index + 1}", placement.network_name),
        backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(
            deviceName=placement.network_name, network=placement.network, useAutoDetect=False
        ),
        connectable=vim.vm.device.VirtualDevice.ConnectInfo(
            startConnected=True, connected=True, allowGuestControl=True, status="ok"
        ),
        slotInfo=vim.vm.device.VirtualDevice.PciBusSlotInfo(pciSlotNumber=192 + 32 * index),
        controllerKey=PCI,
        unitNumber=7 + index,
        addressType="assigned",
        macAddress=mac,
        wakeOnLanEnabled=True,
        uptCompatibilityEnabled=True,
    )


def _disk(vm_name: str, placement: Placement) -> vim.vm.device.VirtualDisk:
    return vim.vm.device.VirtualDisk(
        key=DISK,
        deviceInfo=_desc("Hard disk 1", f"{_thousands(DISK_CAPACITY_KB)} KB"),
        backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
            fileName=disk_file(placement, vm_name),
            datastore=placement.datastore,
            diskMode="persistent",
            split=False,
            writeThrough=False,
            thinProvisioned=True,
            eagerlyScrub=False,
            digestEnabled=False,
            sharing="sharingNone",
            uuid=f"6000C29{uuid.uuid4().hex[7:]}",
            contentId=uuid.uuid4().hex,
        ),
        controllerKey=SCSI,
        unitNumber=0,
        capacityInKB=DISK_CAPACITY_KB,
        capacityInBytes=DISK_CAPACITY_KB * 1024,
        shares=vim.SharesInfo(shares=1000, level="normal"),
        storageIOAllocation=vim.StorageResourceManager.IOAllocationInfo(
            limit=-1, shares=vim.SharesInfo(shares=1000, level="normal"), reservation=0
        ),
        diskObjectId=f"1-{DISK}",
        nativeUnmanagedLinkedClone=False,
    )


def default_devices(vm_name: str, placement: Placement) -> list[vim.vm.device.VirtualDevice]:
    """The devices every VM has besides its NICs, keyed as vCenter keys them."""
    D = vim.vm.device
    return [
        D.VirtualIDEController(key=IDE0, deviceInfo=_desc("IDE 0"), busNumber=0, device=[CDROM]),
        D.VirtualIDEController(key=IDE1, deviceInfo=_desc("IDE 1"), busNumber=1),
        D.VirtualPS2Controller(key=PS2, deviceInfo=_desc("PS2 controller 0"), busNumber=0, device=[KEYBOARD, POINTING]),
        D.VirtualPCIController(key=PCI, deviceInfo=_desc("PCI controller 0"), busNumber=0, device=[VIDEO, VMCI, SCSI]),
        D.VirtualSIOController(key=SIO, deviceInfo=_desc("SIO controller 0"), busNumber=0),
        D.VirtualKeyboard(key=KEYBOARD, deviceInfo=_desc("Keyboard"), controllerKey=PS2, unitNumber=0),
        D.VirtualPointingDevice(
            key=POINTING,
            deviceInfo=_desc("Pointing device", "Pointing device; Device"),
            backing=D.VirtualPointingDevice.DeviceBackingInfo(
                deviceName="", useAutoDetect=False, hostPointingDevice="autodetect"
            ),
            controllerKey=PS2,
            unitNumber=1,
        ),
        D.VirtualVideoCard(
            key=VIDEO,
            deviceInfo=_desc("Video card"),
            controllerKey=PCI,
            unitNumber=0,
            videoRamSizeInKB=4096,
            numDisplays=1,
            useAutoDetect=False,
            enable3DSupport=False,
            use3dRenderer="automatic",
            graphicsMemorySizeInKB=262144,
        ),
        D.VirtualVMCIDevice(
            key=VMCI,
            deviceInfo=_desc(
                "VMCI device",
                "Device on the virtual machine PCI bus that provides support for the virtual machine "
                "communication interface",
            ),
            controllerKey=PCI,
            unitNumber=17,
            id=-1,
            allowUnrestrictedCommunication=False,
            filterEnable=True,
        ),
        D.ParaVirtualSCSIController(
            key=SCSI,
            deviceInfo=_desc("SCSI controller 0", "VMware paravirtual SCSI"),
            slotInfo=D.VirtualDevice.PciBusSlotInfo(pciSlotNumber=160),
            controllerKey=PCI,
            unitNumber=3,
            busNumber=0,
            device=[DISK],
            hotAddRemove=True,
            sharedBus="noSharing",
            scsiCtlrUnitNumber=7,
        ),
        D.VirtualCdrom(
            key=CDROM,
            deviceInfo=_desc("CD/DVD drive 1", "Remote device"),
            backing=D.VirtualCdrom.RemotePassthroughBackingInfo(deviceName="", useAutoDetect=False, exclusive=False),
            connectable=D.VirtualDevice.ConnectInfo(
                startConnected=False, connected=False, allowGuestControl=True, status="untried"
            ),
            controllerKey=IDE0,
            unitNumber=0,
        ),
        _disk(vm_name, placement),
    ]


def tools_config(installed: bool) -> vim.vm.ToolsConfigInfo:
    return vim.vm.ToolsConfigInfo(
        toolsVersion=int(TOOLS_VERSION) if installed else 0,
        toolsInstallType="guestToolsTypeOpenVMTools" if installed else None,
        afterPowerOn=True,
        afterResume=True,
        beforeGuestStandby=True,
        beforeGuestShutdown=True,
        beforeGuestReboot=True,
        toolsUpgradePolicy="manual",
        syncTimeWithHostAllowed=True,
        syncTimeWithHost=False,
        lastInstallInfo=vim.vm.ToolsConfigInfo.ToolsLastInstallInfo(counter=0),
    )


def _allocation(shares: int) -> vim.ResourceAllocationInfo:
    return vim.ResourceAllocationInfo(
        reservation=0, expandableReservation=False, limit=-1, shares=vim.SharesInfo(shares=shares, level="normal")
    )


def complete_config(config: vim.vm.ConfigInfo, placement: Placement, *, tools_installed: bool) -> bool:
    """Fill in what ``config`` lacks of what every gosc VM has (devices, files, tools,
    allocations, NIC networks); whether anything changed.  New VMs are made through
    here, and VMs an older gosc stored are brought up to date by it at load."""
    name = config.name
    changed = False
    hw = config.hardware
    have = {d.key for d in hw.device}
    missing = [d for d in default_devices(name, placement) if d.key not in have]
    if missing:
        pci = next((d for d in missing if isinstance(d, vim.vm.device.VirtualPCIController)), None)
        if pci is not None:
            pci.device = [*pci.device, *(d.key for d in hw.device if d.controllerKey == PCI)]
        hw.device = [*missing, *hw.device]
        changed = True
    for d in hw.device:
        backing = d.backing
        if (
            isinstance(backing, vim.vm.device.VirtualEthernetCard.NetworkBackingInfo)
            and backing.network is None
            and backing.deviceName == placement.network_name
            and placement.network is not None
        ):
            backing.network = placement.network
            changed = True
    if config.tools is None:
        config.tools = tools_config(tools_installed)
        changed = True
    files = config.files
    directory = placement.path(name).rstrip("/")
    if not files.logDirectory:
        files.snapshotDirectory = files.suspendDirectory = files.logDirectory = directory
        changed = True
    if config.cpuAllocation is None:
        config.cpuAllocation = _allocation(1000 * hw.numCPU)
        config.memoryAllocation = _allocation(10 * hw.memoryMB)
        config.latencySensitivity = vim.LatencySensitivity(level="normal")
        config.bootOptions = vim.vm.BootOptions(
            bootDelay=0, enterBIOSSetup=False, efiSecureBootEnabled=False, bootRetryEnabled=False, bootRetryDelay=10000
        )
        config.defaultPowerOps = vim.vm.DefaultPowerOpInfo(
            powerOffType="soft",
            suspendType="hard",
            resetType="soft",
            defaultPowerOffType="soft",
            defaultSuspendType="hard",
            defaultResetType="soft",
            standbyAction="checkpoint",
        )
        config.flags = vim.vm.FlagInfo(
            enableLogging=True,
            useToe=False,
            runWithDebugInfo=False,
            monitorType="release",
            htSharing="any",
            snapshotDisabled=False,
            snapshotLocked=False,
            diskUuidEnabled=False,
            virtualMmuUsage="automatic",
            virtualExecUsage="hvAuto",
            snapshotPowerOffBehavior="powerOff",
            recordReplayEnabled=False,
            faultToleranceType="unset",
            cbrcCacheEnabled=False,
            vvtdEnabled=False,
            vbsEnabled=False,
        )
        config.firmware = config.firmware or "bios"
        config.swapPlacement = "inherit"
        config.cpuHotAddEnabled = config.cpuHotRemoveEnabled = config.memoryHotAddEnabled = False
        config.changeTrackingEnabled = False
        config.memoryReservationLockedToMax = False
        config.nestedHVEnabled = False
        config.vPMCEnabled = False
        config.guestAutoLockEnabled = False
        config.maxMksConnections = 40
        config.npivTemporaryDisabled = True
        config.messageBusTunnelEnabled = False
        config.locationId = str(uuid.uuid4())
        config.hardware.virtualICH7MPresent = False
        config.hardware.virtualSMCPresent = False
        config.hardware.motherboardLayout = "i440bxHostBridge"
        config.hardware.simultaneousThreads = 1
        changed = True
    return changed


def make_config(
    name: str,
    guest_id: str,
    guest_full_name: str,
    macs: list[str],
    placement: Placement,
    *,
    tools_installed: bool = True,
    bios_uuid: str | None = None,
    extra: list[vim.option.OptionValue] | None = None,
) -> vim.vm.ConfigInfo:
    config = vim.vm.ConfigInfo(
        name=name,
        guestId=guest_id,
        guestFullName=guest_full_name,
        version=HARDWARE_VERSION,
        uuid=bios_uuid or str(uuid.uuid4()),
        instanceUuid=str(uuid.uuid4()),
        template=False,
        changeVersion=now().isoformat(),
        modified=now(),
        createDate=now(),
        hardware=vim.vm.VirtualHardware(
            numCPU=2,
            numCoresPerSocket=1,
            autoCoresPerSocket=True,
            memoryMB=SEED_MEMORY_MB,
            device=[nic(NIC0 + i, i, mac, placement) for i, mac in enumerate(macs)],
        ),
        extraConfig=extra or [],
        files=vim.vm.FileInfo(vmPathName=placement.path(name, f"{name}.vmx")),
    )
    complete_config(config, placement, tools_installed=tools_installed)
    return config


# ------------------------------------------------------------ VMs made in bulk (gosc serve --demo-vms)


@dataclass(frozen=True, slots=True)
class ConfigSeed:
    """What a VM made in bulk needs of its ConfigInfo until someone reads it: the values
    ``make_config`` draws at random, so that the ConfigInfo built from the seed (on first
    read) is the same before and after a restart.  A ConfigInfo costs kilobytes and
    milliseconds; a seed, a few hundred bytes and nothing to make."""

    name: str
    guest_id: str
    guest_full_name: str
    macs: tuple[str, ...]
    uuid: str
    instance_uuid: str
    created: datetime.datetime
    placement: Placement

    def to_doc(self) -> dict[str, Any]:
        p = self.placement
        return {
            "name": self.name,
            "guestId": self.guest_id,
            "guestFullName": self.guest_full_name,
            "macs": list(self.macs),
            "uuid": self.uuid,
            "instanceUuid": self.instance_uuid,
            "created": _iso(self.created),
            "datastore": [p.datastore._moId if p.datastore else None, p.datastore_name],
            "network": [p.network._moId if p.network else None, p.network_name],
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ConfigSeed:
        return cls(
            doc["name"],
            sys.intern(doc["guestId"]),
            sys.intern(doc["guestFullName"]),
            tuple(doc["macs"]),
            doc["uuid"],
            doc["instanceUuid"],
            _created(doc["created"]),
            _placement(*doc["datastore"], *doc["network"]),
        )


@functools.lru_cache(maxsize=64)
def _iso(instant: datetime.datetime) -> str:
    return instant.isoformat()


@functools.lru_cache(maxsize=64)
def _created(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)  # VMs made together share the instant (and the object)


@functools.lru_cache(maxsize=64)
def _placement(ds_moid: str | None, ds_name: str, net_moid: str | None, net_name: str) -> Placement:
    """One Placement object for all the VMs that share it (immutable)."""
    return Placement(
        datastore_name=ds_name,
        datastore=vim.Datastore(ds_moid) if ds_moid else None,
        network_name=net_name,
        network=vim.Network(net_moid) if net_moid else None,
    )


def config_from_seed(seed: ConfigSeed, *, tools_installed: bool) -> vim.vm.ConfigInfo:
    """The ConfigInfo of a VM made in bulk, as ``make_config`` makes one; what it would
    draw at random is derived from the seed's instance UUID, so every build is the same."""
    config = make_config(
        seed.name,
        seed.guest_id,
        seed.guest_full_name,
        list(seed.macs),
        seed.placement,
        tools_installed=tools_installed,
        bios_uuid=seed.uuid,
    )
    config.instanceUuid = seed.instance_uuid
    config.createDate = config.modified = seed.created
    config.changeVersion = seed.created.isoformat()
    base = uuid.UUID(seed.instance_uuid)
    config.locationId = str(uuid.uuid5(base, "locationId"))
    for d in config.hardware.device:
        if isinstance(d, vim.vm.device.VirtualDisk) and isinstance(
            d.backing, vim.vm.device.VirtualDisk.FlatVer2BackingInfo
        ):
            d.backing.uuid = f"6000C29{uuid.uuid5(base, 'disk').hex[7:]}"
            d.backing.contentId = uuid.uuid5(base, "contentId").hex
    return config
