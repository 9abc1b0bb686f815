"""Real pyVmomi (9.1.1.0 and 8.0.3.0.1) scripts against the real server over HTTPS."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.conftest import guest_root
from tests.soap.conftest import PYVMOMI8, Driver
from tests.support.server import GoscServer, Injections
from tests.support.specs import instant_clone_body
from tests.support.vijson import ViClient

_n = itertools.count(1)


def name(driver: Driver, what: str) -> str:
    return f"{what}-{driver.version.replace('.', '')}-{next(_n)}"


def test_connect_and_list_vms(driver: Driver) -> None:
    r = driver("connect")
    assert r["version"] == ("vim.version.v8_0_3_0" if driver.version == PYVMOMI8 else "vim.version.v9_1_0_0")
    assert "gosc" in r["about"] and r["apiVersion"] == "9.1.0.0"
    assert "demo-ubuntu" in r["names"] and "demo-notools" in r["names"]
    assert sorted(r["props"]) == r["names"]
    assert r["props"]["demo-ubuntu"] == {"powerState": "poweredOn", "configName": "demo-ubuntu"}
    assert r["hostName"] and r["powerState"] == "poweredOn"
    assert r["currentUser"] == "administrator@vsphere.local"


def test_clone_customize_wait_and_read_the_guest(server: GoscServer, vi: ViClient, driver: Driver) -> None:
    r = driver("customize", name=name(driver, "soap"))
    assert r["state"] == "success"
    assert r["before"]["connected"] is False
    assert r["descriptionId"] == "vm.GuestCustomizationManager.customize" and r["entity"] == r["clone"]
    assert r["hostName"] == "web01" and r["ipAddress"] == "192.168.10.21"
    assert r["customizationStatus"] == "TOOLSDEPLOYPKG_SUCCEEDED"
    assert r["events"] == ["CustomizationStartedEvent", "CustomizationSucceeded"]
    assert r["chains"] == [r["eventChainId"]]
    root = guest_root(server, vi, {"type": "VirtualMachine", "value": r["clone"]})
    assert (root / "etc/hostname").read_text().strip() == "web01"


@pytest.fixture(scope="module")
def faults(driver: Driver) -> dict[str, Any]:
    return driver("faults", timeout=300, name=name(driver, "f"))  # type: ignore[no-any-return]


def test_precondition_faults(faults: dict[str, Any]) -> None:
    f = faults["InvalidPowerState"]
    assert f["class"] == "vim.fault.InvalidPowerState" and f["is_method_fault"]
    assert f["fields"]["existingState"] == "poweredOff" and f["fields"]["requestedState"] == "poweredOn" and f["msg"]
    assert faults["toolsStatus"] == "toolsNotInstalled"
    f = faults["InvalidState"]
    assert f["class"] == "vim.fault.InvalidState" and "Tools" in f["msg"]
    for key in ("ManagedObjectNotFound", "ManagedObjectNotFoundPower"):
        f = faults[key]
        assert f["class"] == "vmodl.fault.ManagedObjectNotFound"
        assert f["fields"]["obj"] == {"type": "VirtualMachine", "value": "vm-999999"}


def test_task_error_faults(faults: dict[str, Any]) -> None:
    f = faults["InvalidGuestLogin"]
    assert f["class"] == "vim.fault.InvalidGuestLogin" and "not-the-password" not in str(f)
    f = faults["GuestPermissionDenied"]
    assert f["class"] == "vim.fault.GuestPermissionDenied" and "uid 1000" in f["msg"]
    f = faults["NicSettingMismatch"]
    assert f["class"] == "vim.fault.NicSettingMismatch"
    assert f["fields"]["numberOfNicsInSpec"] == 2 and f["fields"]["numberOfNicsInVM"] == 1
    f = faults["UncustomizableGuest"]
    assert f["class"] == "vim.fault.UncustomizableGuest" and f["fields"]["uncustomizableGuestOS"] == "ubuntu64Guest"
    unknown, custom = faults["IpHostnameGeneratorError"]
    assert unknown["class"] == custom["class"] == "vim.fault.IpHostnameGeneratorError"
    assert "CustomizationUnknownName" in unknown["msg"] and "CustomizationCustomName" in custom["msg"]


def test_invalid_argument_names_the_property(faults: dict[str, Any]) -> None:
    assert len(faults["InvalidArgument"]) == 7
    for path, results in faults["InvalidArgument"].items():
        for f in results:
            assert f["class"] == "vmodl.fault.InvalidArgument", (path, f)
            assert f["fields"]["invalidProperty"] == path
    assert faults["hostNameAfter"] != "web_01"


def test_permission_and_session_faults(faults: dict[str, Any]) -> None:
    privs = [f["fields"]["privilegeId"] for f in faults["NoPermission"]]
    assert all(f["class"] == "vim.fault.NoPermission" for f in faults["NoPermission"])
    assert privs == [
        "VirtualMachine.Provisioning.Customize",
        "VirtualMachine.Provisioning.Clone",
        "VirtualMachine.Interact.PowerOff",
    ]
    assert faults["NoPermission"][0]["fields"]["object"]["type"] == "VirtualMachine"
    assert faults["InvalidLogin"]["class"] == "vim.fault.InvalidLogin"
    assert faults["NotAuthenticated"]["class"] == "vim.fault.NotAuthenticated"


def _clone(vi: ViClient, name: str) -> dict[str, str]:
    src = vi.find("DC0/vm/demo-ubuntu")
    info = vi.wait_task(vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body(name)))
    assert info["state"] == "success"
    return info["result"]  # type: ignore[no-any-return]


def test_task_in_progress(vi: ViClient, inject: Injections, driver: Driver) -> None:
    vm = _clone(vi, name(driver, "busy"))
    # The first customization's work waits here until the driver, having seen the second
    # call fail, releases it.
    hold = inject.add("CustomizeGuest_Task", moId=vm["value"], hold=True, count=1)
    r = driver("task_in_progress", vm=vm["value"], hold=hold)
    assert r["fault"]["class"] == "vim.fault.TaskInProgress"
    assert r["fault"]["fields"]["task"] == {"type": "Task", "value": r["first"]}
    assert r["state"] == "success"
    assert inject.get(hold)["hits"] == 1


def test_wait_for_updates_sees_queued_running_success(vi: ViClient, inject: Injections, driver: Driver) -> None:
    vm = _clone(vi, name(driver, "wait"))
    hold = inject.add("CustomizeGuest_Task", moId=vm["value"], hold=True, count=1)  # released once seen running
    r = driver("wait_for_updates", vm=vm["value"], hold=hold)
    assert r["states"] == ["queued", "running", "success"], r
    assert r["kinds"][0] == "enter" and set(r["kinds"][1:]) == {"modify"}
    versions = r["versions"]
    assert len(set(versions)) == len(versions) and [int(v) for v in versions] == sorted(int(v) for v in versions)
    # An idle wait returns nothing once maxWaitSeconds (1) has passed, not before; a wait of 30 s
    # ends with RequestCanceled only because CancelWaitForUpdates ended it (no upper time bound:
    # the machine's load decides how late an answer comes, never whether it is right).
    assert r["idle"] and r["idle_seconds"] >= 0.9
    assert r["cancel"]["class"] == "vmodl.fault.RequestCanceled"
    assert r["bad_version"]["class"] == "vmodl.query.InvalidCollectorVersion"


def test_stale_cookie_and_relogin(driver: Driver) -> None:
    r = driver("relogin")
    assert r["cookie"].startswith('vmware_soap_session="')
    for key in ("stale", "missing", "after_logout"):
        assert r[key]["class"] == "vim.fault.NotAuthenticated", key
    assert r["restored"] == "Datacenters"
    assert r["first"] == r["after_stale"] == "Datacenters" and r["relogged"]
    assert r["after_missing"] and r["user"] == "administrator@vsphere.local"


def test_property_collector_semantics(driver: Driver) -> None:
    r = driver("collector")
    kinds = {k for k, _ in r["classic"]}
    assert {"VirtualMachine", "HostSystem", "Folder"} <= kinds
    vms = sorted(n for k, n in r["classic"] if k == "VirtualMachine")
    assert "demo-ubuntu" in vms and "demo-windows" in vms
    assert all(p <= 3 for p in r["pages"]) and sum(r["pages"]) == len(r["classic"]) and len(r["pages"]) > 1
    assert {"name", "config", "guest", "runtime", "summary", "parent"} <= set(r["all"])
    n = r["nested"]
    assert n["hostName"] and n["powerState"] == "poweredOn" and n["configName"] == "demo-ubuntu"
    assert n["devices"] >= 1 and n["net"].endswith("[]") and n["snapshot"] is False
    assert r["invalid"]["class"] == "vmodl.query.InvalidProperty" and r["invalid"]["fields"]["name"] == "guest.noSuch"
    assert r["not_found"]["class"] == "vmodl.fault.ManagedObjectNotFound"
    assert r["missing"] == [{"path": "name", "fault": "vim.fault.NoPermission"}]


def test_an_older_client_never_gets_newer_fields(server: GoscServer, driver: Driver, python_for: Any) -> None:
    spec_name = name(driver, "spec")
    Driver(server, python_for("9.1.1.0"), "9.1.1.0")("save_spec", spec_name=spec_name)
    r = driver("spec_versions", spec_name=spec_name)
    assert r["identity"] == "vim.vm.customization.LinuxPrep" and r["hostName"] == "saved"
    if driver.version == PYVMOMI8:
        assert r["version"] == "vim.version.v8_0_3_0" and r["resetPassword"] == "unknown-to-client"
    else:
        assert r["resetPassword"] is True


def test_bench_runs(server: GoscServer, driver: Driver) -> None:
    if driver.version == PYVMOMI8:
        return  # the bench is the project's own client (9.1.1.0); once is enough
    r = driver("bench", base_url=server.url, kw={"fetch_count": 20, "customize_count": 2, "seconds": 10})
    assert r["Fetch VirtualMachine.guest"]["count"] == 20 and r["Fetch VirtualMachine.guest"]["calls/s"] > 0
    assert r["CustomizeGuest_Task + WaitForTask"]["count"] == 2
