"""VirtualMachine: config, runtime, guest; its methods come from the mixins vm_power,
vm_provisioning, vm_customization, vm_reconfigure and vm_snapshot.

A VM's guest lives in a backend (a directory tree, or namespaces); the VM talks to its
guest only through the tools channel (``ToolsConnection``), whose RPCIs land in the
``VmxHandler`` methods at the bottom of this class.
"""

from __future__ import annotations

import datetime
import ipaddress
from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..guest.vmx import ToolsConnection
from ..vim import json_codec
from ..vim import types as T
from . import vm_properties, vm_storage
from .base import CallContext, now
from .vm_config import SEED_MEMORY_MB, TOOLS_VERSION, ConfigSeed, config_from_seed
from .vm_customization import VmCustomization
from .vm_inventory import VmInventory
from .vm_power import VmPower
from .vm_provisioning import VmProvisioning
from .vm_reconfigure import VmReconfigure
from .vm_snapshot import VmSnapshot

if TYPE_CHECKING:
    from .folder import Folder
    from .host_system import HostSystem
    from .resource_pool import ResourcePool
    from .service_instance import ServiceInstance

GUEST_FAMILY = {"windows": "windowsGuest"}


class VirtualMachine(VmPower, VmProvisioning, VmCustomization, VmReconfigure, VmSnapshot, VmInventory):
    vim_type = vim.VirtualMachine
    parent_obj: Folder  # a VM's parent is always its VM folder

    def __init__(
        self,
        si: ServiceInstance,
        moId: str,
        name: str,
        parent: Folder,
        *,
        config: vim.vm.ConfigInfo | ConfigSeed,
        host: HostSystem,
        pool: ResourcePool | None,
        backend: str,
        tools_installed: bool,
        family: str,
    ) -> None:
        super().__init__(si, moId, name, parent)
        # A VM made in bulk has a seed until its ConfigInfo is first read (vm_config.ConfigSeed).
        self.seed: ConfigSeed | None = config if isinstance(config, ConfigSeed) else None
        self._config: vim.vm.ConfigInfo | None = None if isinstance(config, ConfigSeed) else config
        # The stored form of the ConfigInfo as of the last save, while nobody has touched it
        # since: see ``config``.
        self._config_doc: dict[str, Any] | None = None
        self.host = host
        self.pool = pool
        self.backend = backend
        self.tools_installed = tools_installed
        self.family = family  # guest family of its skeleton / tree ("ubuntu", "rhel9", "windows" ...)
        self.power_state = "poweredOff"
        self.boot_time: datetime.datetime | None = None
        self.guest_report: dict[str, Any] = {"hostName": "", "nics": []}
        self.customization_info: vim.vm.GuestInfo.CustomizationInfo | None = None
        self.staged_customization: dict[str, Any] | None = None  # vm_customization
        self._tools: ToolsConnection | None = None  # made when first needed: most VMs of a big inventory idle
        # A VM made in bulk has no guest tree until something needs its guest (vm_power.ensure_guest).
        self.guest_pending = False
        self.snapshots = {}  # vm_snapshot
        self.current_snapshot = None
        self.snapshot_serial = 0

    def as_vm(self) -> VirtualMachine:
        return self

    # ------------------------------------------------------------ identity

    @property
    def config(self) -> vim.vm.ConfigInfo:
        """The ConfigInfo.  Whoever reads it may change it, so a read drops the stored form
        kept from the last save: a save encodes a ConfigInfo (half a millisecond) only when
        it may have changed, not at every power cycle or guest report.  Hence the rule for
        the code that changes one: through ``vm.config`` (or a reference taken from it and
        used before the next save), never through a reference kept across a save."""
        self._config_doc = None
        if self._config is None:
            assert self.seed is not None
            self._config = config_from_seed(self.seed, tools_installed=self.tools_installed)
        return self._config

    @config.setter
    def config(self, value: vim.vm.ConfigInfo) -> None:
        self._config_doc = None
        self._config = value

    @property
    def config_read(self) -> vim.vm.ConfigInfo:
        """The ConfigInfo for a read that changes nothing of it (the power path reads the
        instance UUID, the MACs, whether it is a template): keeps the stored form."""
        if self._config is None:
            return self.config
        return self._config

    def _stored_config(self) -> dict[str, Any]:
        # extraConfig is encoded apart, at every save: the guest's tools change it (guestinfo
        # variables, several per customization) without touching the rest.
        config = self.config_read
        if self._config_doc is None:
            extra = config.extraConfig
            config.extraConfig = []
            try:
                self._config_doc = json_codec.to_store(config)
            finally:
                config.extraConfig = extra
        if not config.extraConfig:
            return self._config_doc
        return {**self._config_doc, "extraConfig": json_codec.encode(config.extraConfig, T.NEWEST_VERSION, _EXTRA)}

    @property
    def config_unread(self) -> bool:
        """Whether this VM's ConfigInfo is still its seed (never read since made or loaded)."""
        return self._config is None

    @property
    def tools(self) -> ToolsConnection:
        if self._tools is None:
            self._tools = ToolsConnection(self)
        return self._tools

    @property
    def instance_uuid(self) -> str:
        if self._config is None and self.seed is not None:
            return self.seed.instance_uuid
        uuid: str | None = self.config_read.instanceUuid
        assert uuid, "make_config gives every VM an instance UUID"
        return uuid

    # What whole-inventory scans (search index, datastores, hosts' and pools' sums) read of
    # every VM: answered from the seed while the ConfigInfo is unread, so that one scan does
    # not build 100,000 ConfigInfos.

    @property
    def bios_uuid(self) -> str | None:
        return self.seed.uuid if self._config is None and self.seed is not None else self.config.uuid

    @property
    def vmx_path(self) -> str:
        if self._config is None and self.seed is not None:
            return self.seed.placement.path(self.seed.name, f"{self.seed.name}.vmx")
        return self.config_read.files.vmPathName or ""

    @property
    def memory_mb(self) -> int:
        if self._config is None and self.seed is not None:
            return SEED_MEMORY_MB
        return self.config_read.hardware.memoryMB or 0

    def nics(self) -> list[vim.vm.device.VirtualEthernetCard]:
        """The NICs, to read (``config_read``): a read keeps the stored form of the config."""
        return _nics(self.config_read)

    def nics_to_change(self) -> list[vim.vm.device.VirtualEthernetCard]:
        return _nics(self.config)

    def macs(self) -> list[str]:
        if self._config is None and self.seed is not None:
            return list(self.seed.macs)
        return [d.macAddress for d in _nics(self.config_read) if d.macAddress]  # make_config gives each NIC one

    def extra_config(self, key: str) -> str | None:
        return next((str(o.value) for o in self.config_read.extraConfig if o.key == key), None)

    def set_extra_config(self, key: str, value: str) -> None:
        extra = self.config_read.extraConfig  # stored apart from the rest (_stored_config)
        for o in extra:
            if o.key == key:
                o.value = value
                return
        extra.append(vim.option.OptionValue(key=key, value=value))

    @property
    def tools_running(self) -> bool:
        # A powered-on VM whose guest is still pending runs its tools as far as anyone can
        # tell: the first call that needs them brings the guest up (vm_power.ensure_guest).
        if self.power_state != "poweredOn":
            return False
        if self.guest_pending:
            return self.tools_installed
        return self._tools is not None and self._tools.running

    # ------------------------------------------------------------ persistence

    def to_doc(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host.moId,
            "pool": self.pool.moId if self.pool else None,
            **(
                {"configSeed": self.seed.to_doc()}
                if self._config is None and self.seed is not None
                else {"config": self._stored_config()}
            ),
            "guestPending": self.guest_pending,
            "powerState": self.power_state,
            "backend": self.backend,
            "toolsInstalled": self.tools_installed,
            "family": self.family,
            "guestReport": self.guest_report,
            "customizationInfo": json_codec.to_store(self.customization_info) if self.customization_info else None,
            "stagedCustomization": self.staged_customization,
            **self.snapshots_doc(),
        }

    def save(self) -> None:
        self.si.save(self)
        self.si.notify(self, None)

    def set_customization_status(self, status: str, error: str | None = None) -> None:
        info = self.customization_info or vim.vm.GuestInfo.CustomizationInfo()
        info.customizationStatus = status
        if status == "TOOLSDEPLOYPKG_PENDING":
            info.startTime, info.endTime, info.errorMsg = now(), None, None
        elif status in ("TOOLSDEPLOYPKG_SUCCEEDED", "TOOLSDEPLOYPKG_FAILED"):
            info.endTime = now()
            info.errorMsg = error
        self.customization_info = info
        self.save()

    # ------------------------------------------------------------ properties

    def prop_config(self, ctx: CallContext) -> vim.vm.ConfigInfo:
        # The datastores' urls are theirs, not the VM's: filled in as read, never stored twice.
        self.config.datastoreUrl = [
            vim.vm.ConfigInfo.DatastoreUrlPair(name=d.name, url=d.url) for d in vm_properties.datastores(self)
        ]
        return self.config

    def prop_runtime(self, ctx: CallContext) -> vim.vm.RuntimeInfo:
        return vim.vm.RuntimeInfo(
            host=self.host.ref,
            connectionState="connected",
            powerState=self.power_state,
            bootTime=self.boot_time,
            toolsInstallerMounted=False,
            faultToleranceState="notConfigured",
            consolidationNeeded=False,
            onlineStandby=False,
            numMksConnections=0,
            paused=False,
            snapshotInBackground=False,
            instantCloneFrozen=False,
            suspendInterval=0,
            maxCpuUsage=4000,
            maxMemoryUsage=2048,
        )

    def _tools_status(self) -> tuple[str, str]:
        if not self.tools_installed:
            return "toolsNotInstalled", "guestToolsNotRunning"
        if self.tools_running:
            return "toolsOk", "guestToolsRunning"
        return "toolsNotRunning", "guestToolsNotRunning"

    def guest_nics(self) -> list[vim.vm.GuestInfo.NicInfo]:
        reported = {n["mac"]: n for n in self.guest_report.get("nics", [])}
        out = []
        for dev in _nics(self.config_read):
            rep = reported.get(dev.macAddress, {})
            cidrs = [a for a in rep.get("ipAddress", []) if a]
            ips = [c.split("/")[0] for c in cidrs]
            out.append(
                vim.vm.GuestInfo.NicInfo(
                    network=dev.backing.deviceName
                    if isinstance(dev.backing, vim.vm.device.VirtualDevice.DeviceBackingInfo)
                    else None,
                    macAddress=dev.macAddress,
                    connected=bool(dev.connectable and dev.connectable.connected),
                    deviceConfigId=dev.key,
                    ipAddress=ips,
                    ipConfig=vim.net.IpConfigInfo(
                        ipAddress=[
                            vim.net.IpConfigInfo.IpAddress(
                                ipAddress=c.split("/")[0],
                                prefixLength=int(c.split("/")[1]) if "/" in c else 32,
                                state="preferred",
                                origin="dhcp" if rep.get("dhcp") else "manual",
                            )
                            for c in cidrs
                        ]
                    )
                    if cidrs
                    else None,
                )
            )
        return out

    def primary_ip(self, nics: list[vim.vm.GuestInfo.NicInfo]) -> str | None:
        ips = [ip for nic in nics for ip in nic.ipAddress]
        return next((ip for ip in ips if ipaddress.ip_address(ip).version == 4), ips[0] if ips else None)

    def prop_guest(self, ctx: CallContext) -> vim.vm.GuestInfo:
        tools_status, running_status = self._tools_status()
        running = self.tools_running
        nics = self.guest_nics() if running else []
        return vim.vm.GuestInfo(
            toolsStatus=tools_status,
            toolsRunningStatus=running_status,
            toolsVersionStatus="guestToolsCurrent" if self.tools_installed else "guestToolsNotInstalled",
            toolsVersionStatus2="guestToolsCurrent" if self.tools_installed else "guestToolsNotInstalled",
            toolsVersion=TOOLS_VERSION if self.tools_installed else "0",
            toolsInstallType="guestToolsTypeOpenVMTools" if self.tools_installed else None,
            guestId=self.config_read.guestId,
            guestFamily=GUEST_FAMILY.get(self.family, "linuxGuest"),
            guestFullName=self.config_read.guestFullName,
            hostName=self.guest_report.get("hostName") or None if running else None,
            ipAddress=self.primary_ip(nics),
            net=nics,
            guestState="running" if running else "notRunning",
            appHeartbeatStatus="appStatusGray",
            guestKernelCrashed=False,
            guestOperationsReady=running,
            interactiveGuestOperationsReady=False,
            guestStateChangeSupported=running,
            hwVersion=self.config_read.version,
            customizationInfo=self.customization_info,
        )

    def prop_summary(self, ctx: CallContext) -> vim.vm.Summary:
        guest = self.prop_guest(ctx)
        return vim.vm.Summary(
            vm=self.ref,
            runtime=self.prop_runtime(ctx),
            guest=vim.vm.Summary.GuestSummary(
                guestId=guest.guestId,
                guestFullName=guest.guestFullName,
                toolsStatus=guest.toolsStatus,
                toolsVersionStatus=guest.toolsVersionStatus,
                toolsVersionStatus2=guest.toolsVersionStatus2,
                toolsRunningStatus=guest.toolsRunningStatus,
                hostName=guest.hostName,
                ipAddress=guest.ipAddress,
                hwVersion=self.config_read.version,
            ),
            config=vim.vm.Summary.ConfigSummary(
                name=self.name,
                template=bool(self.config_read.template),
                vmPathName=self.config_read.files.vmPathName,
                memorySizeMB=self.config_read.hardware.memoryMB,
                numCpu=self.config_read.hardware.numCPU,
                numEthernetCards=len(self.nics()),
                numVirtualDisks=sum(isinstance(d, vim.vm.device.VirtualDisk) for d in self.config_read.hardware.device),
                installBootRequired=False,
                cpuReservation=0,
                memoryReservation=0,
                uuid=self.config_read.uuid,
                instanceUuid=self.config_read.instanceUuid,
                guestId=self.config_read.guestId,
                guestFullName=self.config_read.guestFullName,
                hwVersion=self.config_read.version,
            ),
            storage=vm_storage.storage_summary(self),
            quickStats=vim.vm.Summary.QuickStats(guestHeartbeatStatus=self.prop_guestHeartbeatStatus(ctx)),
            overallStatus="green",
        )

    def prop_guestHeartbeatStatus(self, ctx: CallContext) -> str:
        return "green" if self.tools_running else "gray"

    def prop_resourcePool(self, ctx: CallContext) -> T.ManagedObject | None:
        return self.pool.ref if self.pool else None

    def prop_datastore(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.Datastore, [d.ref for d in vm_properties.datastores(self)])

    def prop_network(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.Network, [n.ref for n in vm_properties.networks(self)])

    def prop_layout(self, ctx: CallContext) -> vim.vm.FileLayout:
        return vm_storage.layout(self)

    def prop_layoutEx(self, ctx: CallContext) -> vim.vm.FileLayoutEx:
        return vm_storage.layout_ex(self)

    def prop_storage(self, ctx: CallContext) -> vim.vm.StorageInfo:
        return vm_properties.storage(self)

    def prop_environmentBrowser(self, ctx: CallContext) -> T.ManagedObject:
        return vm_properties.environment_browser(self)

    def prop_resourceConfig(self, ctx: CallContext) -> vim.ResourceConfigSpec:
        return vm_properties.resource_config(self)

    def prop_capability(self, ctx: CallContext) -> vim.vm.Capability:
        from .environment_browser import vm_capability

        return vm_capability()

    # ------------------------------------------------------------ VmxHandler (RPCIs from the guest)

    def guestinfo_get(self, key: str) -> str | None:
        return self.extra_config(key) if key.startswith("guestinfo.") else None

    def guestinfo_set(self, key: str, value: str) -> None:
        if key.startswith("guestinfo."):
            self.set_extra_config(key, value)
            self.save()

    def on_guest_info(self, info: dict[str, Any]) -> None:
        self.guest_report = {"hostName": str(info.get("hostName", "")), "nics": list(info.get("nics", []))}
        self.save()

    def on_tools_state(self) -> None:
        self.si.notify(self, "guest")
        if self.staged_customization is not None:  # tools that came up late pick up a staged package now
            self.apply_staged_customization()


def _nics(config: vim.vm.ConfigInfo) -> list[vim.vm.device.VirtualEthernetCard]:
    return [d for d in config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)]


_EXTRA: type = vim.option.OptionValue.Array  # type: ignore[attr-defined]  # ConfigInfo.extraConfig's type
