"""Every fault of CustomizeGuest_Task and of the VI/JSON surface, with its fields."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import CLONER_USER, LIMITED_PASSWORD, LIMITED_USER, guest_root
from tests.support.server import GoscServer, Injections
from tests.support.specs import customize_body, dhcp, fixed_ip, instant_clone_body, linux_spec
from tests.support.vijson import ViClient, ViFault, moref

GCM = ("VirtualMachineGuestCustomizationManager", "GuestCustomizationManager")


def call_fault(vi: ViClient, *args) -> dict:  # type: ignore[no-untyped-def,type-arg]
    with pytest.raises(ViFault) as e:
        vi.call(*args)
    assert e.value.status == 500
    return e.value.body


def task_error(vi: ViClient, vm: dict, spec: dict, **kw) -> dict:  # type: ignore[no-untyped-def,type-arg]
    info = vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, spec, **kw)))
    assert info["state"] == "error", info
    return info["error"]


# ---------------------------------------------------------------- preconditions (the call fails)


def test_invalid_power_state(vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    vi.wait_task(vi.call("VirtualMachine", clone["value"], "PowerOffVM_Task"))
    f = call_fault(vi, *GCM, "CustomizeGuest_Task", customize_body(clone, linux_spec()))
    assert f["_typeName"] == "InvalidPowerState"
    assert f["existingState"] == "poweredOff" and f["requestedState"] == "poweredOn"
    assert f["faultMessage"][0]["message"]


def test_invalid_state_without_tools(vi: ViClient) -> None:
    vm = vi.find("DC0/vm/demo-notools")
    assert vi.get("VirtualMachine", vm["value"], "guest")["toolsStatus"] == "toolsNotInstalled"
    f = call_fault(vi, *GCM, "CustomizeGuest_Task", customize_body(vm, linux_spec()))
    assert f["_typeName"] == "InvalidState" and "Tools" in f["faultMessage"][0]["message"]


def test_task_in_progress(vi: ViClient, clone: dict, inject: Injections) -> None:  # type: ignore[type-arg]
    c = clone
    hold = inject.add("CustomizeGuest_Task", moId=c["value"], hold=True, count=1)
    first = vi.call(*GCM, "CustomizeGuest_Task", customize_body(c, linux_spec()))
    inject.wait_held(hold)
    f = call_fault(vi, *GCM, "CustomizeGuest_Task", customize_body(c, linux_spec()))
    assert f["_typeName"] == "TaskInProgress" and f["task"] == first
    inject.release(hold)
    assert vi.wait_task(first)["state"] == "success"


def test_no_permission(server: GoscServer, vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    viewer = ViClient(server.url)
    viewer.login(LIMITED_USER, LIMITED_PASSWORD)
    f = call_fault(viewer, *GCM, "CustomizeGuest_Task", customize_body(clone, linux_spec()))
    assert f["_typeName"] == "NoPermission" and f["privilegeId"] == "VirtualMachine.Provisioning.Customize"
    assert f["object"] == clone
    f = call_fault(viewer, "VirtualMachine", clone["value"], "InstantClone_Task", instant_clone_body("nope"))
    assert f["_typeName"] == "NoPermission" and f["privilegeId"] == "VirtualMachine.Provisioning.Clone"
    f = call_fault(viewer, "VirtualMachine", clone["value"], "PowerOffVM_Task")
    assert f["_typeName"] == "NoPermission" and f["privilegeId"] == "VirtualMachine.Interact.PowerOff"
    cloner = ViClient(server.url)
    cloner.login(CLONER_USER, LIMITED_PASSWORD)
    assert (
        cloner.wait_task(
            cloner.call("VirtualMachine", clone["value"], "InstantClone_Task", instant_clone_body("by-cloner"))
        )["state"]
        == "success"
    )
    f = call_fault(cloner, "VirtualMachine", clone["value"], "PowerOnVM_Task")
    assert f["_typeName"] == "InvalidPowerState" or f["privilegeId"] == "VirtualMachine.Interact.PowerOn"


def test_not_authenticated_and_bad_login(server: GoscServer, vi: ViClient) -> None:
    anon = ViClient(server.url)
    f = call_fault(anon, "SearchIndex", "SearchIndex", "FindByInventoryPath", {"inventoryPath": "DC0"})
    assert f["_typeName"] == "NotAuthenticated"
    with pytest.raises(ViFault) as e:
        anon.login("administrator@vsphere.local", "wrong")
    assert e.value.type_name == "InvalidLogin"
    anon.session = "not-a-session"
    assert (
        call_fault(anon, "SearchIndex", "SearchIndex", "FindByInventoryPath", {"inventoryPath": "DC0"})["_typeName"]
        == "NotAuthenticated"
    )


# ---------------------------------------------------------------- the task fails


def test_invalid_guest_login(vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    f = task_error(vi, clone, linux_spec(), password="not-the-password")
    assert f["_typeName"] == "InvalidGuestLogin"
    assert "not-the-password" not in str(f)


def test_guest_permission_denied_for_non_root(vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    f = task_error(vi, clone, linux_spec(), user="vmuser")
    assert f["_typeName"] == "GuestPermissionDenied" and "uid 1000" in f["faultMessage"][0]["message"]


def test_nic_setting_mismatch(vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    f = task_error(vi, clone, linux_spec(nics=[fixed_ip("10.0.0.5"), dhcp()]))
    assert f["_typeName"] == "NicSettingMismatch"
    assert f["numberOfNicsInSpec"] == 2 and f["numberOfNicsInVM"] == 1


def test_uncustomizable_guest_for_windows_identity(vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    spec = linux_spec()
    spec["identity"] = {"_typeName": "CustomizationSysprepText", "value": "<unattend/>"}
    f = task_error(vi, clone, spec)
    assert f["_typeName"] == "UncustomizableGuest" and f["uncustomizableGuestOS"] == "ubuntu64Guest"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda s: s["identity"]["hostName"].update(name="web_01"), "spec.identity.hostName"),
        (lambda s: s["identity"]["hostName"].update(name="a" * 64), "spec.identity.hostName"),
        (lambda s: s["identity"]["hostName"].update(name="web.example.com"), "spec.identity.hostName"),
        (lambda s: s["identity"].update(timeZone="Mars/Olympus_Mons"), "spec.identity.timeZone"),
        (
            lambda s: s["nicSettingMap"][0]["adapter"]["ip"].update(ipAddress="10.0.0.300"),
            "spec.nicSettingMap[0].adapter.ip.ipAddress",
        ),
        (
            lambda s: s["nicSettingMap"][0]["adapter"].update(subnetMask="255.0.255.0"),
            "spec.nicSettingMap[0].adapter.subnetMask",
        ),
        (lambda s: s["nicSettingMap"][0]["adapter"].update(gateway=["gw"]), "spec.nicSettingMap[0].adapter.gateway[0]"),
        (lambda s: s["globalIPSettings"].update(dnsServerList=["8.8.8"]), "spec.globalIPSettings.dnsServerList[0]"),
        (lambda s: s["identity"].update(domain="bad_domain.com"), "spec.identity.domain"),
    ],
)
def test_invalid_argument_names_the_property(server: GoscServer, vi: ViClient, clone: dict, change, path: str) -> None:  # type: ignore[no-untyped-def,type-arg]
    root = guest_root(server, vi, clone)
    hostname = (root / "etc/hostname").read_bytes()
    spec = linux_spec()
    change(spec)
    f = task_error(vi, clone, spec)
    assert f["_typeName"] == "InvalidArgument" and f["invalidProperty"] == path
    assert (root / "etc/hostname").read_bytes() == hostname
    ci = vi.get("VirtualMachine", clone["value"], "guest").get("customizationInfo")
    assert ci is None or ci["customizationStatus"] != "TOOLSDEPLOYPKG_PENDING"


@pytest.mark.parametrize(
    "gen", [{"_typeName": "CustomizationUnknownName"}, {"_typeName": "CustomizationCustomName", "argument": "x"}]
)
def test_names_from_outside_fail_clearly(vi: ViClient, clone: dict, gen: dict) -> None:  # type: ignore[type-arg]
    f = task_error(vi, clone, linux_spec(name_gen=gen))
    assert f["_typeName"] == "IpHostnameGeneratorError" and gen["_typeName"] in f["faultMessage"][0]["message"]


# ---------------------------------------------------------------- malformed requests


def _assert_untouched(vi: ViClient, server: GoscServer, vm: dict, before: bytes) -> None:  # type: ignore[type-arg]
    assert (guest_root(server, vi, vm) / "etc/hostname").read_bytes() == before


def test_malformed_requests_get_faults_and_change_nothing(server: GoscServer, vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    before = (guest_root(server, vi, clone) / "etc/hostname").read_bytes()
    path = "VirtualMachineGuestCustomizationManager/GuestCustomizationManager/CustomizeGuest_Task"

    r = vi.raw("POST", path, content=b'{"vm": ', headers={"content-type": "application/json"})
    assert r.status_code == 500 and r.json()["_typeName"] == "InvalidRequest"

    body = customize_body(clone, linux_spec())
    body["spec"]["identity"]["_typeName"] = "CustomizationNoSuchPrep"
    r = vi.raw("POST", path, json=body)
    assert r.status_code == 500 and r.json()["_typeName"] == "InvalidType"

    body = customize_body(clone, linux_spec())
    body["spec"]["identity"]["_typeName"] = "CustomizationFixedIp"  # a real type in the wrong place
    assert vi.raw("POST", path, json=body).json()["_typeName"] == "InvalidType"

    body = customize_body(clone, linux_spec())
    del body["auth"]
    f = vi.raw("POST", path, json=body).json()
    assert f["_typeName"] == "InvalidArgument" and f["invalidProperty"] == "auth"

    body = customize_body(clone, linux_spec())
    del body["spec"]["identity"]["domain"]
    f = vi.raw("POST", path, json=body).json()
    assert f["_typeName"] == "InvalidArgument" and f["invalidProperty"] == "spec.identity.domain"

    body = customize_body(moref("VirtualMachine", "vm-999999"), linux_spec())
    f = vi.raw("POST", path, json=body).json()
    assert f["_typeName"] == "ManagedObjectNotFound" and f["obj"]["value"] == "vm-999999"

    r = vi.raw(
        "POST", "VirtualMachineGuestCustomizationManager/GuestCustomizationManager/CustomizeGuest_Taskx", json={}
    )
    assert r.status_code == 500 and r.json()["_typeName"] == "MethodNotFound"

    r = vi.raw("POST", "VirtualMachine/vm-999999/PowerOnVM_Task", json={})
    assert r.json()["_typeName"] == "ManagedObjectNotFound"

    r = vi.raw("POST", path, json=[1, 2])
    assert r.json()["_typeName"] == "InvalidRequest"

    body = customize_body(clone, linux_spec())
    body["_typeName"] = "CustomizeGuestRequestType"  # tolerated, as vim_rs sends it
    body["spec"]["identity"]["hostName"]["name"] = "web_bad"
    assert vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", body))["error"]["_typeName"] == "InvalidArgument"

    body = customize_body(clone, linux_spec())
    body["_typeName"] = "PowerOnVM_Task"
    assert vi.raw("POST", path, json=body).json()["_typeName"] == "InvalidType"

    for r in (vi.raw("POST", path, content=b"\xff\xfe"), vi.raw("POST", path, json={"vm": "vm-1"})):
        assert r.status_code == 500 and "Traceback" not in r.text and r.json()["_typeName"]
    _assert_untouched(vi, server, clone, before)


def test_release_rules(server: GoscServer, vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    r = httpx.get(f"{server.url}/sdk/vim25/6.5/ServiceInstance/ServiceInstance/content", verify=False)
    assert r.status_code == 404 and r.json()["_typeName"] == "InvalidRequest"
    # resetPassword exists from 9.1 on: an 8.0.3 request may not use it.
    old = ViClient(server.url, release="8.0.3.0", client=vi.http)
    old.session = vi.session
    spec = linux_spec()
    spec["identity"]["resetPassword"] = True
    f = call_fault(old, *GCM, "CustomizeGuest_Task", customize_body(clone, spec))
    assert f["_typeName"] == "InvalidArgument" and f["invalidProperty"] == "spec.identity.resetPassword"
    # CloudinitPrep exists from 7.0.3 on.
    old7 = ViClient(server.url, release="7.0.2.0", client=vi.http)
    old7.session = vi.session
    spec = linux_spec()
    spec["identity"] = {"_typeName": "CustomizationCloudinitPrep", "metadata": "{}"}
    assert call_fault(old7, *GCM, "CustomizeGuest_Task", customize_body(clone, spec))["_typeName"] == "InvalidType"


def test_property_reads(vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    r = vi.raw("GET", f"VirtualMachine/{clone['value']}/noSuchProperty")
    assert r.status_code == 500 and r.json()["_typeName"] == "InvalidProperty"
    r = vi.raw("GET", f"VirtualMachine/{clone['value']}/snapshot")
    assert r.status_code == 204 and r.content == b""
    assert vi.get("VirtualMachine", clone["value"], "name").startswith("clone-")


def test_concurrent_customizations_of_one_vm_never_overlap(vi: ViClient, clone: dict, inject: Injections) -> None:  # type: ignore[type-arg]
    """While one customization of a VM runs (held running by an injection), every other
    one is refused with TaskInProgress naming it; without the VM's lock they would run."""
    hold = inject.add("CustomizeGuest_Task", moId=clone["value"], hold=True, count=1)
    first = vi.call(*GCM, "CustomizeGuest_Task", customize_body(clone, linux_spec("par0")))
    inject.wait_held(hold)
    assert vi.get("Task", first["value"], "info")["state"] == "running"
    for i in range(1, 4):
        f = call_fault(vi, *GCM, "CustomizeGuest_Task", customize_body(clone, linux_spec(f"par{i}")))
        assert f["_typeName"] == "TaskInProgress" and f["task"] == first
    inject.release(hold)
    assert vi.wait_task(first)["state"] == "success"


def test_logout_is_void_and_ends_the_session(server: GoscServer) -> None:
    from tests.support.server import ADMIN, ADMIN_PASSWORD

    c = ViClient(server.url)
    c.login(ADMIN, ADMIN_PASSWORD)
    r = c.raw("POST", "SessionManager/SessionManager/Logout")
    assert r.status_code == 204 and r.content == b""
    assert (
        call_fault(c, "SearchIndex", "SearchIndex", "FindByInventoryPath", {"inventoryPath": "DC0"})["_typeName"]
        == "NotAuthenticated"
    )


def test_release_negotiation(server: GoscServer) -> None:
    r = httpx.post(
        f"{server.url}/api/vcenter/system?action=hello",
        json={"api_releases": ["9.9.9.9", "8.0.3.0", "7.0.0.0"]},
        verify=False,
    )
    assert r.json() == {"api_release": "8.0.3.0"}
    r = httpx.post(f"{server.url}/api/vcenter/system?action=hello", json={"api_releases": ["6.0"]}, verify=False)
    assert r.json() == {"api_release": ""}


def test_every_release_answers(server: GoscServer, vi: ViClient) -> None:
    from gosc.vim.types import RELEASES

    for release in RELEASES:
        c = ViClient(server.url, release=release, client=vi.http)
        c.session = vi.session
        assert c.find("DC0/vm/demo-ubuntu")["type"] == "VirtualMachine", release
