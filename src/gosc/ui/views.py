"""What the pages show, read through the caller's CallContext.

Every entity, task and event passes ``gosc.inventory.access`` first, the rule every API
read path applies: a collection leaves out silently what the caller may not read
(``visible``, ``event_visible``); the tree hangs an entity whose parent the caller may not
read under its nearest readable ancestor, so no hidden name shows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from pyVmomi import vim

from ..inventory import access
from ..inventory.base import CallContext, ManagedEntity
from ..inventory.task import Task
from ..inventory.virtual_machine import VirtualMachine
from ..vim import types as T
from ..vim.faults import message_of

CUSTOMIZATION_STATUS = {
    "TOOLSDEPLOYPKG_IDLE": "idle",
    "TOOLSDEPLOYPKG_PENDING": "pending",
    "TOOLSDEPLOYPKG_RUNNING": "running",
    "TOOLSDEPLOYPKG_SUCCEEDED": "succeeded",
    "TOOLSDEPLOYPKG_FAILED": "failed",
}
# What the tree shows of each entity type, and in which order siblings come.
KINDS: dict[type, tuple[int, str]] = {
    vim.Folder: (0, "folder"),
    vim.Datacenter: (1, "datacenter"),
    vim.ComputeResource: (2, "cluster"),
    vim.ClusterComputeResource: (2, "cluster"),
    vim.HostSystem: (3, "host"),
    vim.VirtualMachine: (4, "vm"),
}


@dataclass
class VmRow:
    moid: str
    name: str
    power: str
    tools: str
    host_name: str
    ips: list[str]
    customization: str
    customization_error: str


@dataclass
class Node:
    moid: str
    name: str
    kind: str
    vm: VmRow | None = None
    children: list[Node] = field(default_factory=list)


def vm_row(vm: VirtualMachine) -> VmRow:
    """A VM's line: what ``runtime.powerState``, ``guest.toolsRunningStatus``,
    ``guest.hostName``, ``guest.net[].ipAddress`` and ``guest.customizationInfo`` read
    (the guest's values only while its tools run, as ``prop_guest`` has them)."""
    running = vm.tools_running
    tools = "running" if running else ("not running" if vm.tools_installed else "not installed")
    ips: list[str] = []
    if running:
        macs = set(vm.macs())
        for nic in vm.guest_report.get("nics", []):
            if nic.get("mac") in macs:
                ips += [str(a).split("/")[0] for a in nic.get("ipAddress", []) if a]
    info = vm.customization_info
    return VmRow(
        moid=vm.moId,
        name=vm.name,
        power=vm.power_state,
        tools=tools,
        host_name=str(vm.guest_report.get("hostName") or "") if running else "",
        ips=ips,
        customization=CUSTOMIZATION_STATUS.get(info.customizationStatus or "", "") if info else "",
        customization_error=(info.errorMsg or "") if info else "",
    )


def inventory_tree(ctx: CallContext) -> list[Node]:
    """Datacenters, folders, clusters, hosts and VMs the caller may read, as a tree."""
    si = ctx.si
    shown = {
        moid: e
        for moid, e in si.entities.items()
        if e.vim_type in KINDS and e is not si.root_folder and access.visible(ctx, e)
    }
    nodes = {
        moid: Node(moid, e.name, KINDS[e.vim_type][1], vm_row(e) if isinstance(e, VirtualMachine) else None)
        for moid, e in shown.items()
    }
    top: list[Node] = []
    for moid, e in shown.items():
        parent = _shown_ancestor(e, shown)
        (nodes[parent].children if parent is not None else top).append(nodes[moid])
    order = {n: KINDS[e.vim_type][0] for n, e in shown.items()}
    for node in [*nodes.values()]:
        node.children.sort(key=lambda c: (order[c.moid], c.name.lower()))
    top.sort(key=lambda c: (order[c.moid], c.name.lower()))
    return top


def _shown_ancestor(e: ManagedEntity, shown: dict[str, ManagedEntity]) -> str | None:
    node = e.parent_obj
    while node is not None:
        if node.moId in shown:
            return node.moId
        node = node.parent_obj
    return None


def readable_vm(ctx: CallContext, moid: str) -> VirtualMachine | None:
    """The VM ``moid`` if the caller may read it (else None: the page says not found, as
    a VM the caller may not see is not there for it)."""
    vm = ctx.si.entities.get(moid)
    return vm if isinstance(vm, VirtualMachine) and access.visible(ctx, vm) else None


# ---------------------------------------------------------------- tasks and events


def when(value: datetime.datetime | None) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def task_view(task: Task) -> dict[str, Any]:
    info = task.info
    result = info.result
    if isinstance(result, T.ManagedObject):
        result_text = f"{T.wsdl_name(type(result))} {result._moId}"
    else:
        result_text = "" if result is None else str(result)[:200]
    return {
        "moid": task.moId,
        "name": info.descriptionId or "",
        "entity": info.entityName or "",
        "entity_moid": info.entity._moId if info.entity is not None else "",
        "state": str(info.state),
        "progress": info.progress,
        "result": result_text,
        "error": f"{T.wsdl_name(type(info.error))}: {message_of(info.error)}" if info.error is not None else "",
        "user": getattr(info.reason, "userName", "") or "",
        "queued": when(info.queueTime),
        "completed": when(info.completeTime),
    }


def recent_tasks(ctx: CallContext) -> list[dict[str, Any]]:
    """TaskManager.recentTask as the caller reads it, newest first."""
    refs = ctx.si.task_manager.recent(ctx)
    tasks = [ctx.si.objects.get(r._moId) for r in reversed(refs)]
    return [task_view(t) for t in tasks if isinstance(t, Task)]


def events(ctx: CallContext, entity: str, type_name: str, limit: int = 200) -> list[dict[str, Any]]:
    """QueryEvents with the page's filter: ``entity`` (a moId; its own events) and
    ``type_name`` (an event type, e.g. CustomizationSucceeded)."""
    spec = vim.event.EventFilterSpec(maxCount=limit)
    target = ctx.si.entities.get(entity) if entity else None
    if target is not None:
        spec.entity = vim.event.EventFilterSpec.ByEntity(entity=target.ref, recursion="self")
    if type_name:
        spec.eventTypeId = [type_name]
    found = ctx.si.event_manager.QueryEvents(ctx, spec) if (target is not None or not entity) else []
    return [
        {
            "key": e.key,
            "type": T.wsdl_name(type(e)),
            "time": when(e.createdTime),
            "user": e.userName or "",
            "vm": e.vm.name if e.vm is not None else "",
            "message": e.fullFormattedMessage or "",
        }
        for e in reversed(found)
    ]


def event_types(ctx: CallContext) -> list[str]:
    return sorted({T.wsdl_name(type(e)) for e in ctx.si.event_manager.events})
