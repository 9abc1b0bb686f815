"""What every managed object shares, and the context a call runs in.

A managed object here is a plain Python object that knows its moId and its pyVmomi
managed type.  Its API methods are named exactly as the wsdl names them
(``CustomizeGuest_Task``) and take the caller's ``CallContext`` first; its properties
are read through ``get_property`` so that both protocols see one object model.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pyVmomi import vim, vmodl

from ..vim import names
from ..vim import types as T
from ..vim.faults import fault, message_of

if TYPE_CHECKING:
    from .service_instance import ServiceInstance
    from .session_manager import Session
    from .task import Task


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(slots=True)
class CallContext:
    """Who calls, with which release, against which vCenter."""

    si: ServiceInstance
    version: str  # pyVmomi version name of the request's release
    session: Session | None = None
    client_ip: str = ""
    user_agent: str = ""
    host: str = ""  # the request's Host header: where the client reached this server (transfer URLs)
    soap: bool = False  # the request came over SOAP: its answer is written as XML

    @property
    def user(self) -> str:
        return self.session.userName if self.session else ""

    def check(self, entity: ManagedObject, privilege: str) -> None:
        """Raise NoPermission unless the caller holds ``privilege`` on ``entity``."""
        self.si.authorization_manager.check(self, entity, privilege)


class ManagedObject:
    vim_type: ClassVar[type[T.ManagedObject]]
    # Properties that a session may read without being logged in (ServiceInstance.content).
    anonymous_properties: ClassVar[frozenset[str]] = frozenset()
    # The session key of a session-scoped object (a view, a property filter, a collector a
    # session made): only that session may use it.  None for everything else.
    owner: str | None = None

    def __init__(self, si: ServiceInstance, moId: str) -> None:
        self.si = si
        self.moId = moId

    @property
    def ref(self) -> T.ManagedObject:
        return self.vim_type(self.moId)

    @property
    def type_name(self) -> str:
        return T.wsdl_name(self.vim_type)

    def privilege_entity(self) -> ManagedEntity | None:
        """The entity whose permissions govern this object's methods and properties when
        it is no entity itself (a snapshot's VM); None: the root folder's (the managers)."""
        return None

    def traversed(self, ctx: CallContext, path: str) -> list[ManagedObject] | None:
        """For a TraversalSpec along ``path``: the objects it leads to that the caller may
        see, when this object holds them without a reference to each (a view's members);
        None: the traversal reads the property (the usual way)."""
        return None

    def get_property(self, ctx: CallContext, name: str) -> Any:
        """The value of a top-level property; subclasses provide attributes or override."""
        getter = getattr(self, f"prop_{name}", None)
        if getter is not None:
            return getter(ctx)
        return getattr(self, name, None)

    def __repr__(self) -> str:
        return f"<{self.type_name} {self.moId}>"


class ManagedEntity(ManagedObject):
    """Folder, Datacenter, host, VM: named objects with a parent in the inventory tree."""

    def __init__(self, si: ServiceInstance, moId: str, name: str, parent: ManagedEntity | None) -> None:
        super().__init__(si, moId)
        self.name = name
        self.parent_obj = parent

    def to_doc(self) -> dict[str, Any]:
        """What the store keeps of this entity (ServiceInstance.save adds its parent)."""
        raise NotImplementedError(type(self).__name__)

    def prop_parent(self, ctx: CallContext) -> T.ManagedObject | None:
        return self.parent_obj.ref if self.parent_obj else None

    def prop_overallStatus(self, ctx: CallContext) -> str:
        return "green"

    def prop_configStatus(self, ctx: CallContext) -> str:
        return "green"  # gosc raises no configuration issues, as vCenter with none to report

    def prop_recentTask(self, ctx: CallContext) -> list[T.ManagedObject]:
        return self.si.task_manager.recent(ctx, self)

    # ExtensibleManagedObject: custom attributes live in the CustomFieldsManager.
    def prop_customValue(self, ctx: CallContext) -> list[vim.CustomFieldsManager.Value]:
        return self.si.custom_fields_manager.values_of(self)

    def prop_value(self, ctx: CallContext) -> list[vim.CustomFieldsManager.Value]:
        return self.si.custom_fields_manager.values_of(self)

    def prop_availableField(self, ctx: CallContext) -> list[vim.CustomFieldsManager.FieldDef]:
        return T.array(vim.CustomFieldsManager.FieldDef, self.si.custom_fields_manager.available(self))

    # Alarms: gosc defines none (alarm_manager.py), so none is declared or triggered anywhere.
    def prop_triggeredAlarmState(self, ctx: CallContext) -> list[vim.alarm.AlarmState]:
        return []

    def prop_declaredAlarmState(self, ctx: CallContext) -> list[vim.alarm.AlarmState]:
        return []

    # What every vCenter entity answers, if only with an empty list (clients read them all:
    # govc object.collect, Ansible's facts): issues, disabled methods, tags, and permissions.
    def prop_configIssue(self, ctx: CallContext) -> list[vim.event.Event]:
        return T.array(vim.event.Event)

    def prop_disabledMethod(self, ctx: CallContext) -> list[str]:
        return T.array(str)

    def prop_tag(self, ctx: CallContext) -> list[vim.Tag]:
        return T.array(vim.Tag)

    def prop_permission(self, ctx: CallContext) -> list[vim.AuthorizationManager.Permission]:
        return self.si.authorization_manager.permissions_on(self)

    def prop_effectiveRole(self, ctx: CallContext) -> list[int]:
        return self.si.authorization_manager.effective_roles(ctx.user, self)

    def prop_alarmActionsEnabled(self, ctx: CallContext) -> bool:
        return True

    def setCustomValue(self, ctx: CallContext, key: str, value: str) -> None:
        manager = self.si.custom_fields_manager
        manager.set_value(ctx, self, manager.by_name(self, key), value)

    def ancestors(self) -> list[ManagedEntity]:
        out: list[ManagedEntity] = []
        node = self.parent_obj
        while node is not None:
            out.append(node)
            node = node.parent_obj
        return out

    # ------------------------------------------------------------ Rename_Task

    def check_new_name(self, new_name: str | None, path: str) -> str:
        """``new_name`` as stored, once it is a valid name no sibling has: InvalidName or
        DuplicateName (argument checks: they fail the call)."""
        try:
            names.check_name(new_name, path)
        except vmodl.fault.InvalidArgument as e:
            raise fault(
                vim.fault.InvalidName,
                f"The name '{new_name}' is not valid: {message_of(e)}",
                name=new_name,
                entity=self.ref,
            ) from None
        assert new_name is not None
        stored = names.escape(new_name)
        parent = self.parent_obj
        siblings = [o for o in self.si.entities.values() if parent is not None and o.parent_obj is parent]
        if any(o is not self and o.name == stored for o in siblings):
            assert parent is not None
            raise fault(vim.fault.DuplicateName, f"The name '{stored}' already exists.", name=stored, object=parent.ref)
        return stored

    def rename(self, new_name: str, user: str) -> None:
        self.name = new_name
        self.si.save(self)
        self.si.notify(self, "name")

    def Rename_Task(self, ctx: CallContext, newName: str) -> T.ManagedObject:
        privilege = RENAME_PRIVILEGES.get(self.type_name)
        parent = self.parent_obj
        # The root folder and a datacenter's own folders (vm, host...) keep their names, as on vCenter.
        if privilege is None or parent is None or (self.vim_type is vim.Folder and parent.vim_type is vim.Datacenter):
            raise not_supported(f"Renaming {self.type_name} {self.name}")
        ctx.check(self, privilege)
        self.check_new_name(newName, "newName")

        async def work(task: Task) -> None:
            self.rename(self.check_new_name(newName, "newName"), ctx.user)  # again: a sibling may have taken it since

        return self.si.task_manager.submit(ctx, self, "Rename_Task", work)

    # ------------------------------------------------------------ Destroy_Task

    def Destroy_Task(self, ctx: CallContext) -> T.ManagedObject:
        from . import entity_destroy

        privilege = entity_destroy.DESTROY_PRIVILEGES.get(self.type_name)
        if privilege is not None:
            ctx.check(self, privilege)
            if self.parent_obj is not None:
                ctx.check(self.parent_obj, privilege)
        refused = entity_destroy.refusal(self)  # what this entity is decides now; its contents, in the task
        if refused is not None:
            raise refused

        async def work(task: Task) -> None:
            await entity_destroy.destroy(ctx, self, task)

        return self.si.task_manager.submit(ctx, self, "Destroy_Task", work)

    def datacenter(self) -> ManagedEntity | None:
        # by managed type, not by class: gosc.inventory.datacenter imports this module
        return next((a for a in [self, *self.ancestors()] if a.vim_type is vim.Datacenter), None)


# What renaming an entity needs (vCenter's privileges); types not named cannot be renamed here.
RENAME_PRIVILEGES = {
    "Folder": "Folder.Rename",
    "Datacenter": "Datacenter.Rename",
    "VirtualMachine": "VirtualMachine.Config.Rename",
    "ResourcePool": "Resource.RenamePool",
    "ClusterComputeResource": "Host.Inventory.RenameCluster",
}


def not_supported(what: str) -> Exception:
    from pyVmomi import vmodl

    return fault(vmodl.fault.NotSupported, f"{what} is not supported by gosc")
