"""What a Folder makes and moves: CreateFolder, CreateDatacenter, CreateClusterEx and
MoveIntoFolder_Task (Folder, in folder.py, inherits this; CreateVM_Task and RegisterVM_Task
are in folder_vm.py).

A folder may hold only what its ``childType`` names: anything else is NotSupported, as on
vCenter.  Names follow vCenter's rules (entity names, unique among the folder's children).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim, vmodl

from ..vim import names
from ..vim import types as T
from ..vim.faults import fault, invalid_argument, not_found
from .base import CallContext, ManagedEntity
from .cluster_compute_resource import ClusterComputeResource, config_from_spec
from .resource_pool import ResourcePool

if TYPE_CHECKING:
    from .folder import Folder
    from .task import Task

# The moId prefix of a new folder by what it holds, as vCenter names them.
_FOLDER_PREFIX = {
    "VirtualMachine": "group-v",
    "ComputeResource": "group-h",
    "Datastore": "group-s",
    "Network": "group-n",
}
# What moving an entity needs, on it and on the target folder (vCenter's privileges).
MOVE_PRIVILEGES = {
    "Folder": "Folder.Move",
    "Datacenter": "Datacenter.Move",
    "VirtualMachine": "VirtualMachine.Inventory.Move",
    "ComputeResource": "Host.Inventory.MoveHost",
    "ClusterComputeResource": "Host.Inventory.MoveCluster",
    "Datastore": "Datastore.Move",
    "Network": "Network.Move",
}


def child_kind(entity: ManagedEntity) -> str:
    """The ``childType`` entry that admits ``entity`` (a cluster is a ComputeResource)."""
    for managed, kind in (
        (vim.Folder, "Folder"),
        (vim.Datacenter, "Datacenter"),
        (vim.VirtualMachine, "VirtualMachine"),
        (vim.ComputeResource, "ComputeResource"),
        (vim.Datastore, "Datastore"),
        (vim.Network, "Network"),
    ):
        if issubclass(entity.vim_type, managed):
            return kind
    return entity.type_name


class FolderInventory(ManagedEntity):
    child_type: list[str]

    if TYPE_CHECKING:

        def children(self) -> list[ManagedEntity]: ...

        def as_folder(self) -> Folder: ...

    def _admits(self, kind: str) -> None:
        if kind not in self.child_type:
            raise fault(
                vmodl.fault.NotSupported,
                f"The folder {self.name} holds {', '.join(self.child_type)}: it cannot hold a {kind}.",
            )

    def new_child_name(self, name: str | None, path: str) -> str:
        """``name`` as stored, once valid and not taken by a child: InvalidName (InvalidArgument) or DuplicateName."""
        stored = names.entity_name(name, path)
        if any(c.name == stored for c in self.children()):
            raise fault(vim.fault.DuplicateName, f"The name '{stored}' already exists.", name=stored, object=self.ref)
        return stored

    # ------------------------------------------------------------ CreateFolder

    def CreateFolder(self, ctx: CallContext, name: str) -> T.ManagedObject:
        ctx.check(self, "Folder.Create")
        self._admits("Folder")
        stored = self.new_child_name(name, "name")
        prefix = next((_FOLDER_PREFIX[k] for k in self.child_type if k in _FOLDER_PREFIX), "group-d")
        folder = self.si.register(
            type(self.as_folder())(self.si, self.si.new_moid(prefix), stored, self, list(self.child_type))
        )
        self.si.save(folder)
        self.si.notify(self, "childEntity")
        return folder.ref

    # ------------------------------------------------------------ CreateDatacenter

    def CreateDatacenter(self, ctx: CallContext, name: str) -> T.ManagedObject:
        ctx.check(self, "Datacenter.Create")
        self._admits("Datacenter")
        stored = self.new_child_name(name, "name")
        dc = self.si.create_datacenter(stored, self.as_folder())
        self.si.event_manager.post(
            vim.event.DatacenterCreatedEvent(
                userName=ctx.user,
                datacenter=vim.event.DatacenterEventArgument(name=dc.name, datacenter=dc.ref),
                parent=vim.event.FolderEventArgument(name=self.name, folder=self.ref),
                fullFormattedMessage=f"Created datacenter {dc.name} in folder {self.name}",
            )
        )
        self.si.notify(self, "childEntity")
        return dc.ref

    # ------------------------------------------------------------ CreateClusterEx

    def CreateClusterEx(self, ctx: CallContext, name: str, spec: vim.cluster.ConfigSpecEx) -> T.ManagedObject:
        ctx.check(self, "Host.Inventory.CreateCluster")
        self._admits("ComputeResource")
        stored = self.new_child_name(name, "name")
        si = self.si
        cluster = si.register(ClusterComputeResource(si, si.new_moid("domain-c"), stored, self, config_from_spec(spec)))
        si.save(cluster)
        si.save(si.register(ResourcePool(si, si.new_moid("resgroup"), "Resources", cluster)))
        si.ensure_browsers()
        si.notify(self, "childEntity")
        return cluster.ref

    # ------------------------------------------------------------ MoveIntoFolder_Task

    def _movable(self, ctx: CallContext, refs: list[T.ManagedObject]) -> list[ManagedEntity]:
        """The entities ``refs`` names, once each may move here: the whole list is checked
        before anything moves, so a refused move changes nothing."""
        if not refs:
            raise invalid_argument("list", "name at least one entity to move")
        out: list[ManagedEntity] = []
        here = [self, *self.ancestors()]
        for i, ref in enumerate(refs):
            entity = self.si.entities.get(ref._moId)
            if entity is None:
                raise not_found(ref)
            if entity in out:
                raise invalid_argument(f"list[{i}]", f"{entity.name} is named twice")
            self._admits(child_kind(entity))
            if entity.parent_obj is None or entity.parent_obj.vim_type is not vim.Folder:
                raise fault(vmodl.fault.NotSupported, f"{entity.name} is not in a folder: it cannot move.")
            if entity in here:
                raise fault(
                    vim.fault.InvalidFolder,
                    f"{self.name} is {entity.name} or lies inside it: a folder cannot move into itself.",
                    target=entity.ref,
                )
            if entity.vim_type is not vim.Datacenter and entity.datacenter() is not self.datacenter():
                raise fault(
                    vmodl.fault.NotSupported,
                    f"{entity.name} belongs to another datacenter: move it with a migration, not into a folder.",
                )
            privilege = MOVE_PRIVILEGES.get(entity.type_name)
            if privilege is None:
                raise fault(vmodl.fault.NotSupported, f"A {entity.type_name} cannot move into a folder.")
            ctx.check(entity, privilege)
            ctx.check(self, privilege)
            if entity.parent_obj is not self and any(c.name == entity.name for c in self.children()):
                raise fault(
                    vim.fault.DuplicateName,
                    f"The name '{entity.name}' already exists.",
                    name=entity.name,
                    object=self.ref,
                )
            self.si.task_manager.check_free(entity)
            out.append(entity)
        if len({e.name for e in out}) < len(out):
            raise fault(vim.fault.DuplicateName, "Two entities to move have the same name.", object=self.ref)
        return out

    def MoveIntoFolder_Task(self, ctx: CallContext, list: list[T.ManagedObject]) -> T.ManagedObject:
        refs = [*list]  # the parameter is named as the API names it
        self._movable(ctx, refs)

        async def work(task: Task) -> None:
            for entity in self._movable(ctx, refs):  # again: things may have changed since the call
                old = entity.parent_obj
                entity.parent_obj = self
                self.si.save(entity)
                self.si.notify(entity, "parent")
                if old is not None:
                    self.si.notify(old, "childEntity")
            self.si.notify(self, "childEntity")

        return self.si.task_manager.submit(ctx, self, "MoveIntoFolder_Task", work)
