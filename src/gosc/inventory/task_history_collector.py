"""TaskHistoryCollector: a session's pageable view of the tasks its filter selects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import types as T
from . import access
from .base import CallContext
from .event_filter import entity_scope
from .history_collector import DEFAULT_PAGE_SIZE, HistoryCollector

if TYPE_CHECKING:
    from .service_instance import ServiceInstance
    from .task import Task


def task_key(task: Task) -> int:
    """The task's place in the history: moIds are ``task-<n>`` with n growing."""
    return int(task.moId.rpartition("-")[2])


class TaskFilter:
    """TaskFilterSpec as a predicate."""

    def __init__(self, ctx: CallContext, spec: vim.TaskFilterSpec) -> None:
        self.spec = spec
        self.entities = entity_scope(ctx, spec.entity) if spec.entity is not None else None
        self.states = set(spec.state) if spec.state else None
        self.chains = set(spec.eventChainId) if spec.eventChainId else None
        by_user = spec.userName
        self.users: set[str] | None = None
        self.system_user = False
        if by_user is not None and (by_user.userList or by_user.systemUser):
            self.users = set(by_user.userList or [])
            self.system_user = bool(by_user.systemUser)

    def __call__(self, info: vim.TaskInfo) -> bool:
        if self.entities is not None and (info.entity is None or info.entity._moId not in self.entities):
            return False
        if self.states is not None and info.state not in self.states:
            return False
        if self.chains is not None and info.eventChainId not in self.chains:
            return False
        if self.users is not None:
            user = getattr(info.reason, "userName", None)
            if not (user in self.users or (self.system_user and not isinstance(info.reason, vim.TaskReasonUser))):
                return False
        by_time = self.spec.time
        if by_time is not None:
            # A task that has not reached the time named (not started, not complete) is outside any range.
            when = getattr(info, by_time.timeType or "queuedTime", None)
            if when is None:
                return False
            if by_time.beginTime is not None and when < by_time.beginTime:
                return False
            if by_time.endTime is not None and when > by_time.endTime:
                return False
        return True


class TaskHistoryCollector(HistoryCollector):
    vim_type = vim.TaskHistoryCollector

    def __init__(
        self,
        si: ServiceInstance,
        moId: str,
        owner: str,
        spec: vim.TaskFilterSpec,
        match: TaskFilter,
        registry: dict[str, HistoryCollector],
    ) -> None:
        super().__init__(si, moId, owner, spec, DEFAULT_PAGE_SIZE, registry)
        self.match = match

    def items(self, ctx: CallContext) -> Sequence[tuple[int, Any]]:
        return [
            (task_key(t), t.info) for t in self.si.task_manager.tasks if self.match(t.info) and access.visible(ctx, t)
        ]

    def array(self, values: list[Any]) -> list[Any]:
        return T.array(vim.TaskInfo, values)

    def ReadNextTasks(self, ctx: CallContext, maxCount: int) -> list[vim.TaskInfo]:
        return self.read_next(ctx, maxCount)

    def ReadPreviousTasks(self, ctx: CallContext, maxCount: int) -> list[vim.TaskInfo]:
        return self.read_previous(ctx, maxCount)
