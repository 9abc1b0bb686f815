"""ScheduledTaskManager: scheduled tasks (scheduled_task.py) and the loop that runs them.

The loop reads the server's clock (``ServiceInstance.clock``: the test hooks' offset moves
it) and looks at least once a second, so a task runs within a second of its time, and a
test moves the clock instead of waiting.  Scheduled tasks persist; after a restart a task
whose time passed while the server was down runs at once, as vCenter catches up.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import time
from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import types as T
from ..vim.faults import fault, invalid_argument, not_found
from . import schedules
from .base import CallContext, ManagedEntity, ManagedObject
from .scheduled_task import ScheduledTask, method_of
from .session_manager import Session

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

POLL = 1.0  # seconds between looks at the clock at most
_DESCRIPTIONS = {
    "action": [("MethodAction", "Method action")],
    "state": [("queued", "Queued"), ("running", "Running"), ("success", "Completed"), ("error", "Failed")],
    "dayOfWeek": [
        (d, d.capitalize()) for d in ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
    ],
    "weekOfMonth": [(w, w.capitalize()) for w in ("first", "second", "third", "fourth", "last")],
}


class ScheduledTaskManager(ManagedObject):
    vim_type = vim.scheduler.ScheduledTaskManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "ScheduledTaskManager")
        self.tasks: dict[str, ScheduledTask] = {}
        self.started = self.wall()  # when "after startup" schedules count from
        self._loop: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def wall(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.si.clock.wall(), datetime.UTC)

    def session_of(self, user: str) -> Session:
        """The session a scheduled action runs in: its scheduler's user, not logged in anywhere."""
        wall = time.time()  # its login is its latest call
        login = datetime.datetime.fromtimestamp(wall, datetime.UTC)
        return Session("", f"scheduled-{user}", user, user, login, "en", "", "gosc scheduler", time.monotonic(), wall)

    # ------------------------------------------------------------ persistence and the loop

    def load(self) -> None:
        for moid, doc in self.si.store.load("scheduledtask"):
            obj = self.si.objects.get(doc["obj"])
            if obj is None:  # its object went while the server was down
                self.si.store.delete("scheduledtask", moid)
                continue
            task = ScheduledTask.from_doc(self.si, moid, obj, doc)
            task.plan(task.prev_run or task.created)
            self.tasks[moid] = self.si.register(task)
        self.si.subscribe(self._entity_gone)

    def _entity_gone(self, obj: ManagedObject, prop: str | None) -> None:
        # A destroyed entity takes its scheduled tasks with it, as on vCenter.
        if prop is None and obj.moId not in self.si.objects:
            for task in [t for t in self.tasks.values() if t.obj is obj]:
                self.remove(task, "")

    def ensure_running(self) -> None:
        if self._loop is None or self._loop.done():
            self._loop = asyncio.get_running_loop().create_task(self._run())
        self._wake.set()

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(BaseException):
                await self._loop
        for task in self.tasks.values():
            if task.runner is not None:
                task.runner.cancel()
                with contextlib.suppress(BaseException):
                    await task.runner

    async def _run(self) -> None:
        while self.tasks:
            wall = self.wall()
            for task in list(self.tasks.values()):
                if task.next_run is not None and task.next_run <= wall and not task.running:
                    task.start(self.session_of(task.user))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL)

    # ------------------------------------------------------------ checks

    def check_spec(self, obj: ManagedObject, spec: vim.scheduler.ScheduledTaskSpec, task: ScheduledTask | None) -> None:
        if not spec.name:
            raise invalid_argument("spec.name", "a scheduled task has a name")
        if any(t.spec.name == spec.name and t is not task for t in self.tasks.values()):
            raise fault(
                vim.fault.DuplicateName, f"The name '{spec.name}' already exists.", name=spec.name, object=self.ref
            )
        schedules.check(spec.scheduler, "spec.scheduler")
        method_of(obj, spec.action, "spec.action")

    def remove(self, task: ScheduledTask, user: str) -> None:
        if task.runner is not None and not task.runner.done():
            task.runner.cancel()
        self.tasks.pop(task.moId, None)
        self.si.store.delete("scheduledtask", task.moId)
        if user:
            task._post(vim.event.ScheduledTaskRemovedEvent(), f"Removed task {task.spec.name} on {task._name()}")
        self.si.unregister(task)
        self.si.notify(self, "scheduledTask")

    # ------------------------------------------------------------ API

    def _create(self, ctx: CallContext, ref: T.ManagedObject, spec: vim.scheduler.ScheduledTaskSpec) -> T.ManagedObject:
        obj = self.si.objects.get(ref._moId)
        if obj is None:
            raise not_found(ref)
        ctx.check(obj if isinstance(obj, ManagedEntity) else self.si.root_folder, "ScheduledTask.Create")
        self.check_spec(obj, spec, None)
        task = self.si.register(ScheduledTask(self.si, self.si.new_moid("schedtask"), obj, spec, ctx.user))
        task.plan(self.wall() - datetime.timedelta(microseconds=1))
        self.tasks[task.moId] = task
        task._post(vim.event.ScheduledTaskCreatedEvent(), f"Created task {spec.name} on {task._name()}")
        task.changed()
        self.si.notify(self, "scheduledTask")
        self.ensure_running()
        return task.ref

    def CreateScheduledTask(
        self, ctx: CallContext, entity: vim.ManagedEntity, spec: vim.scheduler.ScheduledTaskSpec
    ) -> T.ManagedObject:
        return self._create(ctx, entity, spec)

    def CreateObjectScheduledTask(
        self, ctx: CallContext, obj: T.ManagedObject, spec: vim.scheduler.ScheduledTaskSpec
    ) -> T.ManagedObject:
        return self._create(ctx, obj, spec)

    def RetrieveEntityScheduledTask(
        self, ctx: CallContext, entity: vim.ManagedEntity | None = None
    ) -> list[T.ManagedObject]:
        return T.array(
            vim.scheduler.ScheduledTask,
            [t.ref for t in self.tasks.values() if entity is None or t.obj.moId == entity._moId],
        )

    def RetrieveObjectScheduledTask(
        self, ctx: CallContext, obj: T.ManagedObject | None = None
    ) -> list[T.ManagedObject]:
        return T.array(
            vim.scheduler.ScheduledTask, [t.ref for t in self.tasks.values() if obj is None or t.obj.moId == obj._moId]
        )

    def prop_scheduledTask(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.scheduler.ScheduledTask, [t.ref for t in self.tasks.values()])

    def prop_description(self, ctx: CallContext) -> vim.scheduler.ScheduledTaskDescription:
        def infos(kind: str) -> list[vim.ElementDescription]:
            return [vim.ElementDescription(key=k, label=label, summary=label) for k, label in _DESCRIPTIONS[kind]]

        return vim.scheduler.ScheduledTaskDescription(
            action=[vim.TypeDescription(key=k, label=label, summary=label) for k, label in _DESCRIPTIONS["action"]],
            schedulerInfo=[
                vim.scheduler.ScheduledTaskDescription.SchedulerDetail(key=k, label=k, summary=k, frequency=k)
                for k in ("OnceTaskScheduler", "AfterStartupTaskScheduler", "HourlyTaskScheduler", "DailyTaskScheduler")
            ],
            state=infos("state"),
            dayOfWeek=infos("dayOfWeek"),
            weekOfMonth=infos("weekOfMonth"),
        )
