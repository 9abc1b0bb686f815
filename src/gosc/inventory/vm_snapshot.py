"""A VM's snapshots: CreateSnapshot_Task, RevertToCurrentSnapshot_Task,
RemoveAllSnapshots_Task, the ``snapshot`` and ``rootSnapshot`` properties, and the work
behind the snapshots' own methods (virtual_machine_snapshot).

A snapshot really captures the guest: its backend keeps a copy-on-write copy of the tree
(gosc.guest.guesttree for root-filesystem guests, frozen overlay layers for netns guests)
and a revert puts that tree back, with the configuration of that moment.  Power follows
vCenter's rules for memory (docs/decisions.md, "Snapshots"): a snapshot of a running VM
taken with its memory reverts to a running VM, one without memory to a powered-off VM; a
suspended VM's snapshot reverts to suspended.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pyVmomi import vim, vmodl

from ..vim import json_codec, names
from ..vim import types as T
from ..vim.faults import fault, invalid_argument, message_of, not_found
from .base import CallContext, ManagedObject, not_supported, now
from .virtual_machine_snapshot import VirtualMachineSnapshot
from .vm_base import VmBase, template_fault, tools_unavailable

if TYPE_CHECKING:
    from .task import Task

ON, OFF, SUSPENDED = "poweredOn", "poweredOff", "suspended"
MAX_LEVELS = 32  # vSphere's longest snapshot chain


class VmSnapshot(VmBase):
    current_snapshot: VirtualMachineSnapshot | None
    snapshot_serial: int  # the last SnapshotTree.id given (never reused, as on vCenter)

    # ------------------------------------------------------------ state and persistence

    def roots(self) -> list[VirtualMachineSnapshot]:
        return [s for s in self.snapshots.values() if s.parent is None]

    def snapshots_doc(self) -> dict[str, Any]:
        return {
            "snapshots": [s.to_doc() for s in self.snapshots.values()],
            "currentSnapshot": self.current_snapshot.moId if self.current_snapshot else None,
            "snapshotSerial": self.snapshot_serial,
        }

    def load_snapshots(self, doc: dict[str, Any]) -> None:
        """Rebuild the tree from the VM's document (parents come before their children)."""
        self.snapshot_serial = int(doc.get("snapshotSerial", 0))
        for d in doc.get("snapshots", []):
            parent = self.snapshots[d["parent"]] if d["parent"] else None
            snap = VirtualMachineSnapshot.from_doc(self.as_vm(), d, parent)
            if parent is not None:
                parent.children.append(snap)
            self.snapshots[snap.moId] = self.si.register(snap)
        current = doc.get("currentSnapshot")
        self.current_snapshot = self.snapshots.get(current) if current else None

    def drop_snapshots(self) -> None:
        """The VM is gone: so are its snapshot objects (the backend removes their data with the tree)."""
        for snap in list(self.snapshots.values()):
            self.si.unregister(snap)
        self.snapshots.clear()
        self.current_snapshot = None

    def snapshot_of(self, ref: T.ManagedObject, path: str) -> VirtualMachineSnapshot:
        """This VM's snapshot ``ref`` names: InvalidArgument at ``path`` if it is not one."""
        snap = self.snapshots.get(ref._moId)
        if snap is None:
            raise invalid_argument(path, f"'{ref._moId}' is not a snapshot of {self.name}")
        return snap

    def _changed(self, *snaps: ManagedObject) -> None:
        self.save()
        for snap in snaps:
            self.si.notify(snap, None)

    # ------------------------------------------------------------ properties

    def prop_snapshot(self, ctx: CallContext) -> vim.vm.SnapshotInfo | None:
        if not self.snapshots:
            return None  # unset until a snapshot exists, as on vCenter
        return vim.vm.SnapshotInfo(
            currentSnapshot=self.current_snapshot.ref if self.current_snapshot else None,
            rootSnapshotList=[s.tree() for s in self.roots()],
        )

    def prop_rootSnapshot(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.vm.Snapshot, [s.ref for s in self.roots()])

    # ------------------------------------------------------------ argument checks

    def _check_snapshot_name(self, name: str | None, path: str) -> str:
        try:
            names.check_name(name, path)
        except vmodl.fault.InvalidArgument as e:
            raise fault(
                vim.fault.InvalidName, f"The snapshot name '{name}' is not valid: {message_of(e)}", name=name
            ) from None
        assert name is not None
        return name

    def _check_description(self, text: str | None, path: str) -> str:
        problem = names.xml_problem(text or "")
        if problem:
            raise invalid_argument(path, problem)
        return text or ""

    # ------------------------------------------------------------ CreateSnapshot_Task

    async def CreateSnapshot_Task(
        self, ctx: CallContext, name: str, memory: bool, quiesce: bool, description: str | None = None
    ) -> vim.Task:
        ctx.check(self, "VirtualMachine.State.CreateSnapshot")
        if self.is_template:
            raise template_fault(self, "have snapshots")
        name = self._check_snapshot_name(name, "name")
        text = self._check_description(description, "description")

        async def work(task: Task) -> T.ManagedObject:
            parent = self.current_snapshot
            if parent is not None and parent.depth() >= MAX_LEVELS:
                raise fault(
                    vim.fault.TooManySnapshotLevels,
                    f"{self.name} has {MAX_LEVELS} levels of snapshots: the most a snapshot chain may have.",
                )
            running = self.power_state == ON
            if running and quiesce and not self.tools_running:  # quiescing is the guest tools' work
                raise tools_unavailable(self)
            # Memory makes a running VM's snapshot revert to running; without it, to powered off.
            state = (ON if memory else OFF) if running else self.power_state
            await self.ensure_guest()  # a snapshot captures the tree: a pending one is made first
            moid = self.si.new_moid("snapshot")
            await asyncio.to_thread(
                self.si.backend(self.backend).capture_snapshot, self.as_vm(), moid, parent.moId if parent else None
            )
            self.snapshot_serial += 1
            snap = VirtualMachineSnapshot(
                self.as_vm(),
                moid,
                name=name,
                description=text,
                snapshot_id=self.snapshot_serial,
                create_time=now(),
                state=state,
                quiesced=bool(quiesce and running),
                config=json_codec.from_store(json_codec.to_store(self.config), vim.vm.ConfigInfo),
                parent=parent,
                host_name=str(self.guest_report.get("hostName", "")),
            )
            self.snapshots[moid] = self.si.register(snap)
            if parent is not None:
                parent.children.append(snap)
            self.current_snapshot = snap
            self._changed(*([parent] if parent else []))
            return snap.ref

        ref = self.si.task_manager.submit(ctx, self, "CreateSnapshot_Task", work)
        # The call answers once the snapshot is taken (a copy-on-write copy: quick), as vcsim
        # 0.24 answers its tasks: scripts that read vm.snapshot right after the call, without
        # waiting for the task (pyvmomi-community-samples' create_snapshot.py), find it.
        # asyncio.wait never cancels the task, even when the caller goes away.
        runner = self.si.task_manager.runner_of(ref)
        if runner is not None:
            await asyncio.wait({runner})
        return ref

    # ------------------------------------------------------------ reverting

    def RevertToCurrentSnapshot_Task(
        self, ctx: CallContext, host: vim.HostSystem | None = None, suppressPowerOn: bool | None = None
    ) -> vim.Task:
        if self.current_snapshot is None:
            raise fault(vim.fault.NotFound, f"{self.name} has no current snapshot to revert to.")
        return self.revert_task(ctx, self.current_snapshot, host, bool(suppressPowerOn), "RevertToCurrentSnapshot_Task")

    def revert_task(
        self,
        ctx: CallContext,
        snap: VirtualMachineSnapshot,
        host: vim.HostSystem | None,
        suppress_power_on: bool,
        method: str,
        owner: ManagedObject | None = None,
    ) -> vim.Task:
        from .host_system import HostSystem

        ctx.check(self, "VirtualMachine.State.RevertToSnapshot")
        if self.is_template:
            raise template_fault(self, "be reverted to a snapshot")
        if host is not None and self.resolve(host, HostSystem, "host") is not self.host:
            raise invalid_argument("host", f"{self.name} runs on {self.host.name}; gosc does not move a VM on revert")

        async def work(task: Task) -> None:
            if self.snapshots.get(snap.moId) is not snap:  # removed since the call
                raise not_found(snap.ref)
            await self._revert(snap, suppress_power_on)

        return self.si.task_manager.submit(ctx, self, method, work, owner=owner)

    async def _revert(self, snap: VirtualMachineSnapshot, suppress_power_on: bool) -> None:
        was_running = self.power_state == ON
        if was_running:  # the guest stops: its disk (tree) is replaced under it
            await self.halt()
        try:
            await asyncio.to_thread(self.si.backend(self.backend).restore_snapshot, self.as_vm(), snap.moId)
        except BaseException:
            if was_running:  # the old tree is intact: the guest runs on as it was
                await self.boot()
            raise
        # The configuration of that moment; the VM keeps its name and template flag (vCenter's own).
        config = json_codec.from_store(json_codec.to_store(snap.config), vim.vm.ConfigInfo)
        config.name, config.template = self.config.name, self.config.template
        self.config = config
        self.guest_report = {"hostName": snap.host_name, "nics": []}
        state = snap.state
        if state == ON and suppress_power_on:  # the memory image is kept as a suspended state
            state = SUSPENDED
        self.power_state = state
        self.current_snapshot = snap
        if state == ON:
            self.boot_time = now()  # the guest resumes from the snapshot's memory
            await self.boot()
        elif state == OFF:
            self.boot_time = None
        self.save()

    # ------------------------------------------------------------ removing

    def remove_snapshot_task(self, ctx: CallContext, snap: VirtualMachineSnapshot, remove_children: bool) -> vim.Task:
        ctx.check(self, "VirtualMachine.State.RemoveSnapshot")

        async def work(task: Task) -> None:
            if self.snapshots.get(snap.moId) is not snap:
                raise not_found(snap.ref)
            await self._remove(snap, remove_children)

        return self.si.task_manager.submit(ctx, self, "RemoveSnapshot_Task", work, owner=snap)

    async def _remove(self, snap: VirtualMachineSnapshot, remove_children: bool) -> None:
        """Remove ``snap`` (and its subtree with ``remove_children``): its children move up to
        its parent; a removed current snapshot makes its parent current, as on vCenter."""
        gone = [snap, *(snap.descendants() if remove_children else [])]
        parent = snap.parent
        siblings = parent.children if parent else None
        if siblings is not None:
            at = siblings.index(snap)
            siblings[at : at + 1] = [] if remove_children else snap.children
        if not remove_children:
            for child in snap.children:
                child.parent = parent
            # A root's children become roots: keep the tree order (a parent before its children).
            order = list(self.snapshots)
            for child in snap.children:
                order.remove(child.moId)
            order[order.index(snap.moId) : order.index(snap.moId)] = [c.moId for c in snap.children]
            self.snapshots = {m: self.snapshots[m] for m in order}
        if self.current_snapshot in gone:
            self.current_snapshot = parent
        for s in gone:
            del self.snapshots[s.moId]
        self._changed(*([parent] if parent else []), *snap.children)
        await self._discard_snapshots(gone)

    async def _discard_snapshots(self, gone: list[VirtualMachineSnapshot]) -> None:
        for s in gone:
            self.si.unregister(s)
            await asyncio.to_thread(self.si.backend(self.backend).delete_snapshot, self.as_vm(), s.moId)

    def RemoveAllSnapshots_Task(
        self, ctx: CallContext, consolidate: bool | None = None, spec: vim.vm.SnapshotSelectionSpec | None = None
    ) -> vim.Task:
        ctx.check(self, "VirtualMachine.State.RemoveSnapshot")
        if spec is not None:  # a retention policy (vSphere 8): gosc keeps no such policies
            raise not_supported("Removing snapshots by a selection spec")

        async def work(task: Task) -> None:
            gone = list(self.snapshots.values())
            self.snapshots, self.current_snapshot = {}, None
            self._changed()
            await self._discard_snapshots(gone)

        return self.si.task_manager.submit(ctx, self, "RemoveAllSnapshots_Task", work)

    # ------------------------------------------------------------ RenameSnapshot

    def rename_snapshot(
        self, ctx: CallContext, snap: VirtualMachineSnapshot, name: str | None, description: str | None
    ) -> None:
        ctx.check(self, "VirtualMachine.State.RenameSnapshot")
        new_name = self._check_snapshot_name(name, "name") if name is not None else snap.name
        text = self._check_description(description, "description") if description is not None else snap.description
        self.si.task_manager.check_free(self)
        snap.name, snap.description = new_name, text
        self._changed(snap)
