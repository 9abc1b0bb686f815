"""HostSystem: the (one, standalone) ESXi host that VMs run on.

Its hardware is the machine gosc runs on (host_hardware.py); its datastores and networks
are those of its datacenter, all mounted and connected.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import types as T
from . import datastore, host_hardware, host_network
from .base import CallContext, ManagedEntity, now
from .datastore import Datastore
from .host_datastore_browser import HostDatastoreBrowser
from .host_datastore_system import HostDatastoreSystem
from .host_network_system import HostNetworkSystem
from .host_storage_system import HostStorageSystem
from .network import Network

if TYPE_CHECKING:
    from .compute_resource import ComputeResource
    from .virtual_machine import VirtualMachine

ESXI_ABOUT = {
    "name": "VMware ESXi",
    "fullName": "VMware ESXi 9.0.0 build-0 (gosc)",
    "vendor": "VMware, Inc.",
    "version": "9.0.0",
    "build": "0",
    "localeVersion": "INTL",
    "localeBuild": "000",
    "osType": "vmnix-x86",
    "productLineId": "embeddedEsx",
    "apiType": "HostAgent",
    "apiVersion": "9.0.0.0",
    "licenseProductName": "VMware ESX Server",
    "licenseProductVersion": "9.0",
}


class HostSystem(ManagedEntity):
    vim_type = vim.HostSystem
    parent_obj: ComputeResource  # a standalone host's compute resource
    # When the host "booted": the server's start, as the host comes up with it.
    boot_time: datetime.datetime = now()

    def vms(self) -> list[VirtualMachine]:
        return [v for v in self.si.vms() if v.host is self]

    def datastores(self) -> list[Datastore]:
        dc = self.datacenter()
        return [o for o in self.si.entities.values() if isinstance(o, Datastore) and o.datacenter() is dc]

    def networks(self) -> list[Network]:
        dc = self.datacenter()
        return [o for o in self.si.entities.values() if isinstance(o, Network) and o.datacenter() is dc]

    def datastore_browser(self) -> HostDatastoreBrowser:
        return HostDatastoreBrowser.of(self.si, f"datastoreBrowser-{self.moId}", self.datastores)

    # ------------------------------------------------------------ properties

    def prop_vm(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.VirtualMachine, [v.ref for v in self.vms()])

    def prop_datastore(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.Datastore, [d.ref for d in self.datastores()])

    def prop_network(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.Network, [n.ref for n in self.networks()])

    def prop_datastoreBrowser(self, ctx: CallContext) -> T.ManagedObject:
        return self.datastore_browser().ref

    def config_managers(self) -> tuple[HostNetworkSystem, HostStorageSystem, HostDatastoreSystem]:
        return HostNetworkSystem.of(self), HostStorageSystem.of(self), HostDatastoreSystem.of(self)

    def prop_configManager(self, ctx: CallContext) -> vim.host.ConfigManager:
        # Only the managers gosc implements are named: naming objects that do not answer
        # would be worse than naming none.
        network, storage, stores = self.config_managers()
        return vim.host.ConfigManager(networkSystem=network.ref, storageSystem=storage.ref, datastoreSystem=stores.ref)

    def prop_runtime(self, ctx: CallContext) -> vim.host.RuntimeInfo:
        return vim.host.RuntimeInfo(
            connectionState="connected",
            powerState="poweredOn",
            standbyMode="none",
            inMaintenanceMode=False,
            inQuarantineMode=False,
            bootTime=self.boot_time,
        )

    def hardware_summary(self) -> vim.host.Summary.HardwareSummary:
        m = host_hardware.machine()
        return vim.host.Summary.HardwareSummary(
            vendor=host_hardware.VENDOR,
            model=host_hardware.MODEL,
            uuid=host_hardware.host_uuid(self.si.instance_uuid, self.moId),
            memorySize=m.memory,
            cpuModel=m.cpu_model,
            cpuMhz=m.cpu_mhz,
            numCpuPkgs=1,
            numCpuCores=m.cores,
            numCpuThreads=m.cores,
            numNics=1,
            numHBAs=1,
            otherIdentifyingInfo=[self._service_tag()],
        )

    def _service_tag(self) -> vim.host.SystemIdentificationInfo:
        """The serial number, as VMware's virtual platform derives it from the UUID."""
        h = host_hardware.host_uuid(self.si.instance_uuid, self.moId).replace("-", "")
        pairs = [h[i : i + 2] for i in range(0, 32, 2)]
        return vim.host.SystemIdentificationInfo(
            identifierValue=f"VMware-{' '.join(pairs[:8])}-{' '.join(pairs[8:])}",
            identifierType=vim.ElementDescription(
                key="ServiceTag", label="Service tag", summary="Service tag of the system"
            ),
        )

    def prop_hardware(self, ctx: CallContext) -> vim.host.HardwareInfo:
        m = host_hardware.machine()
        return vim.host.HardwareInfo(
            systemInfo=vim.host.SystemInfo(
                vendor=host_hardware.VENDOR,
                model=host_hardware.MODEL,
                uuid=host_hardware.host_uuid(self.si.instance_uuid, self.moId),
                otherIdentifyingInfo=[self._service_tag()],
            ),
            cpuInfo=vim.host.CpuInfo(
                numCpuPackages=1, numCpuCores=m.cores, numCpuThreads=m.cores, hz=m.cpu_mhz * 10**6
            ),
            cpuPkg=[
                vim.host.CpuPackage(
                    index=0,
                    vendor="intel" if "intel" in m.cpu_model.lower() else "amd",
                    hz=m.cpu_mhz * 10**6,
                    busHz=100 * 10**6,
                    description=m.cpu_model,
                    threadId=list(range(m.cores)),
                )
            ],
            memorySize=m.memory,
            biosInfo=vim.host.BIOSInfo(biosVersion="gosc", vendor=host_hardware.VENDOR, releaseDate=self.boot_time),
        )

    def prop_config(self, ctx: CallContext) -> vim.host.ConfigInfo:
        return vim.host.ConfigInfo(
            host=self.ref,
            product=vim.AboutInfo(instanceUuid=self.si.instance_uuid, **ESXI_ABOUT),
            hyperThread=vim.host.CpuSchedulerSystem.HyperThreadScheduleInfo(
                available=False, active=False, config=False
            ),
            network=host_network.network_info(self),
            storageDevice=host_network.storage_device_info(self),
            fileSystemVolume=self.file_system_volumes(),
            lockdownMode="lockdownDisabled",
            adminDisabled=False,
        )

    def file_system_volumes(self) -> vim.host.FileSystemVolumeInfo:
        return vim.host.FileSystemVolumeInfo(
            mountInfo=[
                vim.host.FileSystemMountInfo(
                    mountInfo=ds.host_mount(self).mountInfo,
                    volume=vim.host.LocalFileSystemVolume(
                        type=datastore.TYPE, name=ds.name, capacity=ds.space()[0], device=str(ds.si.data_dir)
                    ),
                    vStorageSupport="vStorageUnsupported",
                )
                for ds in self.datastores()
            ]
        )

    def prop_capability(self, ctx: CallContext) -> vim.host.Capability:
        return vim.host.Capability(
            maxSupportedVMs=1024,
            maxRunningVMs=1024,
            maxSupportedVcpus=768,
            nfsSupported=True,
            vmotionSupported=False,
            maintenanceModeSupported=True,
            rebootSupported=False,
            shutdownSupported=False,
        )

    def prop_summary(self, ctx: CallContext) -> vim.host.Summary:
        return vim.host.Summary(
            host=self.ref,
            hardware=self.hardware_summary(),
            runtime=self.prop_runtime(ctx),
            overallStatus="green",
            rebootRequired=False,
            config=vim.host.Summary.ConfigSummary(
                name=self.name,
                port=443,
                product=vim.AboutInfo(instanceUuid=self.si.instance_uuid, **ESXI_ABOUT),
                vmotionEnabled=False,
                faultToleranceEnabled=False,
            ),
            quickStats=vim.host.Summary.QuickStats(
                overallCpuUsage=0,
                overallMemoryUsage=sum(v.memory_mb for v in self.vms() if v.power_state == "poweredOn"),
                uptime=int((now() - self.boot_time).total_seconds()),
            ),
        )

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name}
