"""Issue 13's leftovers read back through pyVmomi: a client's posted event, a scheduled task's
info over SOAP."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from pyVmomi import vim

from gosc.testing import Gosc
from tests.inventory.support import find, power_off_once


@pytest.fixture(scope="module")
def si(gosc: Gosc) -> Any:
    return gosc.service_instance


def user_event(message: str, vm: Any, name: str) -> Any:
    # pyVmomi asks for the fields the server stamps (key, chainId, createdTime, userName): placeholders.
    return vim.event.GeneralUserEvent(
        key=0,
        chainId=0,
        createdTime=datetime.datetime.now(datetime.UTC),
        userName="",
        message=message,
        vm=vim.event.VmEventArgument(name=name, vm=vm),
    )


def test_post_event_joins_the_log(si: Any) -> None:
    content = si.RetrieveContent()
    vm = find(si, "DC0/vm/demo-ubuntu")
    event = user_event("deployed by the pipeline", vm, "demo-ubuntu")
    content.eventManager.PostEvent(event)
    found = content.eventManager.QueryEvents(vim.event.EventFilterSpec(eventTypeId=["GeneralUserEvent"]))
    posted = [e for e in found if e.message == "deployed by the pipeline"]
    assert len(posted) == 1, found
    assert posted[0].vm.vm == vm and posted[0].userName == content.sessionManager.currentSession.userName
    assert posted[0].key > 0 and posted[0].createdTime is not None
    assert posted[0].fullFormattedMessage == "deployed by the pipeline"
    assert content.eventManager.latestEvent.key == posted[0].key
    ghost = user_event("x", vim.VirtualMachine("vm-404"), "ghost")
    with pytest.raises(vim.fault.InvalidEvent):
        content.eventManager.PostEvent(ghost)


def test_scheduled_task_info_over_soap(si: Any) -> None:
    content = si.RetrieveContent()
    vm = find(si, "DC0/vm/demo-ubuntu")
    when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30)
    spec = power_off_once("soap power-off", "read back over SOAP", when)
    task = content.scheduledTaskManager.CreateScheduledTask(vm, spec)
    try:
        info = task.info
        assert info.name == "soap power-off" and info.description == "read back over SOAP"
        assert info.state == "queued" and info.enabled is True and info.entity == vm and info.taskObject == vm
        assert isinstance(info.action, vim.action.MethodAction) and info.action.name.info.wsdlName == "PowerOffVM_Task"
        assert isinstance(info.scheduler, vim.scheduler.OnceTaskScheduler) and info.scheduler.runAt == when
        assert info.nextRunTime == when and info.scheduledTask == task
    finally:
        task.RemoveScheduledTask()
