"""ServiceInstance: the root of the API, and the registry from moId to managed object.

Everything a call needs hangs off this one object (store, managers, backends), passed
explicitly in each CallContext: there is no module-level state.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pyVmomi import vim

from ..store import Store
from ..testhooks import Clock, TestHooks
from ..vim import soap_fast
from . import datastore, network, restore
from .alarm_manager import AlarmManager
from .authorization_manager import AuthorizationManager
from .base import CallContext, ManagedEntity, ManagedObject, now
from .compute_resource import ComputeResource
from .custom_fields_manager import CustomFieldsManager
from .customization_spec_manager import CustomizationSpecManager
from .datacenter import Datacenter
from .datastore import Datastore
from .diagnostic_manager import DiagnosticManager
from .event_manager import EventManager
from .extension_manager import ExtensionManager
from .folder import Folder
from .guest_customization_manager import GuestCustomizationManager
from .guest_operations_manager import GuestOperationsManager
from .host_system import HostSystem
from .inject import Injector
from .license_assignment_manager import LicenseAssignmentManager
from .license_manager import LicenseManager
from .network import Network
from .option_manager import OptionManager
from .performance_manager import PerformanceManager
from .property_collector import PropertyCollector
from .resource_pool import ResourcePool
from .scheduled_task_manager import ScheduledTaskManager
from .search_index import SearchIndex
from .session_manager import SessionManager
from .task_manager import TaskManager
from .view_manager import ViewManager
from .virtual_machine import VirtualMachine
from .vm_config import Placement, make_config

ABOUT = {
    "name": "VMware vCenter Server",
    "fullName": "VMware vCenter Server 9.1.0 build-0 (gosc)",
    "vendor": "VMware, Inc.",
    "version": "9.1.0",
    "build": "0",
    "localeVersion": "INTL",
    "localeBuild": "000",
    "osType": "linux-x64",
    "productLineId": "vpx",
    "apiType": "VirtualCenter",
    "apiVersion": "9.1.0.0",
    "licenseProductName": "VMware VirtualCenter Server",
    "licenseProductVersion": "9.0",
}

if TYPE_CHECKING:
    from ..guest.vmx import ToolsConnection

_M = TypeVar("_M", bound=ManagedObject)


class GuestBackend(Protocol):
    """What the inventory asks of a guest backend (backends/rootfs.py, backends/netns.py)."""

    def create_from_skeleton(self, vm: VirtualMachine, family: str) -> None: ...

    def clone_tree(self, source: VirtualMachine, child: VirtualMachine) -> None: ...

    def destroy_tree(self, vm: VirtualMachine) -> None: ...

    # snapshots (vm_snapshot): ``key`` names a snapshot's copy of the tree within its VM
    def capture_snapshot(self, vm: VirtualMachine, key: str, parent: str | None) -> None: ...

    def restore_snapshot(self, vm: VirtualMachine, key: str) -> None: ...

    def delete_snapshot(self, vm: VirtualMachine, key: str) -> None: ...

    def clone_from_snapshot(self, source: VirtualMachine, key: str, child: VirtualMachine) -> None: ...

    async def power_on(self, vm: VirtualMachine, tools: ToolsConnection) -> None: ...

    async def power_off(self, vm: VirtualMachine, tools: ToolsConnection) -> None: ...


class ServiceInstance(ManagedObject):
    vim_type = vim.ServiceInstance
    anonymous_properties = frozenset({"content", "serverClock"})

    def __init__(
        self, store: Store, data_dir: Path, backends: dict[str, GuestBackend], *, guest_reboot_seconds: float = 5.0
    ) -> None:
        self.objects: dict[str, ManagedObject] = {}
        # The inventory tree alone (no tasks, filters, views): what tree walks iterate.
        self.entities: dict[str, ManagedEntity] = {}
        super().__init__(self, "ServiceInstance")
        self.store = store
        self.data_dir = data_dir
        self.backends = backends
        self.guest_reboot_seconds = guest_reboot_seconds  # how long a RebootGuest keeps a guest down
        # GOSC_TEST_HOOKS names the tests' hook directory (testhooks.py); unset in real use.
        self.hooks = TestHooks.from_env()
        self.clock = Clock(self.hooks)
        self.injector = Injector()  # faults and delays a test injects (inject.py); empty in real use
        self.instance_uuid = self._meta_uuid()
        self._listeners: list[Callable[[ManagedObject, str | None], None]] = []
        self.register(self)
        self.authorization_manager = self.register(AuthorizationManager(self))
        self.session_manager = self.register(SessionManager(self))
        self.task_manager = self.register(TaskManager(self))
        self.event_manager = self.register(EventManager(self))
        self.search_index = self.register(SearchIndex(self))
        self.guest_customization_manager = self.register(GuestCustomizationManager(self))
        self.customization_spec_manager = self.register(CustomizationSpecManager(self))
        self.property_collector = self.register(PropertyCollector(self))
        self.view_manager = self.register(ViewManager(self))
        assignments = self.register(LicenseAssignmentManager(self))
        self.license_manager = self.register(LicenseManager(self, assignments))
        self.option_manager = self.register(OptionManager(self))
        self.performance_manager = self.register(PerformanceManager(self))
        self.custom_fields_manager = self.register(CustomFieldsManager(self))
        self.extension_manager = self.register(ExtensionManager(self))
        self.diagnostic_manager = self.register(DiagnosticManager(self))
        self.guest_operations_manager = self.register(GuestOperationsManager(self))
        self.scheduled_task_manager = self.register(ScheduledTaskManager(self))
        self.alarm_manager = self.register(AlarmManager(self))
        self.root_folder: Folder = self.register(
            Folder(self, "group-d1", "Datacenters", None, ["Folder", "Datacenter"])
        )

    def _meta_uuid(self) -> str:
        for _, doc in self.store.load("meta"):
            if "instanceUuid" in doc:
                return str(doc["instanceUuid"])
        value = str(uuid.uuid4())
        self.store.put("meta", "instance", {"instanceUuid": value})
        return value

    # ------------------------------------------------------------ registry

    def register(self, obj: _M) -> _M:
        self.objects[obj.moId] = obj
        if isinstance(obj, ManagedEntity):
            self.entities[obj.moId] = obj
        return obj

    def unregister(self, obj: ManagedObject) -> None:
        self.objects.pop(obj.moId, None)
        self.entities.pop(obj.moId, None)
        kind = _kind_of(obj)
        if kind:
            self.store.delete(kind, obj.moId)
        self.notify(obj, None)

    def new_moid(self, prefix: str) -> str:
        return f"{prefix}-{self.store.next_id(prefix)}"

    def vms(self) -> list[VirtualMachine]:
        return [o for o in self.entities.values() if isinstance(o, VirtualMachine)]

    def backend(self, name: str) -> GuestBackend:
        return self.backends[name]

    def entity_of(self, moid: str, cls: type[_M]) -> _M:
        """The object ``moid``, which the store says is a ``cls``."""
        obj = self.objects.get(moid)
        if not isinstance(obj, cls):
            raise LookupError(f"the store names {moid} as a {cls.__name__}, but it is {obj!r}")
        return obj

    def save(self, obj: ManagedEntity) -> None:
        doc = obj.to_doc()
        doc["parent"] = obj.parent_obj.moId if obj.parent_obj else None
        self.store.put(_kind_of(obj), obj.moId, doc)

    # ------------------------------------------------------------ change notification

    def subscribe(self, listener: Callable[[ManagedObject, str | None], None]) -> None:
        """``listener(obj, property or None for "anything")`` after each change."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[ManagedObject, str | None], None]) -> None:
        self._listeners.remove(listener)

    def notify(self, obj: ManagedObject, prop: str | None) -> None:
        for listener in list(self._listeners):
            listener(obj, prop)

    # ------------------------------------------------------------ building the inventory

    def create_datacenter(self, name: str, parent: Folder | None = None) -> Datacenter:
        dc = Datacenter(self, self.new_moid("datacenter"), name, parent or self.root_folder)
        self.register(dc)
        dc.folders = {}
        for kind, child_type in (
            ("vm", ["Folder", "VirtualMachine", "VirtualApp"]),
            ("host", ["Folder", "ComputeResource"]),
            ("datastore", ["Folder", "Datastore"]),
            ("network", ["Folder", "Network"]),
        ):
            f = Folder(self, self.new_moid("group-" + kind[0]), kind, dc, child_type)
            dc.folders[kind] = self.register(f)
        self.save(dc)
        for f in dc.folders.values():
            self.save(f)
        self.ensure_storage_and_network(dc)
        return dc

    def ensure_storage_and_network(self, dc: Datacenter) -> None:
        """Give ``dc`` its datastore and its VM network unless it has them (a data
        directory from a gosc without them gets them at load)."""
        if not any(
            isinstance(o, Datastore) and o.parent_obj is dc.folders["datastore"] for o in self.entities.values()
        ):
            ds = Datastore(self, self.new_moid("datastore"), datastore.DEFAULT_NAME, dc.folders["datastore"])
            self.save(self.register(ds))
        if not any(isinstance(o, Network) and o.parent_obj is dc.folders["network"] for o in self.entities.values()):
            net = Network(self, self.new_moid("network"), network.DEFAULT_NAME, dc.folders["network"])
            self.save(self.register(net))
        self.ensure_browsers()

    def placement(self, folder: Folder) -> Placement:
        """Where a VM made in ``folder`` keeps its files and connects its NICs: its
        datacenter's first datastore and its \"VM Network\"."""
        dc = folder.datacenter()
        stores = [o for o in self.entities.values() if isinstance(o, Datastore) and o.datacenter() is dc]
        nets = [o for o in self.entities.values() if isinstance(o, Network) and o.datacenter() is dc]
        ds = stores[0] if stores else None
        net = next((n for n in nets if n.name == network.DEFAULT_NAME), nets[0] if nets else None)
        return Placement(
            datastore_name=ds.name if ds else datastore.DEFAULT_NAME,
            datastore=vim.Datastore(ds.moId) if ds else None,
            network_name=net.name if net else network.DEFAULT_NAME,
            network=vim.Network(net.moId) if net else None,
        )

    def create_host(self, name: str, dc: Datacenter) -> HostSystem:
        cr = self.register(ComputeResource(self, self.new_moid("domain-s"), name, dc.folders["host"]))
        self.save(cr)
        pool = self.register(ResourcePool(self, self.new_moid("resgroup"), "Resources", cr))
        self.save(pool)
        host = self.register(HostSystem(self, self.new_moid("host"), name, cr))
        self.save(host)
        self.ensure_browsers()
        return host

    def new_macs(self, count: int) -> list[str]:
        """``count`` vCenter-assigned MACs (00:50:56:80:00:00 - 00:50:56:bf:ff:ff), unique here."""
        if count == 0:
            return []  # a VM made without NICs reads no other VM's (10,000 of them, made in a loop)
        used = {m for vm in self.vms() for m in vm.macs()}
        out: list[str] = []
        offset = int(self.instance_uuid[:4], 16) << 8
        while len(out) < count:
            for i in self.store.next_ids("mac", count - len(out)):
                n = i + offset
                mac = f"00:50:56:{0x80 | ((n >> 16) & 0x3F):02x}:{(n >> 8) & 0xFF:02x}:{n & 0xFF:02x}"
                if mac not in used:
                    used.add(mac)
                    out.append(mac)
        return out

    def create_vm(
        self,
        *,
        name: str,
        folder: Folder,
        host: HostSystem,
        pool: ResourcePool | None,
        guest_id: str,
        guest_full_name: str,
        nic_count: int,
        backend: str,
        tools_installed: bool,
        family: str,
        bios_uuid: str | None = None,
        extra: list[vim.option.OptionValue] | None = None,
    ) -> VirtualMachine:
        macs = self.new_macs(nic_count)
        config = make_config(
            name,
            guest_id,
            guest_full_name,
            macs,
            self.placement(folder),
            tools_installed=tools_installed,
            bios_uuid=bios_uuid,
            extra=extra,
        )
        vm = VirtualMachine(
            self,
            self.new_moid("vm"),
            name,
            folder,
            config=config,
            host=host,
            pool=pool,
            backend=backend,
            tools_installed=tools_installed,
            family=family,
        )
        self.register(vm)
        vm.save()
        return vm

    # ------------------------------------------------------------ restart

    async def load(self) -> None:
        """Recreate the inventory from the store and power on what was on (restore.py)."""
        await restore.load(self)

    def ensure_browsers(self) -> None:
        """Make the stateless browsers (environment, datastore) of every compute resource,
        host and datastore, so that their morefs answer from the start, also after a restart."""
        for o in list(self.entities.values()):
            if isinstance(o, ComputeResource):
                o.environment_browser()
            elif isinstance(o, HostSystem):
                o.datastore_browser()
                o.config_managers()
            elif isinstance(o, Datastore):
                o.browser()

    def restore_vm(self, moid: str, doc: dict[str, Any]) -> VirtualMachine:
        """A VM back in the inventory from its stored document (RegisterVM_Task)."""
        return restore.restore_vm(self, moid, doc)

    async def shutdown(self) -> None:
        """Stop agents; leave power states as they are so that a restart resumes them."""
        await self.guest_customization_manager.stop()  # before the agents: a staged one stays staged
        await self.scheduled_task_manager.stop()
        for vm in self.vms():
            vm.cancel_reboot()  # a restart boots every powered-on VM anyway
            if vm.power_state == "poweredOn" and not vm.guest_pending:  # a pending guest never started
                await self.backend(vm.backend).power_off(vm, vm.tools)
        for task in self.task_manager.running():
            if task.runner is not None:
                task.runner.cancel()
                with contextlib.suppress(BaseException):
                    await task.runner
        self.authorization_manager.password_checks.close()
        self.diagnostic_manager.close()
        self.guest_operations_manager.close()

    # ------------------------------------------------------------ API

    def content(self) -> vim.ServiceInstanceContent:
        # Invariant (fixed references, UUID): built once; the serializers trim it per release.
        content: vim.ServiceInstanceContent | None = self.__dict__.get("_content")
        if content is None:
            content = self.__dict__["_content"] = self._build_content()
            soap_fast.freeze(content)
            soap_fast.freeze(content.about)
        return content

    def _build_content(self) -> vim.ServiceInstanceContent:
        return vim.ServiceInstanceContent(
            rootFolder=self.root_folder.ref,
            propertyCollector=self.property_collector.ref,
            viewManager=self.view_manager.ref,
            about=vim.AboutInfo(instanceUuid=self.instance_uuid, **ABOUT),
            sessionManager=self.session_manager.ref,
            authorizationManager=self.authorization_manager.ref,
            taskManager=self.task_manager.ref,
            eventManager=self.event_manager.ref,
            searchIndex=self.search_index.ref,
            customizationSpecManager=self.customization_spec_manager.ref,
            guestCustomizationManager=self.guest_customization_manager.ref,
            licenseManager=self.license_manager.ref,
            setting=self.option_manager.ref,
            perfManager=self.performance_manager.ref,
            customFieldsManager=self.custom_fields_manager.ref,
            extensionManager=self.extension_manager.ref,
            diagnosticManager=self.diagnostic_manager.ref,
            guestOperationsManager=self.guest_operations_manager.ref,
            scheduledTaskManager=self.scheduled_task_manager.ref,
            alarmManager=self.alarm_manager.ref,
        )

    def prop_content(self, ctx: CallContext) -> vim.ServiceInstanceContent:
        return self.content()

    def prop_serverClock(self, ctx: CallContext) -> datetime.datetime:
        return now()

    def prop_capability(self, ctx: CallContext) -> vim.Capability:
        return vim.Capability(provisioningSupported=True, multiHostSupported=True, userShellAccessSupported=False)

    def RetrieveServiceContent(self, ctx: CallContext) -> vim.ServiceInstanceContent:
        return self.content()

    def CurrentTime(self, ctx: CallContext) -> datetime.datetime:
        return now()


def _kind_of(obj: ManagedObject) -> str:
    for cls, kind in (
        (VirtualMachine, "vm"),
        (Folder, "folder"),
        (Datacenter, "datacenter"),
        (ComputeResource, "compute"),
        (ResourcePool, "pool"),
        (HostSystem, "host"),
        (Datastore, "datastore"),
        (Network, "network"),
    ):
        if isinstance(obj, cls):
            return kind
    return ""
