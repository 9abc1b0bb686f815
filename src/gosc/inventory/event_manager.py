"""EventManager: the event log (PostEvent from inside gosc, QueryEvents for users)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from pyVmomi import vim

from ..vim import json_codec
from ..vim import types as T
from ..vim.faults import invalid_argument
from . import access
from .base import CallContext, ManagedEntity, ManagedObject, now

if TYPE_CHECKING:
    from .service_instance import ServiceInstance
    from .virtual_machine import VirtualMachine

MAX_EVENTS = 100_000  # the newest kept (in memory and in the store) and answered by QueryEvents


_E = TypeVar("_E", bound=vim.event.Event)


class EventManager(ManagedObject):
    vim_type = vim.event.EventManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "EventManager")
        self.events: list[vim.event.Event] = []

    def load(self) -> None:
        for _, doc in self.si.store.load("event"):
            self.events.append(json_codec.from_store(doc, vim.event.Event))
        self.events.sort(key=lambda e: e.key)
        del self.events[:-MAX_EVENTS]

    def new_chain_id(self) -> int:
        return self.si.store.next_id("eventChain")

    def post(self, event: _E, vm: VirtualMachine | None = None, chain_id: int | None = None) -> _E:
        """Stamp and record an event; ``vm`` fills the VM, host and datacenter arguments."""
        event.key = self.si.store.next_id("event")
        event.chainId = chain_id if chain_id is not None else event.key
        event.createdTime = now()
        if vm is not None:
            event.vm = vim.event.VmEventArgument(name=vm.name, vm=vm.ref)
            host = vm.host
            if host is not None:
                event.host = vim.event.HostEventArgument(name=host.name, host=host.ref)
            dc = vm.datacenter()
            if dc is not None:
                event.datacenter = vim.event.DatacenterEventArgument(name=dc.name, datacenter=dc.ref)
        self.events.append(event)
        self.si.store.put("event", str(event.key), json_codec.to_store(event))
        if len(self.events) > MAX_EVENTS:
            for old in self.events[: len(self.events) - MAX_EVENTS]:
                self.si.store.delete("event", str(old.key))
            del self.events[: len(self.events) - MAX_EVENTS]
        self.si.notify(self, "latestEvent")
        return event

    # ------------------------------------------------------------ API

    def prop_latestEvent(self, ctx: CallContext) -> vim.event.Event | None:
        # The newest event the caller may see (access.event_visible), as QueryEvents answers.
        return next((e for e in reversed(self.events) if access.event_visible(ctx, e)), None)

    def prop_maxCollector(self, ctx: CallContext) -> int:
        return 32

    def QueryEvents(
        self, ctx: CallContext, filter: vim.event.EventFilterSpec, eventViewSpec: object = None
    ) -> list[vim.event.Event]:
        match = _Filter(ctx, filter)
        found = [e for e in self.events if match(e) and access.event_visible(ctx, e)]
        if filter.maxCount:
            found = found[-filter.maxCount :]
        return T.array(vim.event.Event, found)


class _Filter:
    """EventFilterSpec as a predicate."""

    def __init__(self, ctx: CallContext, spec: vim.event.EventFilterSpec) -> None:
        self.spec = spec
        self.entities: set[str] | None = None
        if spec.entity is not None:
            self.entities = _entity_scope(ctx, spec.entity)
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


def _entity_scope(ctx: CallContext, by_entity: vim.event.EventFilterSpec.ByEntity) -> set[str]:
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
