"""EnvironmentBrowser: what VMs on a compute resource may be configured with.

One per compute resource (``environmentBrowser`` of the resource and of its VMs).  It
answers for the hardware versions gosc's hosts run, the newest (``vmx-21``, what gosc's
VMs have) the default; the target lists the compute resource's datastores and networks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import types as T
from ..vim.faults import invalid_argument
from . import guest_os
from .base import CallContext, ManagedObject
from .vm_config import HARDWARE_VERSION, Placement, default_devices

if TYPE_CHECKING:
    from .compute_resource import ComputeResource
    from .service_instance import ServiceInstance

HARDWARE_VERSIONS = ("vmx-13", "vmx-14", "vmx-15", "vmx-17", "vmx-18", "vmx-19", "vmx-20", HARDWARE_VERSION)
_VERSION_NAMES = {
    "vmx-13": "ESXi 6.5",
    "vmx-14": "ESXi 6.7",
    "vmx-15": "ESXi 6.7 U2",
    "vmx-17": "ESXi 7.0",
    "vmx-18": "ESXi 7.0 U1",
    "vmx-19": "ESXi 7.0 U2",
    "vmx-20": "ESXi 8.0",
    "vmx-21": "ESXi 8.0 U2",
}


def vm_capability() -> vim.vm.Capability:
    """What a gosc VM supports: no snapshots, replay or FT (gosc has none of them)."""
    unsupported = {
        "snapshotOperationsSupported",
        "multipleSnapshotsSupported",
        "snapshotConfigSupported",
        "poweredOffSnapshotsSupported",
        "memorySnapshotsSupported",
        "revertToSnapshotSupported",
        "quiescedSnapshotsSupported",
        "disableSnapshotsSupported",
        "lockSnapshotsSupported",
        "recordReplaySupported",
        "vmNpivWwnSupported",
        "npivWwnOnNonRdmVmSupported",
        "vmNpivWwnDisableSupported",
        "vmNpivWwnUpdateSupported",
        "hostBasedReplicationSupported",
        "secureBootSupported",
        "perVmEvcSupported",
        "virtualMmuUsageIgnored",
        "virtualExecUsageIgnored",
        "diskOnlySnapshotOnSuspendedVMSupported",
        "suspendToMemorySupported",
        "toolsSyncTimeAllowSupported",
        "sevSupported",
        "pmemFailoverSupported",
        "requireSgxAttestationSupported",
        "changeModeDisksSupported",
        "vendorDeviceGroupSupported",
        "tdxSupported",
    }
    cap = vim.vm.Capability()
    for p in vim.vm.Capability._propList:
        if p.type is bool:
            setattr(cap, p.name, p.name not in unsupported)
    return cap


def _int(lo: int, hi: int, default: int) -> vim.option.IntOption:
    return vim.option.IntOption(min=lo, max=hi, defaultValue=default)


def _allocation_option(shares: int) -> vim.ResourceAllocationOption:
    return vim.ResourceAllocationOption(
        sharesOption=vim.SharesOption(sharesOption=_int(0, 1_000_000, shares), defaultLevel="normal")
    )


class EnvironmentBrowser(ManagedObject):
    vim_type = vim.EnvironmentBrowser

    def __init__(self, si: ServiceInstance, moId: str, compute: ComputeResource) -> None:
        super().__init__(si, moId)
        self.compute = compute

    def prop_datastoreBrowser(self, ctx: CallContext) -> T.ManagedObject | None:
        hosts = self.compute.hosts()
        return hosts[0].datastore_browser().ref if hosts else None

    def QueryConfigOptionDescriptor(self, ctx: CallContext) -> list[vim.vm.ConfigOptionDescriptor]:
        hosts = [h.ref for h in self.compute.hosts()]
        return [
            vim.vm.ConfigOptionDescriptor(
                key=v,
                description=f"{_VERSION_NAMES[v]} virtual machine",
                host=hosts,
                createSupported=True,
                defaultConfigOption=v == HARDWARE_VERSION,
                runSupported=True,
                upgradeSupported=True,
            )
            for v in HARDWARE_VERSIONS
        ]

    def QueryConfigOption(
        self, ctx: CallContext, key: str | None = None, host: vim.HostSystem | None = None
    ) -> vim.vm.ConfigOption:
        return self._option(key, None)

    def QueryConfigOptionEx(
        self, ctx: CallContext, spec: vim.EnvironmentBrowser.ConfigOptionQuerySpec | None = None
    ) -> vim.vm.ConfigOption:
        return self._option(spec.key if spec else None, list(spec.guestId or []) if spec else None)

    def _option(self, key: str | None, guest_ids: list[str] | None) -> vim.vm.ConfigOption:
        version = key or HARDWARE_VERSION
        if version not in HARDWARE_VERSIONS:
            raise invalid_argument(
                "key", f"'{version}' is not a hardware version of this host ({', '.join(HARDWARE_VERSIONS)})"
            )
        # "If guestId is nonempty, the guestOSDescriptor array is filtered to the guest
        # IDs in the spec; if there is no match, the whole list is returned."
        ids = [g for g in guest_ids or [] if g in guest_os.all_ids()] or list(guest_os.all_ids())
        return vim.vm.ConfigOption(
            version=version,
            description=f"Hardware version {version.removeprefix('vmx-')}",
            guestOSDescriptor=[guest_os.descriptor(g) for g in ids],
            guestOSDefaultIndex=ids.index("otherGuest") if "otherGuest" in ids else 0,
            hardwareOptions=vim.vm.VirtualHardwareOption(
                hwVersion=int(version.removeprefix("vmx-")),
                virtualDeviceOption=[
                    vim.vm.device.VirtualDeviceOption(
                        type=type(d), deprecated=False, plugAndPlay=False, hotRemoveSupported=False
                    )
                    for d in default_devices("", Placement("", None, "", None))
                ]
                + [
                    vim.vm.device.VirtualDeviceOption(
                        type=vim.vm.device.VirtualVmxnet3, deprecated=False, plugAndPlay=True, hotRemoveSupported=True
                    )
                ],
                deviceListReadonly=False,
                numCPU=[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 768],
                numCoresPerSocket=_int(1, 64, 1),
                numCpuReadonly=False,
                memoryMB=vim.option.LongOption(min=4, max=24 * 1024 * 1024, defaultValue=2048),
                numPCIControllers=_int(1, 1, 1),
                numIDEControllers=_int(2, 2, 2),
                numUSBControllers=_int(0, 1, 0),
                numUSBXHCIControllers=_int(0, 1, 0),
                numSIOControllers=_int(1, 1, 1),
                numPS2Controllers=_int(1, 1, 1),
                licensingLimit=[],
                resourceConfigOption=vim.ResourceConfigOption(
                    cpuAllocationOption=_allocation_option(1000), memoryAllocationOption=_allocation_option(10240)
                ),
            ),
            capabilities=vm_capability(),
            datastore=vim.vm.DatastoreOption(),
            defaultDevice=_default_devices(),
            supportedMonitorType=["release", "debug", "stats"],
            supportedOvfEnvironmentTransport=["com.vmware.guestInfo", "iso"],
            supportedOvfInstallTransport=["com.vmware.guestInfo"],
        )

    def QueryConfigTarget(self, ctx: CallContext, host: vim.HostSystem | None = None) -> vim.vm.ConfigTarget:
        hosts = self.compute.hosts()
        if host is not None:
            hosts = [h for h in hosts if h.moId == host._moId]
            if not hosts:
                raise invalid_argument("host", f"'{host._moId}' is not a host of {self.compute.name}")
        datastores = {d.moId: d for h in hosts for d in h.datastores()}
        networks = {n.moId: n for h in hosts for n in h.networks()}
        hw = [h.hardware_summary() for h in hosts]
        return vim.vm.ConfigTarget(
            numCpus=sum(h.numCpuThreads for h in hw),
            numCpuCores=sum(h.numCpuCores for h in hw),
            numNumaNodes=len(hw),
            smcPresent=False,
            maxMemMBOptimalPerf=min((h.memorySize >> 20 for h in hw), default=0),
            maxCpusPerHost=max((h.numCpuThreads for h in hw), default=0),
            supportedMaxMemMB=min((h.memorySize >> 20 for h in hw), default=0),
            datastore=[
                vim.vm.DatastoreInfo(
                    name=d.name,
                    datastore=d.prop_summary(ctx),
                    capability=d.prop_capability(ctx),
                    maxFileSize=d.space()[1],
                    maxVirtualDiskCapacity=d.space()[0],
                    mode="readWrite",
                    vStorageSupport="vStorageUnsupported",
                )
                for d in datastores.values()
            ],
            network=[vim.vm.NetworkInfo(name=n.name, network=n.prop_summary(ctx)) for n in networks.values()],
        )


def _default_devices() -> list[vim.vm.device.VirtualDevice]:
    """The devices a new VM has before any is added: controllers and input, video, VMCI."""
    devices = [
        d
        for d in default_devices("", Placement("", None, "", None))
        if not isinstance(
            d, vim.vm.device.VirtualDisk | vim.vm.device.VirtualCdrom | vim.vm.device.VirtualSCSIController
        )
    ]
    keys = {d.key for d in devices}
    for d in devices:
        if isinstance(d, vim.vm.device.VirtualController):
            d.device = [k for k in d.device if k in keys]
    return devices
