"""govmomi 0.24 (govc, Terraform's vSphere provider) unchanged against gosc's /sdk.

The Go driver (driver/main.go) runs every scenario once against this module's server
and prints what a govmomi caller sees; these tests check it, with the same expectations
as the pyVmomi tests in tests/soap.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import guest_root
from tests.support.server import ADMIN, GoscServer
from tests.support.vijson import ViClient


def test_connect_finder_and_container_view(scenario: Any) -> None:
    r = scenario("connect")
    # govmomi.NewClient speaks vim25/7.0 (SOAPAction "urn:vim25/7.0") unless told otherwise.
    assert r["clientVersion"] == "7.0" and r["namespace"] == "urn:vim25"
    assert "gosc" in r["about"] and r["apiVersion"] == "9.1.0.0"
    assert r["apiType"] == "VirtualCenter" and r["isVC"] is True
    assert r["hasGuestCustomizationManager"] is True
    assert r["currentUser"] == ADMIN and r["sessionIsActive"] is True
    assert abs(r["currentTimeSkew"]) < 60
    # find.Finder: datacenters, folders, a VM by relative path, lists.
    assert r["datacenters"] == ["/DC0"] and r["vmFolder"] == "/DC0/vm"
    assert r["vmPath"] == "/DC0/vm/demo-ubuntu" and r["powerState"] == "poweredOn"
    assert r["hosts"] >= 1
    assert {"demo-ubuntu", "demo-notools", "demo-windows"} <= set(r["viewNames"])
    # The container view lists what the Finder lists; properties load into mo.VirtualMachine.
    assert r["finderNames"] == r["viewNames"]
    assert r["viewProps"]["demo-ubuntu"] == {
        "powerState": "poweredOn",
        "configName": "demo-ubuntu",
        "hostName": r["negotiatedHostName"],
    }
    assert r["viewFind"] == len([n for n in r["viewNames"] if n.startswith("demo-")])


def test_version_negotiation(scenario: Any) -> None:
    """vim25.Client.UseServiceVersion reads /sdk/vimServiceVersions.xml; the client then
    speaks the newest release, and 9.1 answers still decode into govmomi 0.24's types."""
    r = scenario("connect")
    assert r["defaultVersion"] == "7.0"
    assert r["negotiatedNamespace"] == "urn:vim25" and r["negotiatedVersion"] == "9.1.0.0"
    assert r["negotiatedApiVersion"] == "9.1.0.0"
    assert r["negotiatedHostName"]


def test_clone_customize_wait_and_read_the_guest(server: GoscServer, vi: ViClient, scenario: Any) -> None:
    r = scenario("customize")
    assert r["cloneName"] == "gv-web" and r["beforeHostName"] != "gv-web01"
    assert r["state"] == "success"
    assert r["descriptionId"] == "vm.GuestCustomizationManager.customize" and r["entity"] == r["clone"]
    assert r["hostName"] == "gv-web01" and r["ipAddress"] == "192.168.10.31"
    assert r["raw"] == {"guest.hostName": "gv-web01", "guest.ipAddress": "192.168.10.31"}
    assert r["powerState"] == "poweredOn" and r["toolsRunningStatus"] == "guestToolsRunning"
    # event.Manager.QueryEvents filtered by entity: every event decodes to a govmomi type.
    events = r["customizationEvents"]
    assert [e["type"] for e in events] == ["CustomizationStartedEvent", "CustomizationSucceeded"]
    assert all(e["vm"] == r["clone"] for e in events) and "gv-web" in events[1]["message"]
    assert r["chains"] == [r["eventChainId"]]
    assert r["eventTypes"][-2:] == ["CustomizationStartedEvent", "CustomizationSucceeded"]
    root = guest_root(server, vi, {"type": "VirtualMachine", "value": r["clone"]})
    assert (root / "etc/hostname").read_text().strip() == "gv-web01"


def _fault(f: dict[str, Any] | None, kind: str, type_name: str) -> dict[str, Any]:
    assert f is not None, f"expected {type_name}, got no error"
    assert f["kind"] == kind and f["type"] == type_name, f
    assert f["isMethodFault"] is True
    return f["fields"]  # type: ignore[no-any-return]


def test_task_errors(scenario: Any) -> None:
    """The call succeeds; Task.Wait returns a task.Error whose LocalizedMethodFault.Fault
    is the typed fault."""
    r = scenario("faults")
    _fault(r["InvalidGuestLogin"], "task", "InvalidGuestLogin")
    assert "not-the-password" not in str(r["InvalidGuestLogin"])
    assert "authenticate" in r["InvalidGuestLogin"]["localizedMessage"]
    fields = _fault(r["NicSettingMismatch"], "task", "NicSettingMismatch")
    assert fields["NumberOfNicsInSpec"] == 2 and fields["NumberOfNicsInVM"] == 1
    fields = _fault(r["InvalidArgument"], "task", "InvalidArgument")
    assert fields["InvalidProperty"] == "spec.identity.hostName"
    assert r["hostNameAfter"] == "ubuntu"  # nothing was changed


def test_soap_faults(scenario: Any) -> None:
    """The call fails: soap.IsSoapFault(err), soap.ToSoapFault(err).VimFault() is typed."""
    r = scenario("faults")
    _fault(r["InvalidState"], "soap", "InvalidState")
    assert r["InvalidState"]["faultcode"] == "ServerFaultCode" and "Tools" in r["InvalidState"]["faultstring"]
    for key in ("ManagedObjectNotFound", "ManagedObjectNotFoundPower"):
        assert _fault(r[key], "soap", "ManagedObjectNotFound")["Obj"] == {
            "Type": "VirtualMachine",
            "Value": "vm-999999",
        }
    assert _fault(r["InvalidProperty"], "soap", "InvalidProperty")["Name"] == "guest.noSuch"
    _fault(r["InvalidLogin"], "soap", "InvalidLogin")
    # Property reads without a session: NotAuthenticated in missingSet (a vim fault to
    # govmomi), as session.Manager.UserSession expects of vCenter.
    _fault(r["NotAuthenticated"], "vim", "NotAuthenticated")
    # find.Finder's own error for a path that names nothing.
    assert r["NotFoundFinder"]["kind"] == "other" and "not found" in r["NotFoundFinder"]["error"]


def test_session_keepalive_logout_and_relogin(scenario: Any) -> None:
    r = scenario("session")
    assert r["cookieName"] == "vmware_soap_session" and r["cookieValueLen"] > 16
    # session.KeepAlive sends CurrentTime while the client is idle, and stops at Logout.
    assert r["keepAliveCalls"] >= 2 and r["keepAliveAfterLogout"] == 0
    assert r["userAfterIdle"] == ADMIN and r["active"] is True and r["rootName"] == "Datacenters"
    _fault(r["stale"], "vim", "NotAuthenticated")
    assert r["afterRelogin"] == "Datacenters"
    _fault(r["afterLogout"], "vim", "NotAuthenticated")
    assert r["userAfterRelogin"] == ADMIN


def test_user_session_without_a_valid_session_is_nil(scenario: Any) -> None:
    """session.Manager.UserSession (what govc's session cache and re-login handlers ask)
    is nil without an error when the cookie is stale."""
    r = scenario("session")
    assert r["staleUserSession"] == {"nil": True, "error": None}
