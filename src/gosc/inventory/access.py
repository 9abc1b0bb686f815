"""Who may read what: the one rule every read path applies.

VI/JSON GET, SOAP ``Fetch``, RetrieveProperties(Ex), WaitForUpdates(Ex), view contents,
QueryEvents, ``recentTask`` and ``Task.info`` all ask this module, so the two protocols
cannot disagree.

- A property's privilege is what pyVmomi's type tables name for it (``sessionList``:
  ``Sessions.TerminateSession``; ``name``: ``System.View``); a property without one needs
  ``System.Read``, as on vCenter.
- Where the privilege is checked: an inventory entity on itself (permissions propagate
  from its ancestors); a snapshot on its VM; a task on its entity (on the root folder
  once the entity is gone), and the user who started a task may always read it; a view, filter or private
  collector belongs to the session that made it (another session gets
  ManagedObjectNotFound, as for its methods); any other managed object (the managers)
  on the root folder, where ``System.Anonymous`` and ``System.View`` are held by every
  logged-in session so that a user with a permission on one VM can still use the API.
- A direct read of something the caller may not read raises ``NoPermission``; a
  collection (view contents, recentTask, events, objects reached by a traversal) leaves
  out silently what the caller may not see.
"""

from __future__ import annotations

from pyVmomi import vim, vmodl

from ..vim import types as T
from ..vim.faults import fault, not_authenticated, not_found
from .base import CallContext, ManagedEntity, ManagedObject
from .task import Task

READ = "System.Read"
# What every logged-in session holds on objects that are not inventory entities.
SESSION_PRIVILEGES = frozenset({"System.Anonymous", "System.View"})


def property_privilege(obj: ManagedObject, name: str) -> str:
    prop = T.property_info(obj.vim_type, name)
    return prop.privId if prop is not None and prop.privId else READ


def check_read(ctx: CallContext, obj: ManagedObject, name: str) -> None:
    """Raise unless the caller may read property ``name`` of ``obj``: NotAuthenticated
    without a session (but for the properties anyone may read), NoPermission (or
    ManagedObjectNotFound for another session's object) without the privilege."""
    if name in obj.anonymous_properties:
        return
    if ctx.session is None:
        raise not_authenticated(obj.ref)
    denied = _denial(ctx, obj, property_privilege(obj, name))
    if denied is not None:
        raise denied


def visible(ctx: CallContext, obj: ManagedObject) -> bool:
    """Whether a collection may show ``obj`` to the caller (System.Read on it)."""
    return ctx.session is not None and _denial(ctx, obj, READ) is None


def visible_entities(ctx: CallContext, entities: list[ManagedEntity]) -> list[ManagedEntity]:
    """The ``entities`` a collection may show the caller: ``visible`` of each, decided in
    one pass (a view's 100,000 members)."""
    if ctx.session is None:
        return []
    return ctx.si.authorization_manager.holding(ctx.user, entities, READ)


def event_visible(ctx: CallContext, event: vim.event.Event) -> bool:
    """An event shows when the caller may read the entity it is about (its VM, else its
    host, compute resource or datacenter); an event about no entity that still exists
    (a login, a removed VM) only to who may read the root folder."""
    if ctx.session is None:
        return False
    return _holds(ctx, _event_entity(ctx, event), READ)


# ---------------------------------------------------------------- the rule


def _denial(ctx: CallContext, obj: ManagedObject, privilege: str) -> vmodl.MethodFault | None:
    assert ctx.session is not None
    if isinstance(obj, ManagedEntity):
        target: ManagedEntity = obj
    elif isinstance(obj, Task):
        if ctx.user and ctx.user == getattr(obj.info.reason, "userName", None):
            return None
        target = _task_entity(ctx, obj)
    elif (entity := obj.privilege_entity()) is not None:  # a snapshot: its VM's permissions
        target = entity
    elif obj.owner is not None:  # a view, a property filter, a collector a session made
        return None if obj.owner == ctx.session.key else not_found(obj.ref)
    elif privilege in SESSION_PRIVILEGES:
        return None
    else:
        target = ctx.si.root_folder
    if _holds(ctx, target, privilege):
        return None
    return _no_permission(obj, target, privilege)


def _holds(ctx: CallContext, entity: ManagedEntity, privilege: str) -> bool:
    return bool(ctx.si.authorization_manager.has_privilege(ctx.user, entity, privilege))


def _task_entity(ctx: CallContext, task: Task) -> ManagedEntity:
    ref = task.info.entity
    entity = ctx.si.entities.get(ref._moId) if ref is not None else None
    return entity if entity is not None else ctx.si.root_folder


def _event_entity(ctx: CallContext, event: vim.event.Event) -> ManagedEntity:
    for arg, attr in (
        ("vm", "vm"),
        ("host", "host"),
        ("computeResource", "computeResource"),
        ("datacenter", "datacenter"),
    ):
        ref = getattr(getattr(event, arg, None), attr, None)
        if ref is not None:
            entity = ctx.si.entities.get(ref._moId)
            return entity if entity is not None else ctx.si.root_folder
    return ctx.si.root_folder


def _no_permission(obj: ManagedObject, entity: ManagedEntity, privilege: str) -> vim.fault.NoPermission:
    """``object`` is what was read; ``missingPrivileges`` names the entity the privilege
    is missing on (the task's VM, the root folder for a manager)."""
    return fault(
        vim.fault.NoPermission,
        f"Permission to perform this operation was denied: {privilege} is required on {entity.moId}",
        object=obj.ref,
        privilegeId=privilege,
        missingPrivileges=[vim.fault.NoPermission.EntityPrivileges(entity=entity.ref, privilegeIds=[privilege])],
    )
