"""Guest operations never read or write outside the guest root, symlinks included, and a
non-root account meets the guest's permission bits; the same calls over VI/JSON."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim

from tests.conftest import guest_root
from tests.guestops.conftest import ROOT, VMUSER, download, http, upload, wait_exit
from tests.support.guest_canary import CANARY_TEXT, make_canary, snapshot
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer
from tests.support.vijson import ViClient, ViFault, moref
from tests.support.wait import wait_for

FM = vim.vm.guest.FileManager
PM = vim.vm.guest.ProcessManager
GOM = vim.vm.guest.GuestOperationsManager


@pytest.fixture(scope="module")
def tree(server: GoscServer, vm: vim.VirtualMachine) -> Path:
    vi = ViClient(server.url)
    vi.login(ADMIN, ADMIN_PASSWORD)
    root = guest_root(server, vi, {"value": vm._moId})
    vi.http.close()
    return root


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_canary(tmp_path_factory.mktemp("canary"))


def test_symlinks_never_lead_out_of_the_guest(
    gom: GOM, vm: vim.VirtualMachine, tree: Path, canary: Path, server: GoscServer
) -> None:
    before = snapshot(canary)
    (tree / "tmp/links").mkdir()
    os.symlink(str(canary / "secret"), tree / "tmp/links/file")  # an absolute host path
    os.symlink(str(canary), tree / "tmp/links/dir")
    os.symlink("../../../../../../../../" + str(canary).lstrip("/"), tree / "tmp/links/up")
    fm = gom.fileManager
    for path in ("/tmp/links/file", "/tmp/links/up/secret"):
        with pytest.raises(vim.fault.FileNotFound):  # resolved in the guest, where nothing is there
            fm.InitiateFileTransferFromGuest(vm, ROOT, path)
    with pytest.raises(vim.fault.FileNotFound):
        fm.ListFilesInGuest(vm, ROOT, "/tmp/links/dir")
    # Writes through a symlinked directory land inside the guest (the guest's own path), or nowhere.
    for target in ("/tmp/links/dir/new", "/tmp/links/up/new"):
        with pytest.raises(vim.fault.FileNotFound):
            fm.InitiateFileTransferToGuest(vm, ROOT, target, FM.FileAttributes(), 3, True)
        with pytest.raises(vim.fault.FileNotFound):
            fm.MakeDirectoryInGuest(vm, ROOT, target, False)
    # A final symlink is replaced, never followed, by an upload with overwrite, and deleted as a link.
    upload(gom, vm, ROOT, "/tmp/links/file", b"guest", server, overwrite=True)
    assert (tree / "tmp/links/file").read_bytes() == b"guest" and not (tree / "tmp/links/file").is_symlink()
    fm.DeleteFileInGuest(vm, ROOT, "/tmp/links/up")
    fm.ChangeFileAttributesInGuest(vm, ROOT, "/tmp/links/dir", FM.PosixFileAttributes(ownerId=1000))
    assert os.lstat(tree / "tmp/links/dir").st_uid == 1000  # the link itself
    fm.DeleteDirectoryInGuest(vm, ROOT, "/tmp/links", True)
    # Programs see the guest tree as /: the host's paths are not there.
    info = wait_exit(
        gom.processManager,
        vm,
        ROOT,
        gom.processManager.StartProgramInGuest(
            vm,
            ROOT,
            PM.ProgramSpec(programPath="/bin/sh", arguments=f"-c 'cat {canary}/secret > /tmp/got; rm -rf {canary}'"),
        ),
    )
    assert info.exitCode == 0 and download(gom, vm, ROOT, "/tmp/got", server) == b""
    assert snapshot(canary) == before
    assert CANARY_TEXT not in (tree / "tmp/got").read_bytes()


def test_a_non_root_account_meets_the_guest_permissions(
    gom: GOM, vm: vim.VirtualMachine, tree: Path, server: GoscServer
) -> None:
    fm, pm = gom.fileManager, gom.processManager
    shadow = (tree / "etc/shadow").read_bytes()
    for script in ("echo x >> /etc/shadow", "cat /etc/shadow > /tmp/stolen", "echo x > /etc/passwd"):
        pid = pm.StartProgramInGuest(vm, VMUSER, PM.ProgramSpec(programPath="/bin/sh", arguments=f"-c '{script}'"))
        assert wait_exit(pm, vm, VMUSER, pid).exitCode != 0, script
    assert (tree / "etc/shadow").read_bytes() == shadow
    assert not (tree / "tmp/stolen").exists() or (tree / "tmp/stolen").read_bytes() == b""
    with pytest.raises(vim.fault.GuestPermissionDenied):
        fm.DeleteFileInGuest(vm, VMUSER, "/etc/hostname")
    with pytest.raises(vim.fault.GuestPermissionDenied):
        fm.MoveFileInGuest(vm, VMUSER, "/etc/hostname", "/tmp/h", False)
    with pytest.raises(vim.fault.GuestPermissionDenied):
        fm.ChangeFileAttributesInGuest(vm, VMUSER, "/etc/hostname", FM.PosixFileAttributes(permissions=0o777))
    upload(gom, vm, VMUSER, "/tmp/mine", b"mine", server)
    st = os.stat(tree / "tmp/mine")
    assert (st.st_uid, st.st_gid) == (1000, 1000)
    # A file the account owns in the sticky /tmp: root's file there it may not remove.
    upload(gom, vm, ROOT, "/tmp/roots", b"r", server, attrs=FM.PosixFileAttributes(permissions=0o666))
    with pytest.raises(vim.fault.GuestPermissionDenied):
        fm.DeleteFileInGuest(vm, VMUSER, "/tmp/roots")


def test_vi_json(server: GoscServer, vm: vim.VirtualMachine) -> None:
    vi = ViClient(server.url)
    vi.login(ADMIN, ADMIN_PASSWORD)
    content = vi.get("ServiceInstance", "ServiceInstance", "content")
    gom = content["guestOperationsManager"]["value"]
    pm = vi.get("GuestOperationsManager", gom, "processManager")["value"]
    fm = vi.get("GuestOperationsManager", gom, "fileManager")["value"]
    auth = {
        "_typeName": "NamePasswordAuthentication",
        "username": "root",
        "password": "VMware1!",
        "interactiveSession": False,
    }
    target = moref("VirtualMachine", vm._moId)
    spec = {"_typeName": "GuestProgramSpec", "programPath": "/bin/sh", "arguments": "-c 'echo json > /tmp/json'"}
    pid = vi.call("GuestProcessManager", pm, "StartProgramInGuest", {"vm": target, "auth": auth, "spec": spec})
    assert isinstance(pid, int)

    def ended() -> dict[str, Any] | None:
        (info,) = vi.call(
            "GuestProcessManager", pm, "ListProcessesInGuest", {"vm": target, "auth": auth, "pids": [pid]}
        )
        return info if "endTime" in info else None

    info = wait_for(ended, f"the end of program {pid}")
    assert info["exitCode"] == 0
    got = vi.call(
        "GuestFileManager",
        fm,
        "InitiateFileTransferFromGuest",
        {"vm": target, "auth": auth, "guestFilePath": "/tmp/json"},
    )
    assert http("GET", got["url"], server) == (200, b"json\n")
    with pytest.raises(ViFault) as bad:
        vi.call(
            "GuestFileManager",
            fm,
            "ListFilesInGuest",
            {"vm": target, "auth": {**auth, "password": "no"}, "filePath": "/"},
        )
    assert bad.value.type_name == "InvalidGuestLogin"
    with pytest.raises(ViFault) as missing:
        vi.call("GuestFileManager", fm, "DeleteFileInGuest", {"vm": target, "auth": auth, "filePath": "/nope"})
    assert missing.value.type_name == "FileNotFound" and missing.value.body["file"] == "/nope"
    vi.http.close()
