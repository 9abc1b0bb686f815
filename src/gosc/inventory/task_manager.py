"""TaskManager: creates tasks, runs their work, keeps recentTask, holds VM locks.

A task method checks its preconditions, then calls ``submit`` with the work to do; the
caller gets the Task reference at once and the work runs on the event loop.  A VM held
by a running task answers other task methods with TaskInProgress.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pyVmomi import VmomiSupport, vim, vmodl

from ..vim import json_codec
from ..vim import types as T
from ..vim.faults import fault, system_error
from . import access, inject
from .base import CallContext, ManagedEntity, ManagedObject, now
from .history_collector import HistoryCollector, check_room, new_collector_id
from .task import Task
from .task_history_collector import TaskFilter, TaskHistoryCollector

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

log = logging.getLogger(__name__)

RECENT_TASKS = 200  # vCenter shows recent tasks of the last minutes; a count is enough here
RETAINED_TASKS = 10_000  # finished tasks kept (readable, persisted) before the oldest go
Work = Callable[[Task], Awaitable[Any]]


def description_id(obj: ManagedObject, method: str) -> str:
    """vCenter's ``<type>.<method>`` id, e.g. ``VirtualMachine.powerOn``, from pyVmomi's names."""
    info = T.method_info(obj.vim_type, method)
    name = info.name if info else method
    return f"{obj.vim_type.__name__.removeprefix('vim.')}.{name[0].lower()}{name[1:]}"


def task_in_progress(entity: ManagedEntity, holder: Task) -> vmodl.MethodFault:
    return fault(
        vim.fault.TaskInProgress,
        f"The operation is not allowed in the current state: {entity.name} is busy with {holder.info.descriptionId} ({holder.moId}).",
        task=holder.ref,
    )


class TaskManager(ManagedObject):
    vim_type = vim.TaskManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "TaskManager")
        self.tasks: deque[Task] = deque()  # every retained task, oldest first
        self.locks: dict[str, Task] = {}  # entity moId -> task holding it
        self.collectors: dict[str, HistoryCollector] = {}
        si.subscribe(self._task_changed)

    def _task_changed(self, obj: ManagedObject, prop: str | None) -> None:
        # A task queued, started or ended changes what the collectors' latest pages show.
        if isinstance(obj, Task):
            for collector in list(self.collectors.values()):
                self.si.notify(collector, "latestPage")

    # ------------------------------------------------------------ restart

    def load(self) -> None:
        """Recreate persisted tasks; a task that was queued or running when the server
        died ends in error now, and its entity is free again."""
        for moid, doc in self.si.store.load("task"):
            info = json_codec.from_store(doc, vim.TaskInfo)
            task = Task(self.si, moid, info)
            self._retain(task)
            if info.state in ("queued", "running"):
                if info.state == "queued":
                    info.startTime = now()
                task.fail(
                    fault(
                        vmodl.fault.SystemError,
                        "The task was interrupted: the server restarted while it was running.",
                        reason="server restart",
                    )
                )

    def _retain(self, task: Task) -> None:
        self.si.register(task)
        self.tasks.append(task)
        while len(self.tasks) > RETAINED_TASKS and self.tasks[0].done:
            old = self.tasks.popleft()
            self.si.objects.pop(old.moId, None)
            self.si.store.delete("task", old.moId)

    def runner_of(self, ref: T.ManagedObject) -> asyncio.Task[None] | None:
        """The work of the task ``ref`` names (to wait for its end), if it still runs here."""
        task = self.si.objects.get(ref._moId)
        return task.runner if isinstance(task, Task) else None

    def running(self) -> list[Task]:
        return [t for t in self.tasks if t.runner is not None and not t.runner.done()]

    # ------------------------------------------------------------ running work

    def holder(self, entity: ManagedEntity) -> Task | None:
        return self.locks.get(entity.moId)

    def check_free(self, entity: ManagedEntity) -> None:
        task = self.holder(entity)
        if task is not None:
            raise task_in_progress(entity, task)

    def submit(
        self,
        ctx: CallContext,
        entity: ManagedEntity,
        method: str,
        work: Work,
        *,
        lock: bool = True,
        cancelable: bool = False,
        owner: ManagedObject | None = None,
    ) -> vim.Task:
        """Start ``work`` as a task on ``entity``; ``owner`` is the object whose method
        this is when that is not the entity (a manager acting on a VM)."""
        if lock:
            self.check_free(entity)
        moid = self.si.new_moid("task")
        # trusted: every value is the server's own, of its property's type (pyVmomi's check
        # of each was a tenth of a power task's call).
        info = T.trusted(
            vim.TaskInfo,
            key=moid,
            task=vim.Task(moid),
            descriptionId=description_id(owner or entity, method),
            name=VmomiSupport.GetWsdlMethod(T.VIM_NS, method),
            entity=entity.ref,
            entityName=entity.name,
            state="queued",
            cancelled=False,
            cancelable=cancelable,
            reason=T.trusted(vim.TaskReasonUser, userName=ctx.user),
            queueTime=now(),
            eventChainId=self.si.event_manager.new_chain_id(),
        )
        task = Task(self.si, moid, info)
        self._retain(task)
        if lock:
            self.locks[entity.moId] = task
        task.runner = asyncio.get_running_loop().create_task(self._run(task, entity, work, lock))
        return task.ref

    async def _run(self, task: Task, entity: ManagedEntity, work: Work, lock: bool) -> None:
        try:
            # The call that made this task is answered first (server/direct.py sends an
            # answer from a callback queued after this task's first step): its client reads
            # the task's reference while the task is stored and its work runs, instead of
            # after (docs/decisions.md, "A task is stored as its call is answered").
            await asyncio.sleep(0)
            task.save()
            task.start()
            await inject.at_task_start()  # an injected hold, delay or fault of the call that made this task
            result = await work(task)
        except vmodl.MethodFault as f:
            task.fail(f)
        except asyncio.CancelledError:
            task.fail(
                fault(vmodl.fault.RequestCanceled, "The task was canceled by a user.")
                if task.info.cancelled
                else system_error("server shutting down")
            )
            raise
        except Exception as e:  # a bug must still end the task, never leave it running
            log.exception("task %s (%s) failed", task.moId, task.info.descriptionId)
            task.fail(system_error(f"{type(e).__name__} in {task.info.descriptionId}"))
        else:
            task.succeed(result)
        finally:
            if lock and self.locks.get(entity.moId) is task:
                del self.locks[entity.moId]

    # ------------------------------------------------------------ API

    def recent(self, ctx: CallContext, entity: ManagedEntity | None = None) -> list[T.ManagedObject]:
        """The recent tasks (on ``entity`` only, when given) that the caller may see, oldest first."""
        recent = list(itertools.islice(reversed(self.tasks), RECENT_TASKS))[::-1]
        if entity is not None:
            recent = [t for t in recent if t.info.entity is not None and t.info.entity._moId == entity.moId]
        return T.array(vim.Task, [t.ref for t in recent if access.visible(ctx, t)])

    def prop_recentTask(self, ctx: CallContext) -> list[T.ManagedObject]:
        return self.recent(ctx)

    def prop_maxCollector(self, ctx: CallContext) -> int:
        return 32

    def CreateCollectorForTasks(self, ctx: CallContext, filter: vim.TaskFilterSpec) -> T.ManagedObject:
        self.si.session_manager.sweep(self.collectors)
        check_room(ctx, self.collectors, "task")
        match = TaskFilter(ctx, filter)
        moid, owner = new_collector_id(ctx, "taskcollector")
        collector = TaskHistoryCollector(self.si, moid, owner, filter, match, self.collectors)
        self.collectors[moid] = self.si.register(collector)
        return collector.ref
