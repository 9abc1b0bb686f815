"""VirtualMachine: config, runtime, guest; power operations, InstantClone_Task, Destroy_Task.

A VM's guest lives in a backend (a directory tree, or namespaces); the VM talks to its
guest only through the tools channel (``ToolsConnection``), whose RPCIs land in the
``VmxHandler`` methods at the bottom of this class.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pyVmomi import vim, vmodl

from ..guest.vmx import ToolsConnection
from ..vim import json_codec, names
from ..vim import types as T
from ..vim.faults import fault, invalid_argument
from . import vm_properties, vm_storage
from .base import CallContext, ManagedEntity, ManagedObject, now
from .vm_config import TOOLS_VERSION

if TYPE_CHECKING:
    from .folder import Folder
    from .host_system import HostSystem
    from .resource_pool import ResourcePool
    from .service_instance import ServiceInstance
    from .task import Task

GUEST_FAMILY = {"windows": "windowsGuest"}
_M = TypeVar("_M", bound=ManagedObject)


def invalid_power_state(vm: VirtualMachine, requested: str | None) -> vmodl.MethodFault:
    want = f"; it must be {requested}" if requested else ""
    return fault(
        vim.fault.InvalidPowerState,
        f"The attempted operation cannot be performed in the current state ({vm.power_state}) of {vm.name}{want}.",
        existingState=vm.power_state,
        requestedState=requested,
    )


class VirtualMachine(ManagedEntity):
    vim_type = vim.VirtualMachine
    parent_obj: Folder  # a VM's parent is always its VM folder

    def __init__(
        self,
        si: ServiceInstance,
        moId: str,
        name: str,
        parent: Folder,
        *,
        config: vim.vm.ConfigInfo,
        host: HostSystem,
        pool: ResourcePool | None,
        backend: str,
        tools_installed: bool,
        family: str,
    ) -> None:
        super().__init__(si, moId, name, parent)
        self.config = config
        self.host = host
        self.pool = pool
        self.backend = backend
        self.tools_installed = tools_installed
        self.family = family  # guest family of its skeleton / tree ("ubuntu", "rhel9", "windows" ...)
        self.power_state = "poweredOff"
        self.boot_time: datetime.datetime | None = None
        self.guest_report: dict[str, Any] = {"hostName": "", "nics": []}
        self.customization_info: vim.vm.GuestInfo.CustomizationInfo | None = None
        self.tools = ToolsConnection(self)

    # ------------------------------------------------------------ identity

    @property
    def instance_uuid(self) -> str:
        assert self.config.instanceUuid, "make_config gives every VM an instance UUID"
        return self.config.instanceUuid

    def nics(self) -> list[vim.vm.device.VirtualEthernetCard]:
        return [d for d in self.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)]

    def macs(self) -> list[str]:
        return [d.macAddress for d in self.nics() if d.macAddress]  # make_config gives each NIC one

    def extra_config(self, key: str) -> str | None:
        return next((str(o.value) for o in self.config.extraConfig if o.key == key), None)

    def set_extra_config(self, key: str, value: str) -> None:
        for o in self.config.extraConfig:
            if o.key == key:
                o.value = value
                return
        self.config.extraConfig.append(vim.option.OptionValue(key=key, value=value))

    @property
    def tools_running(self) -> bool:
        return self.power_state == "poweredOn" and self.tools.running

    # ------------------------------------------------------------ persistence

    def to_doc(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host.moId,
            "pool": self.pool.moId if self.pool else None,
            "config": json_codec.to_store(self.config),
            "powerState": self.power_state,
            "backend": self.backend,
            "toolsInstalled": self.tools_installed,
            "family": self.family,
            "guestReport": self.guest_report,
            "customizationInfo": json_codec.to_store(self.customization_info) if self.customization_info else None,
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
        for dev in self.nics():
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
            guestId=self.config.guestId,
            guestFamily=GUEST_FAMILY.get(self.family, "linuxGuest"),
            guestFullName=self.config.guestFullName,
            hostName=self.guest_report.get("hostName") or None if running else None,
            ipAddress=self.primary_ip(nics),
            net=nics,
            guestState="running" if running else "notRunning",
            appHeartbeatStatus="appStatusGray",
            guestKernelCrashed=False,
            guestOperationsReady=running,
            interactiveGuestOperationsReady=False,
            guestStateChangeSupported=running,
            hwVersion=self.config.version,
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
                hwVersion=self.config.version,
            ),
            config=vim.vm.Summary.ConfigSummary(
                name=self.name,
                template=False,
                vmPathName=self.config.files.vmPathName,
                memorySizeMB=self.config.hardware.memoryMB,
                numCpu=self.config.hardware.numCPU,
                numEthernetCards=len(self.nics()),
                numVirtualDisks=sum(isinstance(d, vim.vm.device.VirtualDisk) for d in self.config.hardware.device),
                installBootRequired=False,
                cpuReservation=0,
                memoryReservation=0,
                uuid=self.config.uuid,
                instanceUuid=self.config.instanceUuid,
                guestId=self.config.guestId,
                guestFullName=self.config.guestFullName,
                hwVersion=self.config.version,
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

    # ------------------------------------------------------------ power

    async def power_on(self) -> None:
        self.power_state = "poweredOn"
        self.boot_time = now()
        await self.si.backend(self.backend).power_on(self, self.tools)
        self.save()

    async def power_off(self) -> None:
        await self.si.backend(self.backend).power_off(self, self.tools)
        self.power_state = "poweredOff"
        self.boot_time = None
        self.guest_report = {"hostName": self.guest_report.get("hostName", ""), "nics": []}
        self.save()

    def PowerOnVM_Task(self, ctx: CallContext, host: vim.HostSystem | None = None) -> vim.Task:
        if self.power_state == "poweredOn":
            raise invalid_power_state(self, "poweredOff")
        return self._power_task(ctx, "PowerOnVM_Task", self.power_on, vim.event.VmPoweredOnEvent, "powered on")

    def PowerOffVM_Task(self, ctx: CallContext) -> vim.Task:
        if self.power_state != "poweredOn":
            raise invalid_power_state(self, "poweredOn")
        return self._power_task(ctx, "PowerOffVM_Task", self.power_off, vim.event.VmPoweredOffEvent, "powered off")

    def _power_task(
        self,
        ctx: CallContext,
        method: str,
        action: Callable[[], Awaitable[None]],
        event: type[vim.event.VmEvent],
        done: str,
    ) -> vim.Task:
        async def work(task: Task) -> None:
            await action()
            self.si.event_manager.post(
                event(
                    userName=ctx.user, template=False, fullFormattedMessage=f"{self.name} on {self.host.name} is {done}"
                ),
                vm=self,
                chain_id=task.info.eventChainId,
            )

        return self.si.task_manager.submit(ctx, self, method, work)

    def Destroy_Task(self, ctx: CallContext) -> vim.Task:
        ctx.check(self, "VirtualMachine.Inventory.Delete")
        if self.power_state != "poweredOff":
            raise invalid_power_state(self, "poweredOff")

        async def work(task: Task) -> None:
            self.si.event_manager.post(
                vim.event.VmRemovedEvent(
                    userName=ctx.user, template=False, fullFormattedMessage=f"Removed {self.name} on {self.host.name}"
                ),
                vm=self,
                chain_id=task.info.eventChainId,
            )
            self.si.unregister(self)
            await asyncio.to_thread(self.si.backend(self.backend).destroy_tree, self)

        return self.si.task_manager.submit(ctx, self, "Destroy_Task", work)

    # ------------------------------------------------------------ InstantClone_Task

    def InstantClone_Task(self, ctx: CallContext, spec: vim.vm.InstantCloneSpec) -> vim.Task:
        if self.power_state != "poweredOn":
            raise invalid_power_state(self, "poweredOn")
        folder, pool, host = self._clone_placement(ctx, spec)
        name = names.entity_name(spec.name, "spec.name")
        if any(c.name == name for c in folder.children()):
            raise fault(vim.fault.DuplicateName, f"The name '{name}' already exists.", name=name, object=folder.ref)
        for i, ov in enumerate(spec.config or []):
            if not ov.key:
                raise invalid_argument(f"spec.config[{i}].key", "an option key must not be empty")
        self.si.task_manager.check_free(self)

        async def work(task: Task) -> T.ManagedObject:
            child = self.si.create_vm(
                name=name,
                folder=folder,
                host=host,
                pool=pool,
                guest_id=self.config.guestId,
                guest_full_name=self.config.guestFullName,
                nic_count=len(self.nics()),
                backend=self.backend,
                tools_installed=self.tools_installed,
                family=self.family,
                bios_uuid=spec.biosUuid,
                extra=[vim.option.OptionValue(key=o.key, value=o.value) for o in self.config.extraConfig],
            )
            for ov in spec.config or []:
                child.set_extra_config(ov.key, "" if ov.value is None else str(ov.value))
            # An instant clone starts with its NICs disconnected: it shares the parent's
            # identity until customized (vSphere does this to avoid address conflicts).
            for dev in child.nics():
                if dev.connectable:
                    dev.connectable.connected = False
            child.guest_report = {"hostName": self.guest_report.get("hostName", ""), "nics": []}
            try:
                await asyncio.to_thread(self.si.backend(self.backend).clone_tree, self, child)
                await child.power_on()
            except Exception:
                self.si.unregister(child)
                await asyncio.to_thread(self.si.backend(self.backend).destroy_tree, child)
                raise
            self.si.event_manager.post(
                vim.event.VmClonedEvent(
                    userName=ctx.user,
                    template=False,
                    sourceVm=vim.event.VmEventArgument(name=self.name, vm=self.ref),
                    fullFormattedMessage=f"Instant clone of {self.name} completed as {child.name}",
                ),
                vm=child,
                chain_id=task.info.eventChainId,
            )
            return child.ref

        # Many instant clones of one running source may run at once, as on vSphere: the
        # source is read, never changed, so the task does not hold it.
        return self.si.task_manager.submit(ctx, self, "InstantClone_Task", work, lock=False)

    def _clone_placement(
        self, ctx: CallContext, spec: vim.vm.InstantCloneSpec
    ) -> tuple[Folder, ResourcePool | None, HostSystem]:
        from .folder import Folder
        from .host_system import HostSystem
        from .resource_pool import ResourcePool

        loc = spec.location
        folder = self._resolve(loc.folder, Folder, "spec.location.folder") if loc and loc.folder else self.parent_obj
        pool = self._resolve(loc.pool, ResourcePool, "spec.location.pool") if loc and loc.pool else self.pool
        host = self._resolve(loc.host, HostSystem, "spec.location.host") if loc and loc.host else self.host
        ctx.check(folder, "VirtualMachine.Inventory.CreateFromExisting")
        return folder, pool, host

    def _resolve(self, ref: T.ManagedObject, cls: type[_M], path: str) -> _M:
        obj = self.si.objects.get(ref._moId)
        if not isinstance(obj, cls):
            raise invalid_argument(path, f"'{ref._moId}' is not a {T.wsdl_name(cls.vim_type)}")
        return obj

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
