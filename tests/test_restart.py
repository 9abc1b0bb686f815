"""State survives a restart; a task cut short by a crash ends in error and frees its VM."""

from __future__ import annotations

import pytest

from gosc.inventory.authorization_manager import hash_password
from tests.conftest import guest_root, write_users
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer, Injections
from tests.support.specs import customize_body, instant_clone_body, linux_spec
from tests.support.vijson import ViClient, ViFault

GCM = ("VirtualMachineGuestCustomizationManager", "GuestCustomizationManager")


def login(server: GoscServer) -> ViClient:
    vi = ViClient(server.url)
    vi.login(ADMIN, ADMIN_PASSWORD)
    return vi


def test_state_persists_and_an_interrupted_task_ends_in_error(tmp_path: pytest.TempPathFactory) -> None:
    data = tmp_path / "data"  # type: ignore[operator]
    write_users(data)
    server = GoscServer(data).start()
    try:
        vi = login(server)
        src = vi.find("DC0/vm/demo-ubuntu")
        conf = guest_root(server, vi, src) / "etc/vmware-tools/tools.conf"
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text("[deployPkg]\nenable-custom-scripts = true\n")
        child = vi.wait_task(
            vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body("keeper"))
        )["result"]
        done = vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(child, linux_spec("kept01"))))
        assert done["state"] == "success", done
        # The next customization's work is held (running) when the server dies.
        inject = Injections(server.url)
        hold = inject.add("CustomizeGuest_Task", moId=child["value"], hold=True, count=1)
        cut = vi.call(*GCM, "CustomizeGuest_Task", customize_body(child, linux_spec("never")))
        inject.wait_held(hold)
        assert vi.get("Task", cut["value"], "info")["state"] == "running"
        server.kill()

        server.start()
        vi = login(server)
        assert vi.find("DC0/vm/keeper") == child
        guest = vi.get("VirtualMachine", child["value"], "guest")
        assert guest["toolsRunningStatus"] == "guestToolsRunning"  # powered-on VMs come back on
        assert guest["hostName"] == "kept01"
        info = vi.get("Task", cut["value"], "info")
        assert info["state"] == "error" and info["error"]["_typeName"] == "SystemError"
        assert vi.get("Task", done["task"]["value"], "info")["state"] == "success"
        events = vi.call(
            "EventManager",
            "EventManager",
            "QueryEvents",
            {
                "filter": {
                    "_typeName": "EventFilterSpec",
                    "eventTypeId": ["CustomizationSucceeded"],
                    "entity": {"_typeName": "EventFilterSpecByEntity", "entity": child, "recursion": "self"},
                }
            },
        )
        assert len(events) == 1
        # The VM is free again: a new customization runs to the end.
        again = vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(child, linux_spec("kept02"))))
        assert again["state"] == "success", again
        assert vi.get("VirtualMachine", child["value"], "guest")["hostName"] == "kept02"
        # A graceful stop and start keeps everything too, and the admin password still works.
        server.stop()
        server.start()
        assert login(server).get("VirtualMachine", child["value"], "name") == "keeper"
    finally:
        server.stop()


def test_secrets_never_reach_the_store_or_the_log(tmp_path: pytest.TempPathFactory) -> None:
    data = tmp_path / "data"  # type: ignore[operator]
    server = GoscServer(data).start()
    try:
        vi = login(server)
        src = vi.find("DC0/vm/demo-ubuntu")
        child = vi.wait_task(
            vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body("secretive"))
        )["result"]
        secret = "Sup3r-Secret-Guest-PW"
        spec = linux_spec("s1")
        spec["identity"]["password"] = {"_typeName": "CustomizationPassword", "value": secret, "plainText": True}
        info = vi.wait_task(
            vi.call(*GCM, "CustomizeGuest_Task", customize_body(child, spec, password="wrong-" + secret))
        )
        assert info["state"] == "error"
        ok = vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(child, spec)))
        assert ok["state"] == "success", ok
        item = {
            "_typeName": "CustomizationSpecItem",
            "info": {"_typeName": "CustomizationSpecInfo", "name": "web", "description": "", "type": "Linux"},
            "spec": spec,
        }
        vi.call("CustomizationSpecManager", "CustomizationSpecManager", "CreateCustomizationSpec", {"item": item})
        got = vi.call("CustomizationSpecManager", "CustomizationSpecManager", "GetCustomizationSpec", {"name": "web"})
        assert got["spec"]["identity"]["password"]["plainText"] is False  # returned encrypted, as vCenter does
        assert secret not in str(got)
        events = vi.call("EventManager", "EventManager", "QueryEvents", {"filter": {"_typeName": "EventFilterSpec"}})
        assert secret not in str(events) and secret not in str(info) and secret not in str(ok)
        root = guest_root(server, vi, child)
        log = (root / "var/log/vmware-imc/toolsDeployPkg.log").read_text()
        assert secret not in log
        assert not list((root / "var/run/vmware-imc").rglob("cust.cfg"))
    finally:
        server.stop()
    for path in [data / "gosc.db", data / "gosc.db-wal", server.log_path]:
        if path.exists():
            assert secret.encode() not in path.read_bytes(), path


def test_a_users_toml_permission_on_an_entity_renamed_since_is_skipped(tmp_path: pytest.TempPathFactory) -> None:
    """users.toml names entities by path; one renamed (or destroyed) through the API must not
    keep the server from starting: the permission goes, with a warning, as on vCenter."""
    data = tmp_path / "data"  # type: ignore[operator]
    data.mkdir()
    (data / "users.toml").write_text(
        f"""
[[users]]
name = "ops@vsphere.local"
password_hash = "{hash_password("Ops-pass-1!")}"
permissions = [{{ entity = "/DC0/vm/demo-notools", role = "Admin" }}]
"""
    )
    server = GoscServer(data).start()
    try:
        vi = login(server)
        vm = vi.find("DC0/vm/demo-notools")
        ops = ViClient(server.url)
        ops.login("ops@vsphere.local", "Ops-pass-1!")
        assert ops.get("VirtualMachine", vm["value"], "name") == "demo-notools"
        done = vi.wait_task(vi.call("VirtualMachine", vm["value"], "Rename_Task", {"newName": "renamed-notools"}))
        assert done["state"] == "success", done
        server.stop()
        server.start()
        assert "no inventory object at '/DC0/vm/demo-notools'" in server.log()
        ops = ViClient(server.url)
        ops.login("ops@vsphere.local", "Ops-pass-1!")
        with pytest.raises(ViFault) as e:
            ops.get("VirtualMachine", vm["value"], "name")
        assert e.value.body["_typeName"] == "NoPermission"
    finally:
        server.stop()
