"""ScheduledTask: a method that the ScheduledTaskManager calls on an object when its
scheduler says (schedules.py), as the user who scheduled it.

The action is a ``MethodAction``: the method runs through the same call path as a client's
call (dispatch.invoke: privileges, injections), so a scheduled ``PowerOffVM_Task`` is the
power-off a client would make; a ``*_Task`` method's task is followed to its end.
"""

from __future__ import annotations

import asyncio
import datetime
from typing import TYPE_CHECKING, Any, cast

from pyVmomi import vim, vmodl

from ..vim import json_codec
from ..vim import types as T
from ..vim.faults import fault, invalid_argument
from . import dispatch, schedules
from .base import CallContext, ManagedEntity, ManagedObject, now

if TYPE_CHECKING:
    from .service_instance import ServiceInstance
    from .session_manager import Session
    from .task import Task


_LOADED_STATE = {"running": "error", "scheduled": "queued"}


def method_name(method: object) -> str:
    """The wsdl name of a MethodAction's method (pyVmomi gives a ManagedMethod)."""
    info = getattr(method, "info", None)
    return str(getattr(info, "wsdlName", "")) if info is not None else str(method or "")


def method_of(obj: ManagedObject, action: vim.action.Action | None, path: str) -> T.MethodInfo:
    """The method a MethodAction names on ``obj``: InvalidArgument if it has none such."""
    if not isinstance(action, vim.action.MethodAction):
        raise invalid_argument(path, "gosc runs MethodAction actions")
    name = method_name(action.name)
    info = T.method_info(obj.vim_type, name)
    if info is None or getattr(type(obj), info.wsdl_name, None) is None:
        raise invalid_argument(f"{path}.name", f"{obj.type_name} has no method '{name}'")
    if len(action.argument or []) > len(info.params):
        raise invalid_argument(f"{path}.argument", f"{name} takes {len(info.params)} arguments")
    return info


class ScheduledTask(ManagedObject):
    vim_type = vim.scheduler.ScheduledTask

    def __init__(
        self, si: ServiceInstance, moId: str, obj: ManagedObject, spec: vim.scheduler.ScheduledTaskSpec, user: str
    ) -> None:
        super().__init__(si, moId)
        self.obj = obj
        self.spec = spec
        self.user = user  # who scheduled it: the action runs with their privileges
        self.created = now()
        self.modified = self.created
        self.modified_by = user
        self.next_run: datetime.datetime | None = None
        self.prev_run: datetime.datetime | None = None
        # TaskInfo.State has no "scheduled": a task that has not run yet is queued (pyVmomi and govmomi
        # refuse any other word on the wire).
        self.state = "queued"
        self.error: vmodl.MethodFault | None = None
        self.result: Any = None
        self.active_task: T.ManagedObject | None = None
        self.runner: asyncio.Task[None] | None = None

    # ------------------------------------------------------------ schedule

    def plan(self, after: datetime.datetime) -> None:
        """Set the next run time after ``after`` (none while disabled)."""
        scheduler = self.spec.scheduler
        started = self.si.scheduled_task_manager.started
        self.next_run = (
            schedules.next_run(scheduler, after, started, self.created) if self.spec.enabled and scheduler else None
        )

    @property
    def running(self) -> bool:
        return self.runner is not None and not self.runner.done()

    def start(self, session: Session) -> None:
        self.runner = asyncio.get_running_loop().create_task(self._run(session))

    async def _run(self, session: Session) -> None:
        self.state, self.error, self.result, self.prev_run = "running", None, None, now()
        self.plan(self.si.scheduled_task_manager.wall())  # a once task has no next run now
        self._post(vim.event.ScheduledTaskStartedEvent(), f"Running task {self.spec.name} on {self._name()}")
        self.changed()
        ctx = CallContext(self.si, T.NEWEST_VERSION, session)
        try:
            info = method_of(self.obj, self.spec.action, "spec.action")
            action = self.spec.action
            given = action.argument if isinstance(action, vim.action.MethodAction) else []
            args = {p.name: a.value for p, a in zip(info.params, given or [], strict=False)}
            result = await dispatch.invoke(ctx, self.obj, info, args)
            if isinstance(result, vim.Task):
                self.active_task = result
                self.changed()
                result = await self._follow(result)
        except vmodl.MethodFault as f:
            self.state, self.error = "error", f
            self._post(vim.event.ScheduledTaskFailedEvent(reason=f), f"Task {self.spec.name} on {self._name()} failed")
        else:
            self.state, self.result = "success", result
            self._post(vim.event.ScheduledTaskCompletedEvent(), f"Task {self.spec.name} on {self._name()} completed")
        finally:
            self.active_task = None
            self.changed()

    async def _follow(self, ref: vim.Task) -> Any:
        task = cast("Task", self.si.objects.get(ref._moId))
        if task.runner is not None:
            await asyncio.wait([task.runner])
        info = task.info
        if info.state == "error":
            error: object = info.error
            raise error if isinstance(error, vmodl.MethodFault) else fault(vmodl.fault.SystemError, "the task failed")
        return info.result

    # ------------------------------------------------------------ persistence

    def _name(self) -> str:
        return self.obj.name if isinstance(self.obj, ManagedEntity) else self.obj.moId

    def _post(self, event: vim.event.ScheduledTaskEvent, message: str) -> None:
        event.scheduledTask = vim.event.ScheduledTaskEventArgument(name=self.spec.name, scheduledTask=self.ref)
        event.entity = vim.event.ManagedEntityEventArgument(name=self._name(), entity=self.obj.ref)
        event.userName, event.fullFormattedMessage = self.user, message
        self.si.event_manager.post(event)

    def to_doc(self) -> dict[str, Any]:
        return {
            "obj": self.obj.moId,
            "spec": json_codec.to_store(self.spec),
            "user": self.user,
            "created": self.created.isoformat(),
            "modified": self.modified.isoformat(),
            "modifiedBy": self.modified_by,
            "prevRun": self.prev_run.isoformat() if self.prev_run else None,
            "state": self.state,
            "error": json_codec.to_store(self.error) if self.error is not None else None,
        }

    @classmethod
    def from_doc(cls, si: ServiceInstance, moid: str, obj: ManagedObject, doc: dict[str, Any]) -> ScheduledTask:
        spec = json_codec.from_store(doc["spec"], vim.scheduler.ScheduledTaskSpec)
        task = cls(si, moid, obj, spec, doc["user"])
        task.created = datetime.datetime.fromisoformat(doc["created"])
        task.modified = datetime.datetime.fromisoformat(doc["modified"])
        task.modified_by = doc["modifiedBy"]
        task.prev_run = datetime.datetime.fromisoformat(doc["prevRun"]) if doc.get("prevRun") else None
        # A run the server's stop interrupted ended in error, as a task does; "scheduled" is what the
        # first stores said for "queued".
        task.state = _LOADED_STATE.get(doc["state"], doc["state"])
        if doc.get("error"):
            task.error = json_codec.from_store(doc["error"], vmodl.MethodFault)
        elif doc["state"] == "running":
            task.error = fault(vmodl.fault.SystemError, "The server restarted while the task ran.", reason="restart")
        return task

    def changed(self) -> None:
        self.si.store.put("scheduledtask", self.moId, self.to_doc())
        self.si.notify(self, "info")

    # ------------------------------------------------------------ API

    def prop_info(self, ctx: CallContext) -> vim.scheduler.ScheduledTaskInfo:
        s = self.spec
        return vim.scheduler.ScheduledTaskInfo(
            name=s.name,
            description=s.description or "",
            enabled=bool(s.enabled),
            scheduler=s.scheduler,
            action=s.action,
            notification=s.notification,
            scheduledTask=self.ref,
            entity=self.obj.ref if isinstance(self.obj, ManagedEntity) else None,
            taskObject=self.obj.ref,
            lastModifiedTime=self.modified,
            lastModifiedUser=self.modified_by,
            nextRunTime=self.next_run,
            prevRunTime=self.prev_run,
            state=self.state,
            error=self.error,
            result=self.result if isinstance(self.result, T.ManagedObject | str | int | bool) else None,
            progress=None,
            activeTask=self.active_task,
        )

    def RunScheduledTask(self, ctx: CallContext) -> None:
        ctx.check(self._entity(), "ScheduledTask.Run")
        if self.running:
            raise fault(vim.fault.InvalidState, f"The scheduled task {self.spec.name} is running already.")
        self.start(self.si.scheduled_task_manager.session_of(self.user))

    def RemoveScheduledTask(self, ctx: CallContext) -> None:
        ctx.check(self._entity(), "ScheduledTask.Delete")
        self.si.scheduled_task_manager.remove(self, ctx.user)

    def ReconfigureScheduledTask(self, ctx: CallContext, spec: vim.scheduler.ScheduledTaskSpec) -> None:
        ctx.check(self._entity(), "ScheduledTask.Edit")
        self.si.scheduled_task_manager.check_spec(self.obj, spec, self)
        self.spec, self.modified, self.modified_by = spec, now(), ctx.user
        self.plan(self.si.scheduled_task_manager.wall())
        self._post(vim.event.ScheduledTaskReconfiguredEvent(), f"Reconfigured task {spec.name} on {self._name()}")
        self.changed()

    def _entity(self) -> ManagedObject:
        return self.obj if isinstance(self.obj, ManagedEntity) else self.si.root_folder
