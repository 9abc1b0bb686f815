"""HistoryCollector: what task and event collectors share (paging, page size, lifetime).

A collector is a scrollable view over the items of its manager's history that match its
filter, oldest first.  Its position is a boundary between two items: ``ReadNext*`` answers
the items after it and moves it forward (newer), ``ReadPrevious*`` the items before it and
moves it back (older); both answer in chronological order.  ``RewindCollector`` puts it
before the oldest item (where a new collector starts), ``ResetCollector`` just before the
latest page.  ``latestPage`` is the newest ``pageSize`` items, newest first, and follows the
history as it grows, so the PropertyCollector reports it changing (govc ``events -f``).

A collector belongs to the session that made it (``owner``): another session is answered
ManagedObjectNotFound, and it goes when its session does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim.faults import fault, invalid_argument, not_found
from .base import CallContext, ManagedObject

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000  # the most items one page or one read answers
MAX_COLLECTORS = 32  # per session and manager, as the managers' maxCollector says


def page_size(value: int | None, argument: str) -> int:
    """A page size as given (0 or unset: the default), or InvalidArgument."""
    if not value:
        return DEFAULT_PAGE_SIZE
    if value < 0 or value > MAX_PAGE_SIZE:
        raise invalid_argument(argument, f"a page size must be between 1 and {MAX_PAGE_SIZE}, not {value}")
    return value


def new_collector_id(ctx: CallContext, kind: str) -> tuple[str, str]:
    """A new collector's moId and owner: the calling session (dispatch lets only a logged-in
    caller create one: the methods need System.View)."""
    assert ctx.session is not None
    return f"session[{ctx.session.key}]{kind}-{uuid.uuid4().hex[:12]}", ctx.session.key


def check_room(ctx: CallContext, collectors: dict[str, HistoryCollector], what: str) -> None:
    mine = sum(1 for c in collectors.values() if ctx.session is not None and c.owner == ctx.session.key)
    if mine >= MAX_COLLECTORS:
        raise fault(
            vim.fault.InvalidState,
            f"This session already has {MAX_COLLECTORS} {what} collectors, the most it may hold;"
            " destroy one (DestroyCollector) first.",
        )


class HistoryCollector(ManagedObject):
    vim_type = vim.HistoryCollector

    def __init__(
        self, si: ServiceInstance, moId: str, owner: str, spec: Any, size: int, registry: dict[str, HistoryCollector]
    ) -> None:
        super().__init__(si, moId)
        self.owner = owner
        self.spec = spec
        self.size = size
        self.cursor = 0  # items whose key is below this are behind the position; keys start at 1
        self.registry = registry  # the manager's collectors, which this one leaves when destroyed

    # ------------------------------------------------------------ what subclasses give

    def items(self, ctx: CallContext) -> Sequence[tuple[int, Any]]:
        """(key, item) of every item that matches the filter and the caller may see, oldest first."""
        raise NotImplementedError(type(self).__name__)

    def array(self, values: list[Any]) -> list[Any]:
        raise NotImplementedError(type(self).__name__)

    # ------------------------------------------------------------ paging

    def _own(self, ctx: CallContext) -> None:
        if ctx.session is None or ctx.session.key != self.owner:
            raise not_found(self.ref)

    def latest(self, ctx: CallContext) -> list[Any]:
        """The latest page, newest first."""
        return self.array([item for _, item in reversed(self.items(ctx)[-self.size :])])

    def read_next(self, ctx: CallContext, maxCount: int) -> list[Any]:
        self._own(ctx)
        count = self._count(maxCount)
        batch = [(k, i) for k, i in self.items(ctx) if k >= self.cursor][:count]
        if batch:
            self.cursor = batch[-1][0] + 1
        return self.array([i for _, i in batch])

    def read_previous(self, ctx: CallContext, maxCount: int) -> list[Any]:
        self._own(ctx)
        count = self._count(maxCount)
        batch = [(k, i) for k, i in self.items(ctx) if k < self.cursor][-count:]
        if batch:
            self.cursor = batch[0][0]
        return self.array([i for _, i in batch])

    @staticmethod
    def _count(value: int) -> int:
        if value <= 0 or value > MAX_PAGE_SIZE:
            raise invalid_argument("maxCount", f"maxCount must be between 1 and {MAX_PAGE_SIZE}, not {value}")
        return value

    # ------------------------------------------------------------ API

    def prop_filter(self, ctx: CallContext) -> Any:
        return self.spec

    def prop_latestPage(self, ctx: CallContext) -> list[Any]:
        return self.latest(ctx)

    def RewindCollector(self, ctx: CallContext) -> None:
        self._own(ctx)
        self.cursor = 0

    def ResetCollector(self, ctx: CallContext) -> None:
        self._own(ctx)
        items = self.items(ctx)
        page = items[-self.size :]
        self.cursor = page[0][0] if page else (items[-1][0] + 1 if items else 0)

    def SetCollectorPageSize(self, ctx: CallContext, maxCount: int) -> None:
        self._own(ctx)
        self.size = page_size(maxCount, "maxCount")
        self.si.notify(self, "latestPage")

    def DestroyCollector(self, ctx: CallContext) -> None:
        self._own(ctx)
        self.registry.pop(self.moId, None)
        self.si.objects.pop(self.moId, None)
        self.si.notify(self, None)
