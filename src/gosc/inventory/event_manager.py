"""EventManager: the event log (gosc's own events and those clients post, QueryEvents for users)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from pyVmomi import vim

from ..vim import json_codec
from ..vim import types as T
from ..vim.faults import fault
from . import access
from .base import CallContext, ManagedObject, now
from .event_descriptions import event_description
from .event_filter import EventFilter
from .event_history_collector import EventHistoryCollector
from .history_collector import HistoryCollector, check_room, new_collector_id, page_size

if TYPE_CHECKING:
    from .service_instance import ServiceInstance
    from .virtual_machine import VirtualMachine

MAX_EVENTS = 100_000  # the newest kept (in memory and in the store) and answered by QueryEvents


_E = TypeVar("_E", bound=vim.event.Event)
# An event's entity arguments (EventArgument.<name> holds the reference): each must name an object here.
_ENTITY_ARGUMENTS = {
    "vm": "vm",
    "host": "host",
    "datacenter": "datacenter",
    "computeResource": "computeResource",
    "ds": "datastore",
    "net": "network",
    "dvs": "dvs",
}


class EventManager(ManagedObject):
    vim_type = vim.event.EventManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "EventManager")
        self.events: list[vim.event.Event] = []
        self.collectors: dict[str, HistoryCollector] = {}

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
        if vm is not None:  # trusted: the inventory's own names and references
            event.vm = T.trusted(vim.event.VmEventArgument, name=vm.name, vm=vm.ref)
            host = vm.host
            if host is not None:
                event.host = T.trusted(vim.event.HostEventArgument, name=host.name, host=host.ref)
            dc = vm.datacenter()
            if dc is not None:
                event.datacenter = T.trusted(vim.event.DatacenterEventArgument, name=dc.name, datacenter=dc.ref)
        self.events.append(event)
        self.si.store.put("event", str(event.key), json_codec.to_store(event))
        if len(self.events) > MAX_EVENTS:
            for old in self.events[: len(self.events) - MAX_EVENTS]:
                self.si.store.delete("event", str(old.key))
            del self.events[: len(self.events) - MAX_EVENTS]
        self.si.notify(self, "latestEvent")
        for collector in list(self.collectors.values()):
            self.si.notify(collector, "latestPage")
        return event

    # ------------------------------------------------------------ API

    def prop_latestEvent(self, ctx: CallContext) -> vim.event.Event | None:
        # The newest event the caller may see (access.event_visible), as QueryEvents answers.
        return next((e for e in reversed(self.events) if access.event_visible(ctx, e)), None)

    def prop_description(self, ctx: CallContext) -> vim.event.EventDescription:
        return event_description()

    def prop_maxCollector(self, ctx: CallContext) -> int:
        return 32

    def PostEvent(self, ctx: CallContext, eventToPost: vim.event.Event, taskInfo: vim.TaskInfo | None = None) -> None:
        """A client's own event (a GeneralUserEvent, say) joins the log, stamped as gosc's are."""
        for name, field in _ENTITY_ARGUMENTS.items():
            argument = getattr(eventToPost, name, None)
            ref = getattr(argument, field, None) if argument is not None else None
            if argument is not None and (ref is None or ref._moId not in self.si.objects):
                raise fault(vim.fault.InvalidEvent, f"The event's {name} argument names no object of this server.")
        eventToPost.userName = ctx.user
        if not eventToPost.fullFormattedMessage and isinstance(eventToPost, vim.event.GeneralEvent):
            eventToPost.fullFormattedMessage = eventToPost.message
        self.post(eventToPost)

    def CreateCollectorForEvents(self, ctx: CallContext, filter: vim.event.EventFilterSpec) -> T.ManagedObject:
        self.si.session_manager.sweep(self.collectors)
        check_room(ctx, self.collectors, "event")
        match = EventFilter(ctx, filter)
        size = page_size(filter.maxCount, "filter.maxCount")
        moid, owner = new_collector_id(ctx, "eventcollector")
        collector = EventHistoryCollector(self.si, moid, owner, filter, match, size, self.collectors)
        self.collectors[moid] = self.si.register(collector)
        return collector.ref

    def QueryEvents(
        self, ctx: CallContext, filter: vim.event.EventFilterSpec, eventViewSpec: object = None
    ) -> list[vim.event.Event]:
        match = EventFilter(ctx, filter)
        found = [e for e in self.events if match(e) and access.event_visible(ctx, e)]
        if filter.maxCount:
            found = found[-filter.maxCount :]
        return T.array(vim.event.Event, found)
