"""CustomizeGuest_Task end to end over VI/JSON (HTTPS, httpx) on root-filesystem guests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import guest_root
from tests.support.server import GoscServer
from tests.support.specs import customize_body, dhcp, instant_clone_body, linux_spec
from tests.support.vijson import ViClient

GCM = ("VirtualMachineGuestCustomizationManager", "GuestCustomizationManager")


def first_nic(config: dict[str, Any]) -> dict[str, Any]:
    """The VM's first NIC (a device with a MAC address; controllers and disks come first)."""
    return next(d for d in config["hardware"]["device"] if "macAddress" in d)


def customize(vi: ViClient, vm: dict[str, str], spec: dict, **kw) -> dict:  # type: ignore[type-arg]
    return vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, spec, **kw)))


def test_login_find_clone_customize_and_see_the_guest_changed(server: GoscServer, vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    root = guest_root(server, vi, clone)
    before = vi.get("VirtualMachine", clone["value"], "guest")
    assert before["toolsRunningStatus"] == "guestToolsRunning"
    assert before["net"][0]["connected"] is False  # an instant clone's NICs wait for customization

    info = customize(vi, clone, linux_spec("web01", tz="Europe/Berlin"), params={"app.role": "frontend"})
    assert info["state"] == "success", info.get("error")
    assert info["descriptionId"] == "vm.GuestCustomizationManager.customize"
    assert info["name"] == "CustomizeGuest_Task" and info["key"] == info["task"]["value"]
    assert info["entity"] == clone and info["completeTime"] >= info["startTime"] >= info["queueTime"]

    guest = vi.get("VirtualMachine", clone["value"], "guest")
    assert guest["hostName"] == "web01"
    assert guest["ipAddress"] == "192.168.10.21"
    assert guest["net"][0]["ipAddress"] == ["192.168.10.21"] and guest["net"][0]["connected"] is True
    ci = guest["customizationInfo"]
    assert ci["customizationStatus"] == "TOOLSDEPLOYPKG_SUCCEEDED" and "errorMsg" not in ci
    assert ci["endTime"] >= ci["startTime"]

    assert (root / "etc/hostname").read_text().strip() == "web01"
    assert "web01.example.com" in (root / "etc/hosts").read_text()
    netplan = root / "etc/netplan/99-netcfg-vmware.yaml"
    mac = first_nic(vi.get("VirtualMachine", clone["value"], "config"))["macAddress"]
    assert "192.168.10.21/24" in netplan.read_text() and mac in netplan.read_text()
    assert oct(netplan.stat().st_mode & 0o777) == "0o600"
    assert os.readlink(root / "etc/localtime").endswith("zoneinfo/Europe/Berlin")
    assert (root / "etc/timezone").read_text().strip() == "Europe/Berlin"
    # The package (with its secrets) is gone from the guest.
    assert not any((root / "var/run/vmware-imc").glob("*/pkg.zip"))
    # configParams reach the guest's guestinfo.
    extra = {o["key"]: o["value"]["_value"] for o in vi.get("VirtualMachine", clone["value"], "config")["extraConfig"]}
    assert extra["guestinfo.app.role"] == "frontend"
    assert extra["guestinfo.gc.status"] == "Successful"  # POST-GC-STATUS: the guest reports back
    # ... and a program in the guest reads them through the tools agent, as with vmware-rpctool.
    uuid = vi.get("VirtualMachine", clone["value"], "config")["instanceUuid"]
    r = subprocess.run(
        [sys.executable, "-m", "gosc.cli", "rpctool", "--vm-uuid", uuid, "info-get guestinfo.app.role"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (r.returncode, r.stdout.strip()) == (0, "frontend"), r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "gosc.cli", "rpctool", "--vm-uuid", uuid, "info-get guestinfo.nope"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 1 and "No value" in r.stderr

    events = vi.call(
        "EventManager",
        "EventManager",
        "QueryEvents",
        {
            "filter": {
                "_typeName": "EventFilterSpec",
                "entity": {"_typeName": "EventFilterSpecByEntity", "entity": clone, "recursion": "self"},
                "eventTypeId": ["CustomizationStartedEvent", "CustomizationSucceeded"],
            }
        },
    )
    assert [e["_typeName"] for e in events] == ["CustomizationStartedEvent", "CustomizationSucceeded"]
    assert all(e["chainId"] == info["eventChainId"] for e in events)
    assert events[1]["logLocation"].startswith("/var/log/")
    assert (root / events[1]["logLocation"].lstrip("/")).is_file()


def test_dhcp_and_vm_name_generator(vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    spec = linux_spec(nics=[dhcp()], name_gen={"_typeName": "CustomizationVirtualMachineName"}, tz=None)
    info = customize(vi, clone, spec)
    assert info["state"] == "success", info.get("error")
    name = vi.get("VirtualMachine", clone["value"], "config")["name"]
    assert vi.get("VirtualMachine", clone["value"], "guest")["hostName"] == name


def test_prefix_name_generator_gives_unique_names(vi: ViClient) -> None:
    src = vi.find("DC0/vm/demo-ubuntu")
    names = []
    for i in range(2):
        c = vi.wait_task(
            vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body(f"prefix-{i}"))
        )["result"]
        spec = linux_spec(nics=[dhcp()], name_gen={"_typeName": "CustomizationPrefixName", "base": "node"})
        assert customize(vi, c, spec)["state"] == "success"
        names.append(vi.get("VirtualMachine", c["value"], "guest")["hostName"])
    assert names[0] != names[1] and all(n.startswith("node") and n[4:].isdigit() for n in names)


def test_instant_clone_config_lands_in_extra_config_and_macs_are_new(vi: ViClient) -> None:
    src = vi.find("DC0/vm/demo-ubuntu")
    info = vi.wait_task(
        vi.call(
            "VirtualMachine",
            src["value"],
            "InstantClone_Task",
            instant_clone_body("ic-extra", {"guestinfo.ic.role": "db"}),
        )
    )
    child = info["result"]
    assert info["descriptionId"] == "VirtualMachine.instantClone"
    cfg = vi.get("VirtualMachine", child["value"], "config")
    src_cfg = vi.get("VirtualMachine", src["value"], "config")
    assert {
        "_typeName": "OptionValue",
        "key": "guestinfo.ic.role",
        "value": {"_typeName": "string", "_value": "db"},
    } in cfg["extraConfig"]
    assert first_nic(cfg)["macAddress"] != first_nic(src_cfg)["macAddress"]
    assert first_nic(cfg)["_typeName"] == "VirtualVmxnet3"
    assert cfg["instanceUuid"] != src_cfg["instanceUuid"]
    assert vi.get("VirtualMachine", child["value"], "runtime")["powerState"] == "poweredOn"
    folder = vi.get("Folder", vi.get("VirtualMachine", child["value"], "parent")["value"], "childEntity")
    assert child in folder


def test_power_off_on_and_destroy(vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    off = vi.wait_task(vi.call("VirtualMachine", clone["value"], "PowerOffVM_Task"))
    assert off["state"] == "success" and off["descriptionId"] == "VirtualMachine.powerOff"
    assert vi.get("VirtualMachine", clone["value"], "guest")["toolsRunningStatus"] == "guestToolsNotRunning"
    on = vi.wait_task(vi.call("VirtualMachine", clone["value"], "PowerOnVM_Task", {}))
    assert on["state"] == "success" and on["descriptionId"] == "VirtualMachine.powerOn"
    vi.wait_task(vi.call("VirtualMachine", clone["value"], "PowerOffVM_Task"))
    gone = vi.wait_task(vi.call("VirtualMachine", clone["value"], "Destroy_Task"))
    assert gone["state"] == "success"
    r = vi.raw("GET", f"VirtualMachine/{clone['value']}/name")
    assert r.status_code == 500 and r.json()["_typeName"] == "ManagedObjectNotFound"


def test_recent_tasks_and_current_session(vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    recent = vi.get("TaskManager", "TaskManager", "recentTask")
    assert recent and all(t["type"] == "Task" for t in recent)
    session = vi.get("SessionManager", "SessionManager", "currentSession")
    assert session["userName"] == "administrator@vsphere.local"
    assert session["key"] != vi.session  # the public id is not the secret token


def test_find_child_and_inventory(vi: ViClient) -> None:
    dc = vi.find("DC0")
    assert dc["type"] == "Datacenter"
    vm_folder = vi.get("Datacenter", dc["value"], "vmFolder")
    found = vi.call("SearchIndex", "SearchIndex", "FindChild", {"entity": vm_folder, "name": "demo-ubuntu"})
    assert found == vi.find("/DC0/vm/demo-ubuntu")
    assert vi.find("DC0/vm/no-such-vm") is None
    host = vi.find("DC0/host/esx-01.gosc.local/esx-01.gosc.local")
    assert host["type"] == "HostSystem"


def test_guest_files_untouched_when_the_guest_rejects_login(server: GoscServer, vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    root = guest_root(server, vi, clone)
    before = {p: p.read_bytes() for p in _files(root)}
    info = customize(vi, clone, linux_spec("other"), password="wrong")
    assert info["state"] == "error" and info["error"]["_typeName"] == "InvalidGuestLogin"
    assert {p: p.read_bytes() for p in _files(root)} == before


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.mark.parametrize("release", ["7.0.0.0", "8.0.3.0", "9.0.0.0"])
def test_older_releases_customize_too(vi: ViClient, server: GoscServer, release: str, clone: dict) -> None:  # type: ignore[type-arg]
    old = ViClient(server.url, release=release, client=vi.http)
    old.session = vi.session
    info = old.wait_task(
        old.call(*GCM, "CustomizeGuest_Task", customize_body(clone, linux_spec("rel" + release.replace(".", ""))))
    )
    assert info["state"] == "success", info.get("error")


def test_property_collector_over_vi_json(vi: ViClient) -> None:
    """govc with GOVC_VI_JSON and other VI/JSON clients list VMs as SOAP clients do."""
    view = vi.call(
        "ViewManager",
        "ViewManager",
        "CreateContainerView",
        {
            "container": vi.get("ServiceInstance", "ServiceInstance", "content")["rootFolder"],
            "type": ["VirtualMachine"],
            "recursive": True,
        },
    )
    body = {
        "specSet": [
            {
                "_typeName": "PropertyFilterSpec",
                "propSet": [
                    {
                        "_typeName": "PropertySpec",
                        "type": "VirtualMachine",
                        "pathSet": ["name", "runtime.powerState", "config.hardware.numCPU"],
                    }
                ],
                "objectSet": [
                    {
                        "_typeName": "ObjectSpec",
                        "obj": view,
                        "skip": True,
                        "selectSet": [
                            {
                                "_typeName": "TraversalSpec",
                                "name": "v",
                                "type": "ContainerView",
                                "path": "view",
                                "skip": False,
                            }
                        ],
                    }
                ],
            }
        ],
        "options": {"_typeName": "RetrieveOptions"},
    }
    result = vi.call("PropertyCollector", "propertyCollector", "RetrievePropertiesEx", body)
    by_name = {}
    for oc in result["objects"]:
        props = {p["name"]: p["val"] for p in oc["propSet"]}
        by_name[props["name"]["_value"]] = props
    assert by_name["demo-ubuntu"]["runtime.powerState"] == {
        "_typeName": "VirtualMachinePowerState",
        "_value": "poweredOn",
    }
    assert by_name["demo-ubuntu"]["config.hardware.numCPU"] == {"_typeName": "int", "_value": 2}
    assert vi.call("ContainerView", view["value"], "DestroyView") is None
