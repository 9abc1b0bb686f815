"""Task and event HistoryCollectors over real tasks and events made by power operations:
latestPage, paging forward and backward, rewind, reset, page size, filters, ownership."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyVim.connect import Disconnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.support.server import GoscServer

from .conftest import connect, find_vm

VM = "demo-notools"  # powered on, no tools: power operations only
CYCLES = 3


@pytest.fixture(scope="module")
def cycled(si: vim.ServiceInstance) -> Iterator[vim.VirtualMachine]:
    """demo-notools powered off and on CYCLES times: 2 * CYCLES tasks and their events."""
    vm = find_vm(si, VM)
    for _ in range(CYCLES):
        WaitForTask(vm.PowerOffVM_Task())
        WaitForTask(vm.PowerOnVM_Task())
    yield vm


def test_task_collector_pages_forward_and_backward(si: vim.ServiceInstance, cycled: vim.VirtualMachine) -> None:
    spec = vim.TaskFilterSpec(entity=vim.TaskFilterSpec.ByEntity(entity=cycled, recursion="self"))
    collector = si.content.taskManager.CreateCollectorForTasks(spec)
    try:
        latest = collector.latestPage
        assert [t.descriptionId for t in latest[:2]] == ["VirtualMachine.powerOn", "VirtualMachine.powerOff"]
        assert all(t.entity == cycled for t in latest)
        collector.SetCollectorPageSize(2)
        assert len(collector.latestPage) == 2
        # A new collector starts at the oldest task: reading forward goes oldest to newest.
        forward = []
        while batch := collector.ReadNextTasks(4):
            forward += batch
        assert len(forward) == 2 * CYCLES
        assert [t.descriptionId for t in forward[:2]] == ["VirtualMachine.powerOff", "VirtualMachine.powerOn"]
        assert [t.key for t in forward] == sorted((t.key for t in forward), key=lambda k: int(k.split("-")[1]))
        assert collector.ReadNextTasks(4) == []
        backward = []
        while batch := collector.ReadPreviousTasks(4):
            backward = list(batch) + backward
        assert [t.key for t in backward] == [t.key for t in forward]
        collector.ResetCollector()  # just before the latest page (2 tasks)
        assert [t.key for t in collector.ReadNextTasks(10)] == [t.key for t in forward[-2:]]
        collector.RewindCollector()
        assert collector.ReadNextTasks(1)[0].key == forward[0].key
        with pytest.raises(vmodl.fault.InvalidArgument):
            collector.ReadNextTasks(0)
        done = si.content.taskManager.CreateCollectorForTasks(vim.TaskFilterSpec(entity=spec.entity, state=["error"]))
        assert done.latestPage == []
        done.DestroyCollector()
    finally:
        collector.DestroyCollector()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        collector.ReadNextTasks(1)


def test_event_collector_filters_and_pages(si: vim.ServiceInstance, cycled: vim.VirtualMachine) -> None:
    spec = vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=cycled, recursion="self"),
        eventTypeId=["VmPoweredOffEvent", "VmPoweredOnEvent"],
    )
    collector = si.content.eventManager.CreateCollectorForEvents(spec)
    try:
        latest = collector.latestPage
        assert isinstance(latest[0], vim.event.VmPoweredOnEvent)  # newest first
        assert [e.key for e in latest] == sorted((e.key for e in latest), reverse=True)
        events = collector.ReadNextEvents(100)
        # The demo inventory's power-on of the VM, then the cycles' off and on.
        assert len(events) == 1 + 2 * CYCLES
        assert [type(e).__name__ for e in events[:3]] == [
            "vim.event.VmPoweredOnEvent",
            "vim.event.VmPoweredOffEvent",
            "vim.event.VmPoweredOnEvent",
        ]
        keys = [e.key for e in events]
        assert [e.key for e in collector.ReadPreviousEvents(2)] == keys[-2:]
        assert [e.key for e in collector.ReadPreviousEvents(100)] == keys[:-2]
        assert collector.ReadPreviousEvents(100) == []
        mine = si.content.eventManager.CreateCollectorForEvents(
            vim.event.EventFilterSpec(userName=vim.event.EventFilterSpec.ByUsername(userList=["nobody@vsphere.local"]))
        )
        assert mine.latestPage == []
        mine.DestroyCollector()
    finally:
        collector.DestroyCollector()


def test_latest_page_follows_new_events_through_the_property_collector(
    si: vim.ServiceInstance, cycled: vim.VirtualMachine
) -> None:
    spec = vim.event.EventFilterSpec(entity=vim.event.EventFilterSpec.ByEntity(entity=cycled, recursion="self"))
    collector = si.content.eventManager.CreateCollectorForEvents(spec)
    pc = si.content.propertyCollector.CreatePropertyCollector()
    try:
        pc.CreateFilter(
            vmodl.query.PropertyCollector.FilterSpec(
                objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=collector)],
                propSet=[
                    vmodl.query.PropertyCollector.PropertySpec(
                        type=vim.event.EventHistoryCollector, pathSet=["latestPage"]
                    )
                ],
            ),
            True,
        )
        first = pc.WaitForUpdatesEx("", vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=0))
        WaitForTask(cycled.PowerOffVM_Task())
        newest = None
        version = first.version
        while newest is None or not isinstance(newest[0], vim.event.VmPoweredOffEvent):
            update = pc.WaitForUpdatesEx(version, vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=30))
            assert update is not None, "no latestPage change reported"
            version = update.version
            newest = update.filterSet[0].objectSet[0].changeSet[0].val
        WaitForTask(cycled.PowerOnVM_Task())
    finally:
        pc.DestroyPropertyCollector()
        collector.DestroyCollector()


def test_a_collector_belongs_to_its_session(server: GoscServer, si: vim.ServiceInstance) -> None:
    collector = si.content.taskManager.CreateCollectorForTasks(vim.TaskFilterSpec())
    other = connect(server)
    try:
        stranger = vim.TaskHistoryCollector(collector._moId, other._stub)
        with pytest.raises(vmodl.fault.ManagedObjectNotFound):
            stranger.ReadNextTasks(1)
        with pytest.raises(vmodl.fault.ManagedObjectNotFound):
            stranger.DestroyCollector()
    finally:
        Disconnect(other)
        collector.DestroyCollector()
