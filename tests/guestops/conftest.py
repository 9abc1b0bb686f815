"""A module's gosc server (the tests' users.toml) and helpers for guest operations over pyVmomi."""

from __future__ import annotations

import itertools
import ssl
import urllib.request
from collections.abc import Iterator

import pytest
from pyVim.connect import Disconnect
from pyVmomi import vim

from tests.managers.conftest import connect, find_vm
from tests.support.server import GoscServer
from tests.support.transfers import client_url
from tests.support.wait import wait_for

ROOT = vim.vm.guest.NamePasswordAuthentication(username="root", password="VMware1!")
VMUSER = vim.vm.guest.NamePasswordAuthentication(username="vmuser", password="VMware1!")
_names = itertools.count(1)


@pytest.fixture(scope="module")
def si(server: GoscServer) -> Iterator[vim.ServiceInstance]:
    conn = connect(server)
    yield conn
    Disconnect(conn)


@pytest.fixture(scope="module")
def gom(si: vim.ServiceInstance) -> vim.vm.guest.GuestOperationsManager:
    return si.content.guestOperationsManager


@pytest.fixture(scope="module")
def vm(si: vim.ServiceInstance) -> vim.VirtualMachine:
    """A fresh instant clone of demo-ubuntu (tools running) that this module may change."""
    src = find_vm(si, "demo-ubuntu")
    spec = vim.vm.InstantCloneSpec(name=f"guestops-{next(_names)}", location=vim.vm.RelocateSpec())
    task = src.InstantClone_Task(spec)
    wait_task(task)
    clone = task.info.result
    assert isinstance(clone, vim.VirtualMachine)
    return clone


def wait_task(task: vim.Task, timeout: float = 60) -> None:
    wait_for(lambda: task.info.state in ("success", "error"), f"task {task}", timeout)
    assert task.info.state == "success", task.info.error


def wait_exit(
    pm: vim.vm.guest.ProcessManager, vm: vim.VirtualMachine, auth: vim.vm.guest.GuestAuthentication, pid: int
) -> vim.vm.guest.ProcessManager.ProcessInfo:
    """The program's info once it has ended (polled as govc and Ansible poll)."""

    def ended() -> vim.vm.guest.ProcessManager.ProcessInfo | None:
        (info,) = pm.ListProcessesInGuest(vm, auth, [pid])
        return info if info.endTime is not None else None

    return wait_for(ended, f"the end of program {pid}")


def _url(url: str, server: GoscServer) -> str:
    return client_url(url, server.url)


def _tls() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def http(method: str, url: str, server: GoscServer, data: bytes | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(_url(url, server), data=data, method=method)
    try:
        with urllib.request.urlopen(req, context=_tls(), timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def download(
    gom: vim.vm.guest.GuestOperationsManager,
    vm: vim.VirtualMachine,
    auth: vim.vm.guest.GuestAuthentication,
    path: str,
    server: GoscServer,
) -> bytes:
    info = gom.fileManager.InitiateFileTransferFromGuest(vm, auth, path)
    status, body = http("GET", info.url, server)
    assert status == 200, body
    assert len(body) == info.size
    return body


def upload(
    gom: vim.vm.guest.GuestOperationsManager,
    vm: vim.VirtualMachine,
    auth: vim.vm.guest.GuestAuthentication,
    path: str,
    data: bytes,
    server: GoscServer,
    *,
    overwrite: bool = False,
    attrs: vim.vm.guest.FileManager.FileAttributes | None = None,
) -> None:
    url = gom.fileManager.InitiateFileTransferToGuest(
        vm, auth, path, attrs or vim.vm.guest.FileManager.FileAttributes(), len(data), overwrite
    )
    status, body = http("PUT", url, server, data)
    assert status == 200, body
