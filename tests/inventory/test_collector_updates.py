"""The incremental property collector over pyVmomi: filters over container views and over
the classic folder traversal follow VMs that are created, renamed, moved between folders
and destroyed (the containment index and the traversal sources are recomputed on those
changes), each filter gets only what concerns it, and a second session watching the
same inventory gets the same updates."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from gosc.testing import Gosc
from tests.inventory.support import find, task_result
from tests.support.server import ADMIN, ADMIN_PASSWORD

PC = vmodl.query.PropertyCollector
HOST = "DC0/host/esx-01.gosc.local/esx-01.gosc.local"
_n = itertools.count(1)

# What a filter was told, per object: (kind, {path: value}) of each update, in order.
Seen = dict[str, list[tuple[str, dict[str, Any]]]]


@pytest.fixture(scope="module")
def si(gosc: Gosc) -> Any:
    return gosc.service_instance


def _view_filter(pc: Any, view: Any) -> Any:
    spec = PC.FilterSpec(
        objectSet=[
            PC.ObjectSpec(
                obj=view, skip=True, selectSet=[PC.TraversalSpec(type=vim.view.ContainerView, path="view", skip=False)]
            )
        ],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["name", "runtime.powerState"])],
    )
    return pc.CreateFilter(spec, partialUpdates=False)


def _inventory_filter(pc: Any, root: Any) -> Any:
    """The classic recursive folder recipe: folders' childEntity, datacenters' vmFolder."""
    folders = PC.TraversalSpec(name="folders", type=vim.Folder, path="childEntity", skip=False)
    to_vms = PC.TraversalSpec(name="dc-vm", type=vim.Datacenter, path="vmFolder", skip=False)
    folders.selectSet = [PC.SelectionSpec(name="folders"), PC.SelectionSpec(name="dc-vm")]
    to_vms.selectSet = [PC.SelectionSpec(name="folders")]
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=root, skip=False, selectSet=[folders, to_vms])],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])],
    )
    return pc.CreateFilter(spec, partialUpdates=False)


class Watcher:
    """One session's private collector and what each of its filters was told."""

    def __init__(self, pc: Any) -> None:
        self.pc = pc
        self.version = ""
        self.seen: dict[str, Seen] = {}

    def take(self, max_wait: int = 0) -> bool:
        update = self.pc.WaitForUpdatesEx(self.version, PC.WaitOptions(maxWaitSeconds=max_wait))
        if update is None:
            return False
        self.version = update.version
        for fu in update.filterSet:
            seen = self.seen.setdefault(fu.filter._moId, {})
            for ou in fu.objectSet:
                values = {c.name: c.val for c in ou.changeSet or []}
                seen.setdefault(ou.obj._moId, []).append((str(ou.kind), values))
        return True

    def until(self, what: str, done: Any) -> None:
        """Take updates until ``done()`` holds (they come as the server's tasks end)."""
        deadline = time.monotonic() + 30
        while not done():
            assert time.monotonic() < deadline, f"{what}: {self.seen}"
            self.take(max_wait=5)

    def told(self, f: Any, vm: Any) -> list[tuple[str, dict[str, Any]]]:
        return self.seen.get(f._moId, {}).get(vm._moId, [])

    def clear(self) -> None:
        self.take()  # anything still pending belongs to what was just checked
        self.seen.clear()


def _create_vm(si: Any, folder: Any) -> Any:
    host = find(si, HOST)
    config = vim.vm.ConfigSpec(
        name=f"pc-{next(_n)}", guestId="otherGuest", files=vim.vm.FileInfo(vmPathName="[datastore1]")
    )
    return task_result(folder.CreateVm(config, pool=host.parent.resourcePool, host=host))


def test_filters_follow_create_rename_move_and_destroy(gosc: Gosc, si: Any) -> None:
    content = si.RetrieveContent()
    vm_folder = find(si, "DC0/vm")
    a = vm_folder.CreateFolder(f"pc-a-{next(_n)}")
    a_sub = a.CreateFolder("sub")
    b = vm_folder.CreateFolder(f"pc-b-{next(_n)}")
    views = content.viewManager
    other = SmartConnect(  # a second session watching the same folder
        host=gosc.host, port=gosc.port, user=ADMIN, pwd=ADMIN_PASSWORD, disableSslCertValidation=True
    )
    try:
        w = Watcher(content.propertyCollector.CreatePropertyCollector())
        in_a = _view_filter(w.pc, views.CreateContainerView(a, [vim.VirtualMachine], True))
        in_b = _view_filter(w.pc, views.CreateContainerView(b, [vim.VirtualMachine], False))
        everywhere = _inventory_filter(w.pc, content.rootFolder)
        other_content = other.RetrieveContent()
        w2 = Watcher(other_content.propertyCollector.CreatePropertyCollector())
        in_a2 = _view_filter(w2.pc, other_content.viewManager.CreateContainerView(a, [vim.VirtualMachine], True))
        w.take()
        w2.take()
        w.clear()
        w2.clear()

        # Created in a folder below A: enters A's recursive view (both sessions) and the
        # inventory traversal, not B's view.
        vm = _create_vm(si, a_sub)
        w.until("create", lambda: w.told(in_a, vm) and w.told(everywhere, vm))
        w2.until("create, second session", lambda: w2.told(in_a2, vm))
        assert w.told(in_a, vm)[0] == ("enter", {"name": vm.name, "runtime.powerState": "poweredOff"})
        assert w2.told(in_a2, vm)[0] == w.told(in_a, vm)[0]
        assert w.told(everywhere, vm)[0] == ("enter", {"name": vm.name})
        w.take()
        assert not w.told(in_b, vm)
        w.clear()
        w2.clear()

        # Renamed: a modify of the name to every filter that holds it.
        task_result(vm.Rename(vm.name + "-renamed"))
        w.until("rename", lambda: w.told(in_a, vm) and w.told(everywhere, vm))
        assert w.told(in_a, vm) == [("modify", {"name": vm.name})]
        assert w.told(everywhere, vm) == [("modify", {"name": vm.name})]
        w2.until("rename, second session", lambda: w2.told(in_a2, vm))
        assert w2.told(in_a2, vm) == [("modify", {"name": vm.name})]
        w.take()
        assert not w.told(in_b, vm)
        w.clear()
        w2.clear()

        # Moved from A/sub to B: leaves A's view, enters B's; the inventory traversal still holds it.
        task_result(b.MoveIntoFolder_Task([vm]))
        w.until("move", lambda: w.told(in_a, vm) and w.told(in_b, vm))
        assert w.told(in_a, vm) == [("leave", {})]
        assert w.told(in_b, vm) == [("enter", {"name": vm.name, "runtime.powerState": "poweredOff"})]
        w2.until("move, second session", lambda: w2.told(in_a2, vm))
        assert w2.told(in_a2, vm) == [("leave", {})]
        w.take()
        assert [kind for kind, _ in w.told(everywhere, vm)] in ([], ["modify"])  # its name is unchanged
        assert all(not values for _, values in w.told(everywhere, vm))
        w.clear()
        w2.clear()

        # Read back: the views hold what their filters were told.
        assert list(views.CreateContainerView(b, [vim.VirtualMachine], False).view) == [vm]
        assert vm not in list(views.CreateContainerView(a, [vim.VirtualMachine], True).view)

        # Destroyed: leaves B's view and the inventory traversal; A's view heard of it before.
        task_result(vm.Destroy_Task())
        w.until("destroy", lambda: w.told(in_b, vm) and w.told(everywhere, vm))
        assert w.told(in_b, vm) == [("leave", {})]
        assert w.told(everywhere, vm) == [("leave", {})]
        w.take()
        assert not w.told(in_a, vm)
        w.pc.DestroyPropertyCollector()
        w2.pc.DestroyPropertyCollector()
    finally:
        Disconnect(other)


def test_moving_a_folder_moves_what_it_holds(si: Any) -> None:
    """A folder (with a VM) moved into another: a recursive view over the target gains
    the VM, one over the source loses it, though only the folder itself moved."""
    content = si.RetrieveContent()
    vm_folder = find(si, "DC0/vm")
    src = vm_folder.CreateFolder(f"pc-src-{next(_n)}")
    dst = vm_folder.CreateFolder(f"pc-dst-{next(_n)}")
    box = src.CreateFolder("box")
    vm = _create_vm(si, box)
    w = Watcher(content.propertyCollector.CreatePropertyCollector())
    views = content.viewManager
    in_src = _view_filter(w.pc, views.CreateContainerView(src, [vim.VirtualMachine], True))
    in_dst = _view_filter(w.pc, views.CreateContainerView(dst, [vim.VirtualMachine], True))
    w.take()
    assert w.told(in_src, vm)[0][0] == "enter"
    assert not w.told(in_dst, vm)
    w.clear()
    task_result(dst.MoveIntoFolder_Task([box]))
    w.until("folder move", lambda: w.told(in_src, vm) and w.told(in_dst, vm))
    assert w.told(in_src, vm) == [("leave", {})]
    assert w.told(in_dst, vm) == [("enter", {"name": vm.name, "runtime.powerState": "poweredOff"})]
    task_result(vm.Destroy_Task())
    w.pc.DestroyPropertyCollector()


def test_first_answer_enters_each_object_once_as_it_is_now(si: Any) -> None:
    """A change between CreateFilter and the first WaitForUpdatesEx(""): one enter, with
    the value as it is now (not an enter and then a modify)."""
    content = si.RetrieveContent()
    vm = _create_vm(si, find(si, "DC0/vm"))
    w = Watcher(content.propertyCollector.CreatePropertyCollector())
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=vm, skip=False)],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])],
    )
    f = w.pc.CreateFilter(spec, partialUpdates=False)
    task_result(vm.Rename(vm.name + "-now"))
    assert w.take()
    assert w.told(f, vm) == [("enter", {"name": vm.name})]
    w.version = ""  # from the start again, after an answer: everything enters once more
    assert w.take()
    assert w.told(f, vm)[1:] == [("enter", {"name": vm.name})]
    task_result(vm.Destroy_Task())
    w.pc.DestroyPropertyCollector()


def test_filters_made_after_answers_enter_once_as_they_are_now(si: Any) -> None:
    """pyVim's WaitForTask, task after task on one session: a filter is made after earlier
    answers, then the session waits from "".  The new filter's objects enter once, as they
    are now (a change between CreateFilter and the wait included); a filter told before
    starts again (its objects enter again); a filter destroyed before any answer told it
    anything leaves nothing behind."""
    content = si.RetrieveContent()
    vm, other = _create_vm(si, find(si, "DC0/vm")), _create_vm(si, find(si, "DC0/vm"))
    w = Watcher(content.propertyCollector.CreatePropertyCollector())

    def name_filter(obj: Any) -> Any:
        spec = PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=obj, skip=False)],
            propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])],
        )
        return w.pc.CreateFilter(spec, partialUpdates=False)

    old = name_filter(other)
    assert w.take()
    assert w.told(old, other) == [("enter", {"name": other.name})]
    gone = name_filter(other)
    gone.DestroyPropertyFilter()  # its updates still pending: never told
    new = name_filter(vm)
    task_result(vm.Rename(vm.name + "-now"))
    w.version = ""
    assert w.take()
    assert w.told(new, vm) == [("enter", {"name": vm.name})]  # once, renamed
    assert w.told(old, other)[1:] == [("enter", {"name": other.name})]  # told before: enters again
    assert gone._moId not in w.seen
    assert not w.take()  # nothing else was pending
    task_result(vm.Destroy_Task())
    task_result(other.Destroy_Task())
    w.pc.DestroyPropertyCollector()
