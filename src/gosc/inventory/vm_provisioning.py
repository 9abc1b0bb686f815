"""A VM's life in the inventory: CloneVM_Task, InstantClone_Task, Destroy_Task,
MarkAsTemplate and MarkAsVirtualMachine.

A clone is a new VM (new MACs, UUIDs, moId) whose guest tree is a copy of its source's,
made by the source's backend; from ``spec.snapshot``, of that snapshot's tree and
configuration (a linked clone, ``createNewChildDiskBacking``, needs one).  Argument problems (a reference of the wrong type, a bad or
taken name, a spec that cannot work) fail the call; the source's state (an instant clone
of a VM that is not running, destroying a running VM) ends the task in error.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from pyVmomi import vim, vmodl

from ..vim import names
from ..vim import types as T
from ..vim.faults import fault, invalid_argument, not_found
from .base import CallContext
from .vm_base import VmBase, invalid_power_state

if TYPE_CHECKING:
    from .folder import Folder
    from .host_system import HostSystem
    from .resource_pool import ResourcePool
    from .task import Task
    from .virtual_machine import VirtualMachine
    from .virtual_machine_snapshot import VirtualMachineSnapshot


class VmProvisioning(VmBase):
    # ------------------------------------------------------------ Destroy_Task

    def Destroy_Task(self, ctx: CallContext) -> vim.Task:
        ctx.check(self, "VirtualMachine.Inventory.Delete")

        async def work(task: Task) -> None:
            # A suspended VM may be deleted (its suspended state goes with it); a running one may not.
            if self.power_state == "poweredOn":
                raise invalid_power_state(self, "poweredOff")
            self.post_vm_event(
                vim.event.VmRemovedEvent(), ctx.user, f"Removed {self.name} on {self.host.name}", task.info.eventChainId
            )
            self.si.unregister(self)
            self.drop_snapshots()  # their data goes with the tree
            self.si.guest_customization_manager.records.forget(self.moId)  # its customizations go with it
            await asyncio.to_thread(self.si.backend(self.backend).destroy_tree, self.as_vm())

        return self.si.task_manager.submit(ctx, self, "Destroy_Task", work)

    # ------------------------------------------------------------ placement

    def placement(
        self, ctx: CallContext, loc: vim.vm.RelocateSpec | None, folder: Folder | None = None
    ) -> tuple[Folder, ResourcePool | None, HostSystem]:
        """Where a clone goes: ``spec.location``'s folder, pool, host and datastore, each
        checked to be what it says, defaulting to the source's."""
        from .folder import Folder
        from .host_system import HostSystem
        from .resource_pool import ResourcePool

        if loc is not None and loc.folder is not None:
            named = self.resolve(loc.folder, Folder, "spec.location.folder")
            if folder is not None and named is not folder:
                raise invalid_argument("spec.location.folder", "the folder differs from the folder argument")
            folder = named
        folder = folder or self.parent_obj
        if "VirtualMachine" not in folder.child_type:
            raise invalid_argument("folder", f"{folder.name} is not a folder of virtual machines")
        pool = self.resolve(loc.pool, ResourcePool, "spec.location.pool") if loc and loc.pool else self.pool
        host = self.resolve(loc.host, HostSystem, "spec.location.host") if loc and loc.host else self.host
        if loc is not None and loc.datastore is not None:
            ds = self.si.objects.get(loc.datastore._moId)
            if ds is None or not issubclass(ds.vim_type, vim.Datastore):
                raise invalid_argument("spec.location.datastore", f"'{loc.datastore._moId}' is not a Datastore")
        ctx.check(folder, "VirtualMachine.Inventory.CreateFromExisting")
        return folder, pool, host

    def _new_name(self, name: str | None, path: str, folder: Folder) -> str:
        stored = names.entity_name(name, path)
        if any(c.name == stored for c in folder.children()):
            raise fault(vim.fault.DuplicateName, f"The name '{stored}' already exists.", name=stored, object=folder.ref)
        return stored

    def _new_vm(
        self,
        name: str,
        folder: Folder,
        pool: ResourcePool | None,
        host: HostSystem,
        source: vim.vm.ConfigInfo | None = None,
    ) -> VirtualMachine:
        """A new VM like this one (``source``: the configuration to copy, a snapshot's)."""
        src_config = source or self.config
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
            extra=[vim.option.OptionValue(key=o.key, value=o.value) for o in src_config.extraConfig],
        )
        hw, src = child.config.hardware, src_config.hardware
        hw.numCPU, hw.numCoresPerSocket, hw.memoryMB = src.numCPU, src.numCoresPerSocket, src.memoryMB
        child.config.annotation = src_config.annotation
        child.guest_report = {"hostName": self.guest_report.get("hostName", ""), "nics": []}
        return child

    async def _copy_guest(self, child: VirtualMachine, snapshot: VirtualMachineSnapshot | None = None) -> None:
        """The child's tree: a copy of this VM's, or of ``snapshot``'s, shared copy-on-write."""
        backend = self.si.backend(self.backend)
        try:
            await self.ensure_guest()  # the tree to copy (a snapshot's exists: taking it made the tree)
            if snapshot is None:
                await asyncio.to_thread(backend.clone_tree, self.as_vm(), child)
            else:
                await asyncio.to_thread(backend.clone_from_snapshot, self.as_vm(), snapshot.moId, child)
        except BaseException:
            await self._discard(child)
            if snapshot is not None and snapshot.moId not in self.snapshots:
                raise not_found(snapshot.ref) from None  # removed while the clone read it
            raise

    async def _discard(self, child: VirtualMachine) -> None:
        """A clone that failed half-way leaves nothing behind."""
        if child.power_state != "poweredOff":
            await child.halt()
        self.si.unregister(child)
        await asyncio.to_thread(self.si.backend(self.backend).destroy_tree, child)

    # ------------------------------------------------------------ CloneVM_Task

    def CloneVM_Task(self, ctx: CallContext, folder: vim.Folder, name: str, spec: vim.vm.CloneSpec) -> vim.Task:
        from .folder import Folder

        ctx.check(
            self,
            "VirtualMachine.Provisioning.DeployTemplate" if self.is_template else "VirtualMachine.Provisioning.Clone",
        )
        target, pool, host = self.placement(ctx, spec.location, self.resolve(folder, Folder, "folder"))
        stored = self._new_name(name, "name", target)
        if pool is None:  # a template has no pool: its clone needs one
            raise invalid_argument("spec.location.pool", f"{self.name} is a template: name the clone's resource pool")
        if spec.template and spec.powerOn:
            raise invalid_argument("spec.powerOn", "a clone that is marked as a template cannot be powered on")
        if spec.template and spec.customization is not None:
            raise invalid_argument("spec.customization", "a template is not customized; customize its clones")
        if spec.config is not None:
            self.check_config_spec(spec.config, "spec.config")
        if spec.customization is not None:
            ctx.check(self, "VirtualMachine.Provisioning.Customize")
        snapshot = self.snapshot_of(spec.snapshot, "spec.snapshot") if spec.snapshot is not None else None
        linked = spec.location is not None and spec.location.diskMoveType == "createNewChildDiskBacking"
        if linked and snapshot is None:
            raise invalid_argument(
                "spec.snapshot", "a linked clone (createNewChildDiskBacking) is made from a snapshot"
            )

        async def work(task: Task) -> T.ManagedObject:
            self.post_vm_event(
                vim.event.VmBeingClonedEvent(
                    destFolder=vim.event.FolderEventArgument(name=target.name, folder=target.ref),
                    destName=stored,
                    destHost=vim.event.HostEventArgument(name=host.name, host=host.ref),
                ),
                ctx.user,
                f"Cloning {self.name} on host {self.host.name} to {stored} on host {host.name}",
                task.info.eventChainId,
            )
            if spec.customization is not None:  # the spec's own problems, as CustomizeVM_Task finds them
                self.check_customization(spec.customization)
            child = self._new_vm(stored, target, pool, host, snapshot.config if snapshot else None)
            await self._copy_guest(child, snapshot)
            try:
                if spec.config is not None:
                    child.apply_config_spec(spec.config)
                if spec.customization is not None:
                    child.stage_customization(ctx, spec.customization)
                if spec.template:
                    child.config.template, child.pool = True, None
                child.save()
                task.set_progress(80)
                if spec.powerOn:
                    await child.power_on()
            except BaseException:
                await self._discard(child)
                raise
            return self._cloned(ctx, task, child, "Clone")

        # A clone reads its source and never changes it: many may run at once, as on vSphere.
        return self.si.task_manager.submit(ctx, self, "CloneVM_Task", work, lock=False)

    def _cloned(self, ctx: CallContext, task: Task, child: VirtualMachine, kind: str) -> T.ManagedObject:
        """The clone is done: its VmClonedEvent (in the task's chain), and its reference."""
        child.post_vm_event(
            vim.event.VmClonedEvent(sourceVm=vim.event.VmEventArgument(name=self.name, vm=self.ref)),
            ctx.user,
            f"{kind} of {self.name} completed as {child.name}",
            task.info.eventChainId,
        )
        return child.ref

    # ------------------------------------------------------------ InstantClone_Task

    def InstantClone_Task(self, ctx: CallContext, spec: vim.vm.InstantCloneSpec) -> vim.Task:
        folder, pool, host = self.placement(ctx, spec.location)
        name = self._new_name(spec.name, "spec.name", folder)
        for i, ov in enumerate(spec.config or []):
            if not ov.key:
                raise invalid_argument(f"spec.config[{i}].key", "an option key must not be empty")
        self.si.task_manager.check_free(self)

        async def work(task: Task) -> T.ManagedObject:
            if self.power_state != "poweredOn":  # an instant clone forks a running guest
                raise invalid_power_state(self, "poweredOn")
            child = self._new_vm(name, folder, pool, host)
            if spec.biosUuid:
                child.config.uuid = spec.biosUuid
            for ov in spec.config or []:
                child.set_extra_config(ov.key, "" if ov.value is None else str(ov.value))
            # An instant clone starts with its NICs disconnected: it shares the parent's
            # identity until customized (vSphere does this to avoid address conflicts).
            for dev in child.nics_to_change():
                if dev.connectable:
                    dev.connectable.connected = False
            await self._copy_guest(child)
            try:
                await child.power_on()
            except BaseException:
                await self._discard(child)
                raise
            return self._cloned(ctx, task, child, "Instant clone")

        # Many instant clones of one running source may run at once, as on vSphere: the
        # source is read, never changed, so the task does not hold it.
        return self.si.task_manager.submit(ctx, self, "InstantClone_Task", work, lock=False)

    # ------------------------------------------------------------ templates

    def _check_off(self) -> None:
        if self.power_state != "poweredOff":
            raise invalid_power_state(self, "poweredOff")
        self.si.task_manager.check_free(self)

    def MarkAsTemplate(self, ctx: CallContext) -> None:
        if self.is_template:
            raise fault(vmodl.fault.NotSupported, f"{self.name} is already a template.")
        self._check_off()
        # A template runs nowhere: it leaves its resource pool (vCenter shows none for it).
        self.config.template, self.pool = True, None
        self.save()

    def MarkAsVirtualMachine(
        self, ctx: CallContext, pool: vim.ResourcePool, host: vim.HostSystem | None = None
    ) -> None:
        from .host_system import HostSystem
        from .resource_pool import ResourcePool

        if not self.is_template:
            raise fault(vmodl.fault.NotSupported, f"{self.name} is not a template.")
        target = self.resolve(pool, ResourcePool, "pool")
        ctx.check(target, "Resource.AssignVMToPool")
        runs_on = self.resolve(host, HostSystem, "host") if host is not None else self.host
        if runs_on.parent_obj is not target.parent_obj:
            raise invalid_argument("host", f"{runs_on.name} does not belong to the compute resource of {target.name}")
        self._check_off()
        self.config.template, self.pool, self.host = False, target, runs_on
        self.save()
