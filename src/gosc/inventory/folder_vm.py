"""Folder.CreateVM_Task and RegisterVM_Task: new VMs in a VM folder (Folder inherits this).

A created VM is powered off and has the devices of every gosc VM (vm_config.py) with the
spec's CPUs, memory, NICs, disk size, hardware version and options.  Its guest tree is the
skeleton of its guestId's family (an installed OS with open-vm-tools, where vCenter would
give an empty disk: a gosc VM exists to be customized); a guestId of no family gosc ships
gets an empty disk and no tools.  A VM unregistered with UnregisterVM keeps its files and
guest tree, stored under its ``.vmx`` path; RegisterVM_Task brings it back.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any, cast

from pyVmomi import vim, vmodl

from ..vim import names
from ..vim import types as T
from ..vim.faults import fault, invalid_argument
from . import guest_os
from .base import CallContext, ManagedEntity
from .vm_config import HARDWARE_VERSION

if TYPE_CHECKING:
    from .folder import Folder
    from .host_system import HostSystem
    from .resource_pool import ResourcePool
    from .task import Task
    from .virtual_machine import VirtualMachine

UNREGISTERED = "unregistered"  # the store's kind of unregistered VMs, keyed by instance UUID
MAX_CPUS = 768
MAX_MEMORY_MB = 24 * 1024 * 1024
_VMX = re.compile(r"^vmx-(\d+)$")
_DS_PATH = re.compile(r"^\[([^\]]+)\]\s*(.*)$")
# guestId prefixes and the skeleton family (gosc.guest.skeletons) their VMs boot.
_FAMILIES = (
    ("ubuntu", "ubuntu"),
    ("debian", "debian"),
    ("centos7", "centos7"),
    ("rhel7", "centos7"),
    ("centos8", "rhel8"),
    ("rhel8", "rhel8"),
    ("rocky", "rhel9"),
    ("alma", "rhel9"),
    ("centos", "rhel9"),
    ("rhel", "rhel9"),
    ("sles", "sles15"),
    ("vmwarePhoton", "photon5"),
    ("win", "windows"),
)


def skeleton_family(guest_id: str) -> str | None:
    """The guest family whose tree a new VM of ``guest_id`` boots; None: an empty disk."""
    return next((fam for prefix, fam in _FAMILIES if guest_id.startswith(prefix)), None)


def hardware_version(value: str, path: str) -> int:
    m = _VMX.match(value)
    if m is None:
        raise invalid_argument(path, f"'{value}' is not a hardware version (vmx-NN)")
    n = int(m.group(1))
    if not 4 <= n <= int(HARDWARE_VERSION.removeprefix("vmx-")):
        raise invalid_argument(
            path, f"{value} is not a hardware version this host supports (vmx-04 to {HARDWARE_VERSION})"
        )
    return n


class FolderVms(ManagedEntity):
    child_type: list[str]

    if TYPE_CHECKING:

        def as_folder(self) -> Folder: ...

        def new_child_name(self, name: str | None, path: str) -> str: ...

    def _vm_folder(self) -> None:
        if "VirtualMachine" not in self.child_type:
            raise fault(vmodl.fault.NotSupported, f"The folder {self.name} holds no virtual machines.")

    def _pool_and_host(
        self, pool_ref: T.ManagedObject | None, host_ref: T.ManagedObject | None
    ) -> tuple[ResourcePool, HostSystem]:
        pool = self.si.objects.get(pool_ref._moId) if pool_ref is not None else None
        if pool is None or pool.vim_type is not vim.ResourcePool:
            raise invalid_argument("pool", "name the resource pool the VM takes its share from")
        owner = cast("ResourcePool", pool).parent_obj
        hosts = owner.hosts()
        if host_ref is not None:
            host = self.si.objects.get(host_ref._moId)
            if host is None or host.vim_type is not vim.HostSystem or host not in hosts:
                raise invalid_argument("host", f"'{host_ref._moId}' is not a host of {owner.name}")
            hosts = [h for h in hosts if h is host]
        if not hosts:
            raise fault(vim.fault.NoCompatibleHost, f"{owner.name} has no host to run the VM on.")
        if owner.datacenter() is not self.datacenter():
            raise invalid_argument("pool", f"{owner.name} is in another datacenter")
        return pool, hosts[0]  # type: ignore[return-value]  # pool is a ResourcePool (vim_type)

    def _datastore_of(self, path: str | None, prop: str) -> str:
        m = _DS_PATH.match(path or "")
        if m is None:
            raise invalid_argument(prop, f"'{path}' is not a datastore path ([datastore] folder/name.vmx)")
        ds = m.group(1)
        dc = self.datacenter()
        if not any(
            o.vim_type is vim.Datastore and o.name == ds and o.datacenter() is dc for o in self.si.entities.values()
        ):
            raise fault(
                vim.fault.InvalidDatastorePath, f"The datastore '{ds}' is not in this datacenter.", datastorePath=path
            )
        return ds

    def _check_spec(self, spec: vim.vm.ConfigSpec) -> tuple[str, int]:
        """The spec's problems as InvalidArgument naming the property; its name and NIC count."""
        stored = self.new_child_name(spec.name, "config.name")
        self._datastore_of(spec.files.vmPathName if spec.files else None, "config.files.vmPathName")
        if spec.guestId is not None and spec.guestId not in guest_os.all_ids():
            raise invalid_argument("config.guestId", f"'{spec.guestId}' is not a guest OS identifier")
        if spec.numCPUs is not None and not 1 <= spec.numCPUs <= MAX_CPUS:
            raise invalid_argument("config.numCPUs", f"a VM has 1 to {MAX_CPUS} virtual CPUs")
        memory: int | None = spec.memoryMB
        if memory is not None and (memory < 4 or memory % 4 or memory > MAX_MEMORY_MB):
            raise invalid_argument("config.memoryMB", f"memory is a multiple of 4 MB from 4 to {MAX_MEMORY_MB}")
        if spec.version is not None:
            hardware_version(spec.version, "config.version")
        if spec.annotation is not None and (problem := names.xml_problem(spec.annotation)):
            raise invalid_argument("config.annotation", problem)
        nics = 0
        D = vim.vm.device
        for i, change in enumerate(spec.deviceChange or []):
            where = f"config.deviceChange[{i}]"
            if change.operation != "add" or change.device is None:
                raise invalid_argument(f"{where}.operation", "a new VM's devices are added")
            dev = change.device
            if isinstance(dev, D.VirtualEthernetCard):
                nics += 1
            elif not isinstance(dev, D.VirtualDisk | D.VirtualController | D.VirtualCdrom | D.VirtualFloppy):
                raise fault(vmodl.fault.NotSupported, f"gosc does not add a {type(dev).__name__} ({where}.device)")
        return stored, nics

    # ------------------------------------------------------------ CreateVM_Task

    def CreateVM_Task(
        self, ctx: CallContext, config: vim.vm.ConfigSpec, pool: vim.ResourcePool, host: vim.HostSystem | None = None
    ) -> T.ManagedObject:
        ctx.check(self, "VirtualMachine.Inventory.Create")
        self._vm_folder()
        name, nics = self._check_spec(config)
        target_pool, target_host = self._pool_and_host(pool, host)
        ctx.check(target_pool, "Resource.AssignVMToPool")

        async def work(task: Task) -> T.ManagedObject:
            stored, _ = self._check_spec(config)  # again: the name may have been taken since
            vm = self._make_vm(stored, config, nics, target_pool, target_host)
            vm.post_vm_event(
                vim.event.VmBeingCreatedEvent(configSpec=config),
                ctx.user,
                f"Creating {vm.name} on host {target_host.name}",
                task.info.eventChainId,
            )
            family = vm.family
            try:
                if family:
                    await asyncio.to_thread(self.si.backend(vm.backend).create_from_skeleton, vm, family)
            except BaseException:
                self.si.unregister(vm)
                await asyncio.to_thread(self.si.backend(vm.backend).destroy_tree, vm)
                raise
            vm.post_vm_event(
                vim.event.VmCreatedEvent(), ctx.user, f"Created virtual machine {vm.name}", task.info.eventChainId
            )
            self.si.notify(self, "childEntity")
            return vm.ref

        del name
        return self.si.task_manager.submit(ctx, self, "CreateVM_Task", work)

    def _make_vm(
        self, name: str, spec: vim.vm.ConfigSpec, nics: int, pool: ResourcePool, host: HostSystem
    ) -> VirtualMachine:
        guest_id = spec.guestId or "otherGuest"
        family = skeleton_family(guest_id)
        linux_backend = "netns" if "netns" in self.si.backends else "rootfs"
        vm = self.si.create_vm(
            name=name,
            folder=self.as_folder(),
            host=host,
            pool=pool,
            guest_id=guest_id,
            guest_full_name=guest_os.descriptor(guest_id).fullName,
            nic_count=nics,
            backend=linux_backend if family and family != "windows" else "rootfs",
            tools_installed=family is not None,
            family=family or "",
            extra=[vim.option.OptionValue(key=o.key, value=o.value) for o in spec.extraConfig or []],
        )
        hw, c = vm.config.hardware, vm.config
        # unset is None, whatever pyVmomi's stubs say
        cpus: int | None = spec.numCPUs
        cores: int | None = spec.numCoresPerSocket
        memory: int | None = spec.memoryMB
        version: str | None = spec.version
        if cpus is not None:
            hw.numCPU = cpus
        if cores is not None:
            hw.numCoresPerSocket = cores
        if memory is not None:
            hw.memoryMB = memory
        if version is not None:
            c.version = f"vmx-{hardware_version(version, 'config.version'):02d}"
        c.annotation = spec.annotation
        if spec.firmware:
            c.firmware = spec.firmware
        disk_kb: int | None = next(
            (
                ch.device.capacityInKB
                for ch in spec.deviceChange or []
                if isinstance(ch.device, vim.vm.device.VirtualDisk) and ch.device.capacityInKB
            ),
            None,
        )
        for dev in hw.device:
            if disk_kb and isinstance(dev, vim.vm.device.VirtualDisk):
                dev.capacityInKB = disk_kb
                dev.capacityInBytes = cast(Any, disk_kb * 1024)  # pyVmomi's stubs declare it None
        vm.save()
        return vm

    # ------------------------------------------------------------ RegisterVM_Task

    def _unregistered(self, path: str) -> tuple[str, dict[str, Any]] | None:
        want = " ".join(path.split())
        for key, doc in self.si.store.load(UNREGISTERED):
            if " ".join(str(doc.get("path", "")).split()) == want:
                return key, doc
        return None

    def RegisterVM_Task(
        self,
        ctx: CallContext,
        path: str,
        asTemplate: bool,
        name: str | None = None,
        pool: vim.ResourcePool | None = None,
        host: vim.HostSystem | None = None,
    ) -> T.ManagedObject:
        ctx.check(self, "VirtualMachine.Inventory.Register")
        self._vm_folder()
        if asTemplate and host is None:
            raise invalid_argument("host", "a template is registered on a host")
        if asTemplate and pool is not None:
            raise invalid_argument("pool", "a template has no resource pool")
        if not asTemplate and pool is None:
            raise invalid_argument("pool", "name the resource pool the VM takes its share from")
        self._datastore_of(path, "path")
        if any(v.vmx_path == path for v in self.si.vms()):
            raise fault(vim.fault.AlreadyExists, f"A virtual machine is registered from {path} already.", name=path)
        found = self._unregistered(path)
        if found is None:
            raise fault(vim.fault.NotFound, f"The file {path} was not found.")
        key, doc = found
        stored = self.new_child_name(name if name is not None else doc["name"], "name")
        if asTemplate:
            owner = self.si.objects.get(host._moId) if host is not None else None
            if owner is None or owner.vim_type is not vim.HostSystem:
                raise invalid_argument("host", "not a host")
            target_host, target_pool = cast("HostSystem", owner), None
        else:
            target_pool, target_host = self._pool_and_host(pool, host)

        async def work(task: Task) -> T.ManagedObject:
            again = self._unregistered(path)
            if again is None:
                raise fault(vim.fault.NotFound, f"The file {path} was not found.")
            vm_doc = dict(doc["vm"])
            vm_doc.update(
                name=stored,
                parent=self.moId,
                host=target_host.moId,
                pool=target_pool.moId if target_pool else None,
                powerState="poweredOff",
            )
            vm = self.si.restore_vm(self.si.new_moid("vm"), vm_doc)
            vm.config.name = stored
            vm.config.template = bool(asTemplate)
            self.si.store.delete(UNREGISTERED, key)
            vm.save()
            vm.post_vm_event(
                vim.event.VmRegisteredEvent(),
                ctx.user,
                f"Registered {vm.name} on {target_host.name}",
                task.info.eventChainId,
            )
            self.si.notify(self, "childEntity")
            return vm.ref

        return self.si.task_manager.submit(ctx, self, "RegisterVM_Task", work)
