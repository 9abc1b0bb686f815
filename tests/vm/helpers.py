"""pyVmomi helpers for the VirtualMachine method tests: every call goes through the real
server (SOAP), as a user's script makes it."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim

from gosc.testing import ADMIN, ADMIN_PASSWORD, Gosc

C = vim.vm.customization
_names = itertools.count(1)


def connect(gosc: Gosc) -> Any:
    """A new administrator's connection (after a restart the fixture's one is gone)."""
    return SmartConnect(
        host=gosc.host, port=gosc.server.port, user=ADMIN, pwd=ADMIN_PASSWORD, disableSslCertValidation=True
    )


def disconnect(si: Any) -> None:
    Disconnect(si)


def find(si: Any, path: str) -> Any:
    vm = si.RetrieveContent().searchIndex.FindByInventoryPath(path)
    assert vm is not None, path
    return vm


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


def task_error(task: Any) -> Any:
    """The fault a task ended with (the task must end in error)."""
    try:
        WaitForTask(task)
    except vim.fault.VimFault as e:
        assert task.info.state == "error"
        return e
    except Exception as e:  # runtime faults (InvalidArgument, NotSupported...) are no VimFault
        assert task.info.state == "error", e
        return e
    raise AssertionError(f"{task.info.descriptionId} succeeded")


def clone_off(si: Any, name: str | None = None, source: str = "DC0/vm/demo-ubuntu", **spec: Any) -> Any:
    """A full clone (CloneVM_Task) of ``source``, powered off unless the spec says."""
    src = find(si, source)
    folder = src.parent
    task = src.CloneVM_Task(
        folder=folder,
        name=name or unique("vmt"),
        spec=vim.vm.CloneSpec(location=vim.vm.RelocateSpec(), powerOn=False, template=False, **spec),
    )
    WaitForTask(task)
    return task.info.result


def guest_root(gosc: Gosc, vm: Any) -> Path:
    return gosc.server.data_dir / "guests" / vm.config.instanceUuid / "root"


def events_of(si: Any, vm: Any, *types: str) -> list[Any]:
    spec = vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=vm, recursion="self"), eventTypeId=list(types) or None
    )
    return list(si.RetrieveContent().eventManager.QueryEvents(spec))


def linux_spec(host: str, ip: str = "192.168.10.31", script: str | None = None) -> Any:
    return C.Specification(
        identity=C.LinuxPrep(hostName=C.FixedName(name=host), domain="example.com", hwClockUTC=True, scriptText=script),
        globalIPSettings=C.GlobalIPSettings(dnsServerList=["192.168.10.2"], dnsSuffixList=["example.com"]),
        nicSettingMap=[
            C.AdapterMapping(
                adapter=C.IPSettings(ip=C.FixedIp(ipAddress=ip), subnetMask="255.255.255.0", gateway=["192.168.10.1"])
            )
        ],
    )


def status(vm: Any) -> str | None:
    info = vm.guest.customizationInfo
    return info.customizationStatus if info else None


def until(predicate: Any, what: str, timeout: float = 60.0) -> Any:
    """Poll the server until ``predicate()`` is true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)  # a poll interval, not a wait for something to happen
    raise AssertionError(f"{what}: not within {timeout} s")
