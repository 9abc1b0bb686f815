"""EventFilterSpec as a predicate: what QueryEvents and event collectors answer."""

from __future__ import annotations

from pyVmomi import vim

from ..vim import types as T
from ..vim.faults import invalid_argument
from .base import CallContext, ManagedEntity


class EventFilter:
    """EventFilterSpec as a predicate."""

    def __init__(self, ctx: CallContext, spec: vim.event.EventFilterSpec) -> None:
        self.spec = spec
        self.entities: set[str] | None = None
        if spec.entity is not None:
            self.entities = entity_scope(ctx, spec.entity)
        types = list(spec.type or []) + list(spec.eventTypeId or [])
        self.types: tuple[type, ...] | None = None
        if types:
            classes = []
            for i, t in enumerate(types):
                cls = t if isinstance(t, type) else T.lookup_type(t) or getattr(vim.event, str(t), None)
                if not (isinstance(cls, type) and issubclass(cls, vim.event.Event)):
                    raise invalid_argument(f"filter.eventTypeId[{i}]", f"'{t}' is not an event type")
                classes.append(cls)
            self.types = tuple(classes)
        self.users: set[str] | None = None
        if spec.userName is not None and spec.userName.userList:
            self.users = set(spec.userName.userList)

    def __call__(self, e: vim.event.Event) -> bool:
        s = self.spec
        if self.types is not None and not isinstance(e, self.types):
            return False
        if self.entities is not None and not (_entity_ids(e) & self.entities):
            return False
        if s.eventChainId is not None and e.chainId != s.eventChainId:
            return False
        if s.time is not None:
            if s.time.beginTime is not None and e.createdTime < s.time.beginTime:
                return False
            if s.time.endTime is not None and e.createdTime > s.time.endTime:
                return False
        return not (self.users is not None and e.userName not in self.users)


def _entity_ids(e: vim.event.Event) -> set[str]:
    ids = set()
    for arg, attr in (
        ("vm", "vm"),
        ("host", "host"),
        ("datacenter", "datacenter"),
        ("computeResource", "computeResource"),
    ):
        a = getattr(e, arg, None)
        if a is not None and getattr(a, attr, None) is not None:
            ids.add(getattr(a, attr)._moId)
    return ids


def entity_scope(
    ctx: CallContext, by_entity: vim.event.EventFilterSpec.ByEntity | vim.TaskFilterSpec.ByEntity
) -> set[str]:
    root = ctx.si.objects.get(by_entity.entity._moId)
    if not isinstance(root, ManagedEntity):
        return {by_entity.entity._moId}
    recursion = by_entity.recursion or "self"
    if recursion == "self":
        return {root.moId}
    below = {o.moId for o in ctx.si.entities.values() if root in o.ancestors()}
    if recursion == "children":
        below = {m for m in below if ctx.si.entities[m].parent_obj is root}
    return below | ({root.moId} if recursion in ("all", "self") else set())
