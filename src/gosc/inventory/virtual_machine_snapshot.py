"""VirtualMachineSnapshot: one snapshot of a VM, a node of the VM's snapshot tree.

A snapshot holds what its VM was when it was taken: the configuration (``config``), the
power state as a revert brings it back (``state``), and, in the VM's backend, a copy of
the guest tree keyed by the snapshot's moId.  The VM owns the tree (vm_snapshot); the
methods here are the snapshot's own (revert to it, remove it, rename it) and run as tasks
on the VM, as on vCenter.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import json_codec
from ..vim import types as T
from .base import CallContext, ManagedEntity, ManagedObject

if TYPE_CHECKING:
    from .virtual_machine import VirtualMachine


class VirtualMachineSnapshot(ManagedObject):
    vim_type = vim.vm.Snapshot

    def __init__(
        self,
        vm: VirtualMachine,
        moId: str,
        *,
        name: str,
        description: str,
        snapshot_id: int,
        create_time: datetime.datetime,
        state: str,
        quiesced: bool,
        config: vim.vm.ConfigInfo,
        parent: VirtualMachineSnapshot | None,
        host_name: str,
    ) -> None:
        super().__init__(vm.si, moId)
        self.vm = vm
        self.name = name
        self.description = description
        self.snapshot_id = snapshot_id
        self.create_time = create_time
        self.state = state  # the power state a revert brings back (vm_snapshot: the memory rules)
        self.quiesced = quiesced
        self.config = config
        self.parent = parent
        self.children: list[VirtualMachineSnapshot] = []
        self.host_name = host_name  # the guest's host name as its tools last reported it

    def privilege_entity(self) -> ManagedEntity:
        return self.vm

    def descendants(self) -> list[VirtualMachineSnapshot]:
        out: list[VirtualMachineSnapshot] = []
        for child in self.children:
            out += [child, *child.descendants()]
        return out

    def depth(self) -> int:
        return 1 + (self.parent.depth() if self.parent else 0)

    def tree(self) -> vim.vm.SnapshotTree:
        return vim.vm.SnapshotTree(
            snapshot=self.ref,
            vm=self.vm.ref,
            name=self.name,
            description=self.description,
            id=self.snapshot_id,
            createTime=self.create_time,
            state=self.state,
            quiesced=self.quiesced,
            childSnapshotList=[c.tree() for c in self.children],
            replaySupported=False,
        )

    # ------------------------------------------------------------ persistence (in its VM's document)

    def to_doc(self) -> dict[str, Any]:
        return {
            "moId": self.moId,
            "parent": self.parent.moId if self.parent else None,
            "name": self.name,
            "description": self.description,
            "id": self.snapshot_id,
            "createTime": self.create_time.isoformat(),
            "state": self.state,
            "quiesced": self.quiesced,
            "config": json_codec.to_store(self.config),
            "hostName": self.host_name,
        }

    @classmethod
    def from_doc(
        cls, vm: VirtualMachine, doc: dict[str, Any], parent: VirtualMachineSnapshot | None
    ) -> VirtualMachineSnapshot:
        return cls(
            vm,
            doc["moId"],
            name=doc["name"],
            description=doc["description"],
            snapshot_id=doc["id"],
            create_time=datetime.datetime.fromisoformat(doc["createTime"]),
            state=doc["state"],
            quiesced=doc["quiesced"],
            config=json_codec.from_store(doc["config"], vim.vm.ConfigInfo),
            parent=parent,
            host_name=doc.get("hostName", ""),
        )

    # ------------------------------------------------------------ properties

    def prop_config(self, ctx: CallContext) -> vim.vm.ConfigInfo:
        return self.config

    def prop_childSnapshot(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.vm.Snapshot, [c.ref for c in self.children])

    def prop_vm(self, ctx: CallContext) -> T.ManagedObject:
        return self.vm.ref

    # ------------------------------------------------------------ methods (the work is the VM's)

    def RevertToSnapshot_Task(
        self, ctx: CallContext, host: vim.HostSystem | None = None, suppressPowerOn: bool | None = None
    ) -> vim.Task:
        return self.vm.revert_task(ctx, self, host, bool(suppressPowerOn), "RevertToSnapshot_Task", owner=self)

    def RemoveSnapshot_Task(self, ctx: CallContext, removeChildren: bool, consolidate: bool | None = None) -> vim.Task:
        # consolidate: a tree copy has no delta disks to merge, so both answers are the same
        return self.vm.remove_snapshot_task(ctx, self, removeChildren)

    def RenameSnapshot(self, ctx: CallContext, name: str | None = None, description: str | None = None) -> None:
        self.vm.rename_snapshot(ctx, self, name, description)
