"""Task: a TaskInfo state machine (queued -> running -> success | error), persisted when
made and when ended, so that a restart can end what was running."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from pyVmomi import vim, vmodl

from ..vim import json_codec, soap_fast
from ..vim import types as T
from ..vim.faults import fault
from .base import CallContext, ManagedObject, now

if TYPE_CHECKING:
    from .service_instance import ServiceInstance


class Task(ManagedObject):
    vim_type = vim.Task

    def __init__(self, si: ServiceInstance, moId: str, info: vim.TaskInfo) -> None:
        super().__init__(si, moId)
        self.info = info
        self.runner: asyncio.Task[None] | None = None
        self.cancel_hook: Callable[[], None] | None = None  # called by CancelTask while cancelable

    @property
    def ref(self) -> vim.Task:
        return vim.Task(self.moId)

    def prop_info(self, ctx: CallContext) -> vim.TaskInfo:
        return self.info

    # ------------------------------------------------------------ transitions

    def save(self) -> None:
        self.si.store.put("task", self.moId, json_codec.to_store(self.info))
        self.si.notify(self, "info")

    def start(self) -> None:
        # Not persisted: after a restart a task stored as queued ends as one stored running
        # would (TaskManager.load), and a write fewer per task is a tenth of a power task.
        self.info.state = vim.TaskInfo.State.running
        self.info.startTime = now()
        self.info.progress = 0
        self.si.notify(self, "info")

    def set_progress(self, percent: int) -> None:
        if self.info.state == "running" and percent != self.info.progress:
            self.info.progress = percent
            self.si.notify(self, "info")  # not persisted: progress is advisory

    def succeed(self, result: object = None) -> None:
        self._finish(vim.TaskInfo.State.success, result=result)

    def fail(self, error: vmodl.MethodFault) -> None:
        self._finish(vim.TaskInfo.State.error, error=error)

    def _finish(self, state: vim.TaskInfo.State, result: object = None, error: vmodl.MethodFault | None = None) -> None:
        self.info.state = state
        self.info.result = result
        self.info.error = error
        self.info.cancelable = False
        self.info.progress = None
        self.info.completeTime = now()
        if result is None or isinstance(result, T.ManagedObject):
            # An ended task's info never changes again (nor does a reference it returned):
            # pyVim's WaitForTask reads it four times once it has ended (WaitForUpdates,
            # Fetch info, info.progress, info again), each written once per release.
            soap_fast.freeze(self.info, while_alive=True)
        self.save()

    @property
    def done(self) -> bool:
        return self.info.state in ("success", "error")

    # ------------------------------------------------------------ API

    def CancelTask(self, ctx: CallContext) -> None:
        # Who started a task may cancel it; anyone else needs Global.CancelTask, as on vCenter.
        if ctx.user != getattr(self.info.reason, "userName", None):
            ctx.check(self.si.root_folder, "Global.CancelTask")
        if self.done:
            raise fault(vim.fault.InvalidState, f"Task {self.moId} has already completed.")
        if not self.info.cancelable or self.cancel_hook is None:
            raise fault(vmodl.fault.NotSupported, f"Task {self.moId} ({self.info.descriptionId}) cannot be cancelled.")
        self.info.cancelled = True
        self.cancel_hook()
