"""Data at rest: the data directory is private, and stored spec passwords never come back
in plain text.

- Under umask 0002 (and 0022) a fresh data directory is 0700 and gosc.db, its -wal and
  -shm, secrets.key and the TLS key are 0600; a directory and database left wider by an
  older gosc are tightened.  (Before: 0755 and 0644/0664.)
- GetCustomizationSpec answers ``CustomizationPassword`` with ``plainText=false`` and an
  encrypted value, over VI/JSON and SOAP (pyVmomi); the plain text is in no answer and not
  in gosc.db or its WAL; the spec as read can be used to customize (gosc decrypts its own).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.support.pyvmomi_run import run_pyvmomi
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer
from tests.support.specs import customize_body, instant_clone_body, linux_spec
from tests.support.vijson import ViClient

GCM = ("VirtualMachineGuestCustomizationManager", "GuestCustomizationManager")
SPM = ("CustomizationSpecManager", "CustomizationSpecManager")
SECRET = "Spec-Secret-Pw-7f3a9"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _start_under_umask(data: Path, umask: int) -> GoscServer:
    old = os.umask(umask)  # the server inherits it, as from an operator's shell
    try:
        return GoscServer(data).start()
    finally:
        os.umask(old)


def _login(server: GoscServer) -> ViClient:
    vi = ViClient(server.url)
    vi.login(ADMIN, ADMIN_PASSWORD)
    return vi


def _spec_item(name: str) -> dict[str, Any]:
    spec = linux_spec("sealed01")
    spec["identity"]["password"] = {"_typeName": "CustomizationPassword", "value": SECRET, "plainText": True}
    return {
        "_typeName": "CustomizationSpecItem",
        "info": {"_typeName": "CustomizationSpecInfo", "name": name, "description": "", "type": "Linux"},
        "spec": spec,
    }


def _store_files(data: Path) -> list[Path]:
    return [
        data / "gosc.db",
        data / "gosc.db-wal",
        data / "gosc.db-shm",
        data / "secrets.key",
        data / "tls" / "server.key",
    ]


@pytest.mark.parametrize("umask", [0o002, 0o022], ids=["umask0002", "umask0022"])
def test_a_new_data_directory_and_its_files_are_private(tmp_path: Path, umask: int) -> None:
    data = tmp_path / "data"
    server = _start_under_umask(data, umask)
    try:
        vi = _login(server)
        vi.call(*SPM, "CreateCustomizationSpec", {"item": _spec_item("modes")})  # the WAL has a write
        assert _mode(data) == 0o700, oct(_mode(data))
        assert _mode(data / "tls") == 0o700
        for path in _store_files(data):
            assert path.exists(), path
            assert _mode(path) == 0o600, (path, oct(_mode(path)))
        vi.http.close()
    finally:
        server.stop()


def test_a_wider_existing_data_directory_is_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = _start_under_umask(data, 0o002)
    first.stop()
    os.chmod(data, 0o755)  # as an older gosc left it
    os.chmod(data / "gosc.db", 0o644)
    os.chmod(data / "secrets.key", 0o644)
    server = _start_under_umask(data, 0o002)
    try:
        assert _mode(data) == 0o700
        assert _mode(data / "gosc.db") == 0o600 and _mode(data / "secrets.key") == 0o600
    finally:
        server.stop()


SOAP_READ_AND_OVERWRITE = """
manager = si.content.customizationSpecManager
item = manager.GetCustomizationSpec("sealed")
pw = item.spec.identity.password
result = {"plainText": pw.plainText, "value": pw.value}
item.info.changeVersion = None
manager.OverwriteCustomizationSpec(item)
"""

SOAP_CUSTOMIZE_WITH_READ_SPEC = """
item = si.content.customizationSpecManager.GetCustomizationSpec("sealed")
vm = si.content.searchIndex.FindByInventoryPath("DC0/vm/sealed-vm")
auth = vim.vm.guest.NamePasswordAuthentication(username="root", password=args["guest_password"], interactiveSession=False)
result = WaitForTask(si.content.guestCustomizationManager.CustomizeGuest_Task(vm, auth, item.spec))
"""


def test_stored_spec_passwords_are_returned_encrypted(server: GoscServer, vi: ViClient) -> None:
    vi.call(*SPM, "CreateCustomizationSpec", {"item": _spec_item("sealed")})
    raw = vi.raw(
        "POST", "CustomizationSpecManager/CustomizationSpecManager/GetCustomizationSpec", json={"name": "sealed"}
    )
    assert raw.status_code == 200 and SECRET not in raw.text
    password = raw.json()["spec"]["identity"]["password"]
    assert password["plainText"] is False and password["value"]
    # Nothing on disk holds it either.
    for path in (server.data_dir / "gosc.db", server.data_dir / "gosc.db-wal"):
        assert SECRET.encode() not in path.read_bytes(), path
    # SOAP: what pyVmomi reads. The spec as read is usable: given back to Overwrite it keeps
    # the password, and a customization with it applies (gosc decrypts what it encrypted).
    soap = run_pyvmomi(server, SOAP_READ_AND_OVERWRITE)
    assert soap["plainText"] is False and soap["value"] and SECRET not in soap["value"]
    again = vi.call(*SPM, "GetCustomizationSpec", {"name": "sealed"})["spec"]["identity"]["password"]
    assert again["plainText"] is False and SECRET not in str(again)
    src = vi.find("DC0/vm/demo-ubuntu")
    clone = vi.wait_task(vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body("sealed-vm")))[
        "result"
    ]  # type: ignore[index]
    read_back = vi.call(*SPM, "GetCustomizationSpec", {"name": "sealed"})["spec"]
    info = vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(clone, read_back)))
    assert info["state"] == "success", info
    # The spec set the guest's root password: that the decrypted value took effect shows
    # in the next login, which pyVmomi makes with it (and the same encrypted spec).
    assert run_pyvmomi(server, SOAP_CUSTOMIZE_WITH_READ_SPEC, guest_password=SECRET) == "success"
    # A value encrypted with some other key cannot be used.
    foreign = vi.call(*SPM, "GetCustomizationSpec", {"name": "sealed"})["spec"]
    foreign["identity"]["password"]["value"] = "bm90LWEtZ29zYy10b2tlbg=="
    failed = vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(clone, foreign, password=SECRET)))
    assert failed["state"] == "error" and failed["error"]["_typeName"] == "CannotDecryptPasswords", failed
