"""EventHistoryCollector: a session's pageable view of the events its filter selects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import types as T
from . import access
from .base import CallContext
from .event_filter import EventFilter
from .history_collector import HistoryCollector

if TYPE_CHECKING:
    from .service_instance import ServiceInstance


class EventHistoryCollector(HistoryCollector):
    vim_type = vim.event.EventHistoryCollector

    def __init__(
        self,
        si: ServiceInstance,
        moId: str,
        owner: str,
        spec: vim.event.EventFilterSpec,
        match: EventFilter,
        size: int,
        registry: dict[str, HistoryCollector],
    ) -> None:
        super().__init__(si, moId, owner, spec, size, registry)
        self.match = match

    def items(self, ctx: CallContext) -> Sequence[tuple[int, Any]]:
        return [(e.key, e) for e in self.si.event_manager.events if self.match(e) and access.event_visible(ctx, e)]

    def array(self, values: list[Any]) -> list[Any]:
        return T.array(vim.event.Event, values)

    def prop_initialized(self, ctx: CallContext) -> bool:
        return True

    def ReadNextEvents(self, ctx: CallContext, maxCount: int) -> list[vim.event.Event]:
        return self.read_next(ctx, maxCount)

    def ReadPreviousEvents(self, ctx: CallContext, maxCount: int) -> list[vim.event.Event]:
        return self.read_previous(ctx, maxCount)
