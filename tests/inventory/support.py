"""Helpers for the inventory tests: pyVmomi reads through the real server."""

from __future__ import annotations

import datetime
from typing import Any

from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl


def find(si: Any, path: str) -> Any:
    found = si.RetrieveContent().searchIndex.FindByInventoryPath(path)
    assert found is not None, path
    return found


def task_result(task: Any) -> Any:
    WaitForTask(task)
    return task.info.result


def task_error(task: Any) -> Any:
    """The fault a task ended with (it must end in error)."""
    try:
        WaitForTask(task)
    except vmodl.MethodFault as e:
        return e
    raise AssertionError(f"{task} succeeded")


def collect(si: Any, specs: list[tuple[type, list[str]]], traversal: list[Any], root: Any) -> dict[str, dict[str, Any]]:
    """RetrievePropertiesEx from ``root`` along ``traversal``: moId -> {path: value}."""
    pc = si.RetrieveContent().propertyCollector
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=root, skip=False, selectSet=traversal)],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=t, pathSet=paths) for t, paths in specs],
    )
    out: dict[str, dict[str, Any]] = {}
    result = pc.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions())
    while result is not None:
        for oc in result.objects:
            out[oc.obj._moId] = {p.name: p.val for p in oc.propSet}
        result = pc.ContinueRetrievePropertiesEx(result.token) if result.token else None
    return out


def inventory_traversal() -> list[Any]:
    """Root folder -> datacenters -> their datastore, network, host and vm folders."""
    TS = vmodl.query.PropertyCollector.TraversalSpec
    SS = vmodl.query.PropertyCollector.SelectionSpec
    folders = SS(name="folders")
    return [
        TS(
            name="folders",
            type=vim.Folder,
            path="childEntity",
            skip=False,
            selectSet=[folders, SS(name="dc-ds"), SS(name="dc-net"), SS(name="dc-host")],
        ),
        TS(name="dc-ds", type=vim.Datacenter, path="datastoreFolder", skip=False, selectSet=[folders]),
        TS(name="dc-net", type=vim.Datacenter, path="networkFolder", skip=False, selectSet=[folders]),
        TS(name="dc-host", type=vim.Datacenter, path="hostFolder", skip=False, selectSet=[folders]),
    ]


def power_off_once(name: str, description: str, when: datetime.datetime) -> vim.scheduler.ScheduledTaskSpec:
    """A scheduled task's spec: power its VM off once, at ``when``."""
    return vim.scheduler.ScheduledTaskSpec(
        name=name,
        description=description,
        enabled=True,
        scheduler=vim.scheduler.OnceTaskScheduler(runAt=when),
        action=vim.action.MethodAction(name=vim.VirtualMachine.PowerOff),
    )
