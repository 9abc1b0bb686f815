"""Guest operations through pyVmomi against a real server: programs, files, transfers, faults."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyVmomi import vim, vmodl

from tests.conftest import LIMITED_PASSWORD, LIMITED_USER
from tests.guestops.conftest import ROOT, VMUSER, download, http, upload, wait_exit, wait_task
from tests.managers.conftest import connect, find_vm
from tests.support.server import GoscServer

FM = vim.vm.guest.FileManager
GOM = vim.vm.guest.GuestOperationsManager
Auth = vim.vm.guest.GuestAuthentication
PM = vim.vm.guest.ProcessManager


def run(gom: GOM, vm: vim.VirtualMachine, auth: Auth, script: str) -> PM.ProcessInfo:
    pid = gom.processManager.StartProgramInGuest(
        vm, auth, PM.ProgramSpec(programPath="/bin/sh", arguments=f"-c '{script}'")
    )
    return wait_exit(gom.processManager, vm, auth, pid)


def names(gom: GOM, vm: vim.VirtualMachine, auth: Auth, path: str, pattern: str | None = None) -> list[str]:
    return [f.path for f in gom.fileManager.ListFilesInGuest(vm, auth, path, matchPattern=pattern).files]


def test_service_content_names_the_managers(si: vim.ServiceInstance) -> None:
    gom = si.content.guestOperationsManager
    assert isinstance(gom, vim.vm.guest.GuestOperationsManager)
    assert isinstance(gom.processManager, vim.vm.guest.ProcessManager)
    assert isinstance(gom.fileManager, vim.vm.guest.FileManager)
    assert isinstance(gom.authManager, vim.vm.guest.AuthManager)


def test_a_program_writes_a_file_and_its_exit_code_and_the_file_come_back(
    gom: GOM, vm: vim.VirtualMachine, server: GoscServer
) -> None:
    info = run(gom, vm, ROOT, "echo written by $(id -u) in $(pwd) > /tmp/out.txt; exit 3")
    assert info.exitCode == 3 and info.endTime >= info.startTime
    assert info.owner == "root" and info.name == "sh" and "/tmp/out.txt" in info.cmdLine
    assert download(gom, vm, ROOT, "/tmp/out.txt", server).startswith(b"written by 0 in /")
    listed = gom.processManager.ListProcessesInGuest(vm, ROOT)
    assert info.pid in [p.pid for p in listed]


def test_programs_run_as_the_guest_account(gom: GOM, vm: vim.VirtualMachine, server: GoscServer) -> None:
    info = run(gom, vm, VMUSER, "id -u > /tmp/who; id -g >> /tmp/who; echo $HOME $USER >> /tmp/who")
    assert info.exitCode == 0 and info.owner == "vmuser"
    assert download(gom, vm, VMUSER, "/tmp/who", server) == b"1000\n1000\n/home/vmuser vmuser\n"
    ls = gom.fileManager.ListFilesInGuest(vm, ROOT, "/tmp", matchPattern="^who$").files
    assert [(f.attributes.ownerId, f.attributes.groupId) for f in ls] == [(1000, 1000)]
    # The account cannot write what the guest does not let it write.
    denied = run(gom, vm, VMUSER, "echo x > /etc/owned")
    assert denied.exitCode != 0
    with pytest.raises(vim.fault.FileNotFound):
        gom.fileManager.InitiateFileTransferFromGuest(vm, ROOT, "/etc/owned")


def test_upload_list_move_and_delete(gom: GOM, vm: vim.VirtualMachine, server: GoscServer) -> None:
    data = b"uploaded\n" * 1000
    attrs = FM.PosixFileAttributes(permissions=0o640)
    upload(gom, vm, ROOT, "/tmp/up.txt", data, server, attrs=attrs)
    (f,) = gom.fileManager.ListFilesInGuest(vm, ROOT, "/tmp", matchPattern=r"^up\.txt$").files
    assert (f.type, f.size, f.attributes.permissions & 0o777) == ("file", len(data), 0o640)
    with pytest.raises(vim.fault.FileAlreadyExists):
        gom.fileManager.InitiateFileTransferToGuest(vm, ROOT, "/tmp/up.txt", FM.FileAttributes(), 3, False)
    upload(gom, vm, ROOT, "/tmp/up.txt", b"new", server, overwrite=True)
    assert download(gom, vm, ROOT, "/tmp/up.txt", server) == b"new"
    gom.fileManager.MoveFileInGuest(vm, ROOT, "/tmp/up.txt", "/tmp/moved.txt", False)
    assert "up.txt" not in names(gom, vm, ROOT, "/tmp") and "moved.txt" in names(gom, vm, ROOT, "/tmp")
    gom.fileManager.DeleteFileInGuest(vm, ROOT, "/tmp/moved.txt")
    assert "moved.txt" not in names(gom, vm, ROOT, "/tmp")
    with pytest.raises(vim.fault.FileNotFound):
        gom.fileManager.DeleteFileInGuest(vm, ROOT, "/tmp/moved.txt")


def test_transfer_tickets_are_used_once_and_bodies_are_bounded(
    gom: GOM, vm: vim.VirtualMachine, server: GoscServer
) -> None:
    url = gom.fileManager.InitiateFileTransferToGuest(vm, ROOT, "/tmp/bounded", FM.FileAttributes(), 4, False)
    assert url.startswith(f"https://*:{server.port}/guestFile?id=")
    status, _ = http("PUT", url, server, b"12345")
    assert status == 413
    assert "bounded" not in names(gom, vm, ROOT, "/tmp")
    assert not [n for n in names(gom, vm, ROOT, "/tmp") if n.endswith(".gosc-upload")]
    status, _ = http("PUT", url, server, b"1234")  # the ticket was used by the refused PUT
    assert status == 404
    url = gom.fileManager.InitiateFileTransferToGuest(vm, ROOT, "/tmp/short", FM.FileAttributes(), 10, False)
    status, _ = http("PUT", url, server, b"123")
    assert status == 400 and "short" not in names(gom, vm, ROOT, "/tmp")
    info = gom.fileManager.InitiateFileTransferFromGuest(vm, ROOT, "/etc/hostname")
    assert http("GET", info.url, server)[0] == 200
    assert http("GET", info.url, server)[0] == 404
    assert http("GET", info.url.replace("token=", "token=x"), server)[0] == 404


def test_directories_and_temporary_files(gom: GOM, vm: vim.VirtualMachine) -> None:
    fm = gom.fileManager
    fm.MakeDirectoryInGuest(vm, ROOT, "/tmp/a/b/c", True)
    with pytest.raises(vim.fault.FileAlreadyExists):
        fm.MakeDirectoryInGuest(vm, ROOT, "/tmp/a", False)
    with pytest.raises(vim.fault.FileNotFound):
        fm.MakeDirectoryInGuest(vm, ROOT, "/tmp/x/y", False)
    tmp = fm.CreateTemporaryFileInGuest(vm, ROOT, "pre-", ".suf", "/tmp/a")
    assert tmp.startswith("/tmp/a/pre-") and tmp.endswith(".suf")
    tdir = fm.CreateTemporaryDirectoryInGuest(vm, ROOT, "d-", "")
    assert tdir.startswith("/tmp/d-")
    with pytest.raises(vim.fault.DirectoryNotEmpty):
        fm.DeleteDirectoryInGuest(vm, ROOT, "/tmp/a", False)
    with pytest.raises(vim.fault.NotAFile):
        fm.MoveFileInGuest(vm, ROOT, "/tmp/a", "/tmp/z", False)
    fm.MoveDirectoryInGuest(vm, ROOT, "/tmp/a", "/tmp/z")
    listing = fm.ListFilesInGuest(vm, ROOT, "/tmp/z/b", index=0, maxResults=1)
    assert [f.path for f in listing.files] == ["c"] and listing.remaining == 0
    fm.DeleteDirectoryInGuest(vm, ROOT, "/tmp/z", True)
    fm.DeleteDirectoryInGuest(vm, ROOT, tdir, False)
    assert not {"a", "z"} & set(names(gom, vm, ROOT, "/tmp"))


def test_attributes_follow_the_guest_rules(gom: GOM, vm: vim.VirtualMachine) -> None:
    fm = gom.fileManager
    path = fm.CreateTemporaryFileInGuest(vm, ROOT, "attr-", "")
    fm.ChangeFileAttributesInGuest(
        vm, ROOT, path, FM.PosixFileAttributes(ownerId=1000, groupId=1000, permissions=0o600)
    )
    (f,) = fm.ListFilesInGuest(vm, ROOT, path).files
    assert (f.attributes.ownerId, f.attributes.groupId, f.attributes.permissions & 0o7777) == (1000, 1000, 0o600)
    with pytest.raises(vim.fault.GuestPermissionDenied):  # only root gives files away
        fm.ChangeFileAttributesInGuest(vm, VMUSER, path, FM.PosixFileAttributes(ownerId=0))
    with pytest.raises(vim.fault.GuestPermissionDenied):  # the account may not read root's 0600 file
        fm.InitiateFileTransferFromGuest(vm, VMUSER, "/etc/shadow")


def test_faults(gom: GOM, vm: vim.VirtualMachine, si: vim.ServiceInstance) -> None:
    pm, fm = gom.processManager, gom.fileManager
    bad = vim.vm.guest.NamePasswordAuthentication(username="root", password="wrong")
    with pytest.raises(vim.fault.InvalidGuestLogin):
        pm.ListProcessesInGuest(vm, bad)
    with pytest.raises(vim.fault.InvalidGuestLogin):
        gom.authManager.ValidateCredentialsInGuest(
            vm, vim.vm.guest.NamePasswordAuthentication(username="nobody", password="x")
        )
    gom.authManager.ValidateCredentialsInGuest(vm, ROOT)
    with pytest.raises(vim.fault.GuestPermissionDenied):
        fm.MakeDirectoryInGuest(vm, VMUSER, "/etc/not-yours", False)
    with pytest.raises(vim.fault.GuestPermissionDenied):
        fm.InitiateFileTransferToGuest(vm, VMUSER, "/etc/passwd", FM.FileAttributes(), 1, True)
    with pytest.raises(vim.fault.FileNotFound) as missing:
        fm.InitiateFileTransferFromGuest(vm, ROOT, "/no/such/file")
    assert missing.value.file == "/no/such/file"
    with pytest.raises(vim.fault.FileNotFound):
        pm.StartProgramInGuest(vm, ROOT, PM.ProgramSpec(programPath="/no/such/program", arguments=""))
    with pytest.raises(vim.fault.GuestProcessNotFound) as gone:
        pm.TerminateProcessInGuest(vm, ROOT, 999999)
    assert gone.value.pid == 999999
    with pytest.raises(vim.fault.GuestOperationsUnavailable):
        pm.ListProcessesInGuest(find_vm(si, "demo-notools"), ROOT)
    with pytest.raises(vmodl.fault.InvalidArgument):
        fm.ListFilesInGuest(vm, ROOT, "relative/path")


def test_terminate_and_environment(gom: GOM, vm: vim.VirtualMachine) -> None:
    pm = gom.processManager
    pid = pm.StartProgramInGuest(vm, VMUSER, PM.ProgramSpec(programPath="/bin/sleep", arguments="600"))
    with pytest.raises(vim.fault.GuestPermissionDenied):
        other = pm.StartProgramInGuest(vm, ROOT, PM.ProgramSpec(programPath="/bin/sleep", arguments="600"))
        pm.TerminateProcessInGuest(vm, VMUSER, other)
    pm.TerminateProcessInGuest(vm, ROOT, other)
    pm.TerminateProcessInGuest(vm, VMUSER, pid)
    info = wait_exit(pm, vm, VMUSER, pid)
    assert info.exitCode == 137
    with pytest.raises(vim.fault.GuestProcessNotFound):
        pm.TerminateProcessInGuest(vm, VMUSER, pid)
    env = pm.ReadEnvironmentVariableInGuest(vm, VMUSER, ["HOME", "USER", "NOPE"])
    assert env == ["HOME=/home/vmuser", "USER=vmuser"]
    spec = PM.ProgramSpec(
        programPath="/bin/sh", arguments="-c 'echo $GREETING > /tmp/env'", envVariables=["GREETING=hi"]
    )
    assert wait_exit(pm, vm, ROOT, pm.StartProgramInGuest(vm, ROOT, spec)).exitCode == 0


def test_tickets_stand_for_the_account(gom: GOM, vm: vim.VirtualMachine) -> None:
    am = gom.authManager
    ticket = am.AcquireCredentialsInGuest(vm, VMUSER)
    assert isinstance(ticket, vim.vm.guest.TicketedSessionAuthentication)
    with pytest.raises(vim.fault.GuestPermissionDenied):
        gom.fileManager.MakeDirectoryInGuest(vm, ticket, "/etc/by-ticket", False)
    am.ReleaseCredentialsInGuest(vm, ticket)
    with pytest.raises(vim.fault.InvalidGuestLogin):
        gom.fileManager.ListFilesInGuest(vm, ticket, "/")


def test_privileges_are_enforced(gom: GOM, vm: vim.VirtualMachine, server: GoscServer) -> None:
    viewer = connect(server, LIMITED_USER, LIMITED_PASSWORD)
    their_vm = vim.VirtualMachine(vm._moId, viewer._stub)
    their_gom = viewer.content.guestOperationsManager
    with pytest.raises(vim.fault.NoPermission) as denied:
        their_gom.processManager.StartProgramInGuest(their_vm, ROOT, PM.ProgramSpec(programPath="/bin/true"))
    assert denied.value.privilegeId == "VirtualMachine.GuestOperations.Execute"
    with pytest.raises(vim.fault.NoPermission) as denied:
        their_gom.fileManager.ListFilesInGuest(their_vm, ROOT, "/")
    assert denied.value.privilegeId == "VirtualMachine.GuestOperations.Query"
    with pytest.raises(vim.fault.NoPermission) as denied:
        their_gom.fileManager.DeleteFileInGuest(their_vm, ROOT, "/etc/hostname")
    assert denied.value.privilegeId == "VirtualMachine.GuestOperations.Modify"


def test_a_powered_off_vm_and_its_programs(gom: GOM, vm: vim.VirtualMachine, server: GoscServer) -> None:
    pm = gom.processManager
    pid = pm.StartProgramInGuest(vm, ROOT, PM.ProgramSpec(programPath="/bin/sleep", arguments="600"))
    pending = gom.fileManager.InitiateFileTransferFromGuest(vm, ROOT, "/etc/hostname")
    wait_task(vm.PowerOffVM_Task())
    assert http("GET", pending.url, server)[0] == 409  # the ticket died with the running guest
    with pytest.raises(vim.fault.InvalidPowerState):
        pm.ListProcessesInGuest(vm, ROOT)
    wait_task(vm.PowerOnVM_Task())
    assert pid not in [p.pid for p in pm.ListProcessesInGuest(vm, ROOT)]  # ended with the guest


def test_windows_trees_get_files_not_programs(gom: GOM, si: vim.ServiceInstance, server: GoscServer) -> None:
    win = find_vm(si, "demo-windows")
    admin = vim.vm.guest.NamePasswordAuthentication(username="Administrator", password="VMware1!")
    assert "Windows" in [f.path for f in gom.fileManager.ListFilesInGuest(win, admin, "C:\\").files]
    upload(gom, win, admin, "C:\\Windows\\Temp\\gosc.txt", b"hello", server, overwrite=True)
    assert download(gom, win, admin, "C:\\Windows\\Temp\\gosc.txt", server) == b"hello"
    attrs = gom.fileManager.InitiateFileTransferFromGuest(win, admin, "C:\\Windows\\Temp\\gosc.txt").attributes
    assert isinstance(attrs, FM.WindowsFileAttributes)
    made = gom.fileManager.CreateTemporaryFileInGuest(win, admin, "gosc-", ".tmp")
    assert made.startswith("C:\\Windows\\Temp\\gosc-") and made.endswith(".tmp")
    gom.fileManager.DeleteFileInGuest(win, admin, made)
    user = vim.vm.guest.NamePasswordAuthentication(username="vmuser", password="VMware1!")
    with pytest.raises(vim.fault.GuestPermissionDenied):  # not an administrator: uid 1001 on the tree
        gom.fileManager.MakeDirectoryInGuest(win, user, "C:\\Windows\\mine", False)
    with pytest.raises(vim.fault.FileNotFound) as missing:
        gom.fileManager.DeleteFileInGuest(win, admin, "C:\\nope.txt")
    assert missing.value.file == "C:\\nope.txt"
    with pytest.raises(vim.fault.OperationNotSupportedByGuest):
        gom.processManager.StartProgramInGuest(win, admin, PM.ProgramSpec(programPath="C:\\Windows\\System32\\cmd.exe"))


def test_transfer_urls_survive_ansibles_rewrite(gom: GOM, vm: vim.VirtualMachine, server: GoscServer) -> None:
    """vmware_guest_file_operation does url.replace("*", hostname).replace("443", str(port))."""
    from gosc.inventory.guest_transfers import _port

    assert (_port("h:8443"), _port("h:443"), _port("h"), _port("[::1]:1234"), _port("h:1234")) == (
        "443",
        "443",
        "443",
        "1234",
        "1234",
    )
    url = gom.fileManager.InitiateFileTransferToGuest(vm, ROOT, "/tmp/ansible", FM.FileAttributes(), 2, True)
    rewritten = url.replace("*", "127.0.0.1").replace("443", str(server.port))
    assert http("PUT", rewritten, server, b"ok")[0] == 200
    info = gom.fileManager.InitiateFileTransferFromGuest(vm, ROOT, "/tmp/ansible")
    assert http("GET", info.url.replace("*", "127.0.0.1").replace("443", str(server.port)), server) == (200, b"ok")


def _free_ports_holding_443() -> Iterator[int]:
    """Loopback ports whose number holds "443" (10443, 24430, ...) free now; the test
    takes the first it can listen on (another process may take one meanwhile)."""
    for port in range(1024, 65536):
        if "443" not in str(port):
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        yield port


def test_a_transfer_url_reaches_a_server_whose_port_holds_443(tmp_path: Path) -> None:
    """On a port holding "443" the server writes ESXi's 443 in transfer URLs (for Ansible's
    rewrite); a client that reads "*" as the server it called, port included (govmomi's
    ParseURL, tests/support/transfers.py), still reaches it."""
    for port in _free_ports_holding_443():
        server = GoscServer(tmp_path / f"data-{port}")
        server.port = port
        try:
            server.start()
        except RuntimeError:
            continue  # taken between the check and the start
        break
    try:
        si = connect(server)
        gom = si.content.guestOperationsManager
        vm = find_vm(si, "demo-ubuntu")
        url = gom.fileManager.InitiateFileTransferToGuest(vm, ROOT, "/tmp/port443", FM.FileAttributes(), 2, True)
        assert url.startswith("https://*:443/"), url
        assert http("PUT", url, server, b"ok")[0] == 200
        assert download(gom, vm, ROOT, "/tmp/port443", server) == b"ok"
    finally:
        server.stop()


def test_running_programs_per_guest_are_bounded(gom: GOM, vm: vim.VirtualMachine) -> None:
    from gosc.guest.guestprocs import MAX_RUNNING

    pm = gom.processManager
    sleep = PM.ProgramSpec(programPath="/bin/sleep", arguments="600")
    pids = [pm.StartProgramInGuest(vm, ROOT, sleep) for _ in range(MAX_RUNNING)]
    try:
        with pytest.raises(vim.fault.InvalidState):
            pm.StartProgramInGuest(vm, ROOT, sleep)
    finally:
        for pid in pids:
            pm.TerminateProcessInGuest(vm, ROOT, pid)
    wait_exit(pm, vm, ROOT, pids[-1])
    assert (
        wait_exit(pm, vm, ROOT, pm.StartProgramInGuest(vm, ROOT, PM.ProgramSpec(programPath="/bin/true"))).exitCode == 0
    )
