"""CustomizeGuest_Task on an instant clone of a guest of every family, and the failures
a guest can report: each with its event, customizationInfo.errorMsg and task fault."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.conftest import guest_root
from tests.support.procs import ENDLESS_CMDLINE, ENDLESS_SCRIPT, running
from tests.support.server import GoscServer
from tests.support.specs import customize_body, instant_clone_body, linux_spec, sysprep_spec
from tests.support.vijson import ViClient
from tests.support.wait import wait_for

GCM = ("VirtualMachineGuestCustomizationManager", "GuestCustomizationManager")
_n = itertools.count(1)

# demo VM -> (file that proves the family's renderer ran, text it must contain)
FAMILIES = {
    "demo-ubuntu": ("etc/netplan/99-netcfg-vmware.yaml", "192.168.10.21/24"),
    "demo-debian": ("etc/network/interfaces", "192.168.10.21"),
    "demo-centos7": ("etc/sysconfig/network-scripts/ifcfg-ens192", "IPADDR=192.168.10.21"),
    "demo-rhel9": (
        "etc/NetworkManager/system-connections/VMware-customization-ens192.nmconnection",
        "192.168.10.21/24",
    ),
    "demo-sles15": ("etc/sysconfig/network/ifcfg-ens192", "192.168.10.21"),
    "demo-photon": ("etc/systemd/network", "192.168.10.21/24"),
}


def clone_of(vi: ViClient, name: str, root_hook=None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    src = vi.find(f"DC0/vm/{name}")
    info = vi.wait_task(
        vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body(f"{name}-c{next(_n)}"))
    )
    assert info["state"] == "success", info
    return info["result"]


def customize(vi: ViClient, vm: dict, spec: dict) -> dict:  # type: ignore[type-arg]
    return vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, spec)))


def events_of(vi: ViClient, vm: dict, chain: int) -> list[dict]:  # type: ignore[type-arg]
    events = vi.call(
        "EventManager",
        "EventManager",
        "QueryEvents",
        {
            "filter": {
                "_typeName": "EventFilterSpec",
                "eventChainId": chain,
                "entity": {"_typeName": "EventFilterSpecByEntity", "entity": vm, "recursion": "self"},
            }
        },
    )
    return [e for e in events if e["_typeName"].startswith("Customization")]


@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_linux_family(server: GoscServer, vi: ViClient, name: str) -> None:
    vm = clone_of(vi, name)
    info = customize(vi, vm, linux_spec("fam01", tz="America/New_York"))
    assert info["state"] == "success", info.get("error")
    root = guest_root(server, vi, vm)
    path, text = FAMILIES[name]
    target = root / path
    content = "".join(p.read_text() for p in target.glob("*.network")) if target.is_dir() else target.read_text()
    assert text in content
    assert vi.get("VirtualMachine", vm["value"], "guest")["hostName"] == "fam01"
    assert vi.get("VirtualMachine", vm["value"], "guest")["ipAddress"] == "192.168.10.21"
    assert str((root / "etc/localtime").readlink()).endswith("America/New_York")


def test_windows_sysprep_through_the_server(server: GoscServer, vi: ViClient) -> None:
    vm = clone_of(vi, "demo-windows")
    spec = sysprep_spec("WIN01")
    info = vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, spec, user="Administrator")))
    assert info["state"] == "success", info.get("error")
    assert "Win-Pass-1!" not in str(
        vi.call("EventManager", "EventManager", "QueryEvents", {"filter": {"_typeName": "EventFilterSpec"}})
    )
    unattend = (guest_root(server, vi, vm) / "Windows/Panther/unattend.xml").read_text()
    assert "WIN01" in unattend and "urn:schemas-microsoft-com:unattend" in unattend
    assert vi.get("VirtualMachine", vm["value"], "guest")["hostName"] == "WIN01"


def _enable_scripts(server: GoscServer, vi: ViClient, vm: dict) -> None:  # type: ignore[type-arg]
    conf = guest_root(server, vi, vm) / "etc/vmware-tools/tools.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text("[deployPkg]\nenable-custom-scripts = true\n")


def _assert_failure(server: GoscServer, vi: ViClient, vm: dict, info: dict, event: str, reason: str | None) -> None:  # type: ignore[type-arg]
    assert info["state"] == "error" and info["error"]["_typeName"] == "CustomizationFault", info
    ci = vi.get("VirtualMachine", vm["value"], "guest")["customizationInfo"]
    assert ci["customizationStatus"] == "TOOLSDEPLOYPKG_FAILED" and ci["errorMsg"]
    evs = events_of(vi, vm, info["eventChainId"])
    assert [e["_typeName"] for e in evs] == ["CustomizationStartedEvent", event]
    assert evs[1].get("reason") == reason if reason else True
    log = evs[1].get("logLocation")
    assert log and (guest_root(server, vi, vm) / log.lstrip("/")).is_file()


def test_scripts_disabled(server: GoscServer, vi: ViClient) -> None:
    vm = clone_of(vi, "demo-ubuntu")
    info = customize(vi, vm, linux_spec(script="#!/bin/sh\ntrue\n"))
    _assert_failure(server, vi, vm, info, "CustomizationFailed", "userDefinedScriptDisabled")


def test_failing_script(server: GoscServer, vi: ViClient) -> None:
    vm = clone_of(vi, "demo-ubuntu")
    _enable_scripts(server, vi, vm)
    info = customize(vi, vm, linux_spec(script="#!/bin/sh\nexit 3\n"))
    _assert_failure(server, vi, vm, info, "CustomizationFailed", None)
    assert "status 3" in vi.get("VirtualMachine", vm["value"], "guest")["customizationInfo"]["errorMsg"]


def test_bad_cloudinit_metadata(server: GoscServer, vi: ViClient) -> None:
    vm = clone_of(vi, "demo-ubuntu")
    spec = linux_spec()
    spec["identity"] = {"_typeName": "CustomizationCloudinitPrep", "metadata": "instance-id: [unclosed", "userdata": ""}
    spec["nicSettingMap"] = []
    info = customize(vi, vm, spec)
    _assert_failure(server, vi, vm, info, "CustomizationFailed", "wrongMetadataFormat")


def test_good_cloudinit_metadata(server: GoscServer, vi: ViClient) -> None:
    vm = clone_of(vi, "demo-ubuntu")
    spec = linux_spec()
    spec["identity"] = {
        "_typeName": "CustomizationCloudinitPrep",
        "metadata": "instance-id: i-1\nlocal-hostname: ci01\n",
        "userdata": "#cloud-config\n{}\n",
    }
    spec["nicSettingMap"] = []
    info = customize(vi, vm, spec)
    assert info["state"] == "success", info.get("error")


def test_broken_tree_network(server: GoscServer, vi: ViClient) -> None:
    vm = clone_of(vi, "demo-ubuntu")
    netplan = guest_root(server, vi, vm) / "etc/netplan"
    for f in netplan.iterdir():
        f.unlink()
    netplan.rmdir()
    netplan.write_text("not a directory\n")
    info = customize(vi, vm, linux_spec())
    _assert_failure(server, vi, vm, info, "CustomizationNetworkSetupFailed", None)


def test_broken_tree_identity(server: GoscServer, vi: ViClient) -> None:
    vm = clone_of(vi, "demo-ubuntu")
    hostname = guest_root(server, vi, vm) / "etc/hostname"
    hostname.unlink()
    hostname.mkdir()
    info = customize(vi, vm, linux_spec())
    _assert_failure(server, vi, vm, info, "CustomizationLinuxIdentityFailed", None)


def test_cloudinit_on_a_guest_without_cloud_init(server: GoscServer, vi: ViClient) -> None:
    vm = clone_of(vi, "demo-debian")
    assert not (guest_root(server, vi, vm) / "etc/cloud").exists()
    spec = linux_spec()
    spec["identity"] = {"_typeName": "CustomizationCloudinitPrep", "metadata": "instance-id: i-1\n"}
    spec["nicSettingMap"] = []
    info = customize(vi, vm, spec)
    _assert_failure(server, vi, vm, info, "CustomizationFailed", "rawDataIsNotSupported")
    assert "cloud-init" in vi.get("VirtualMachine", vm["value"], "guest")["customizationInfo"]["errorMsg"]


def _status(vi: ViClient, vm: dict[str, str]) -> str | None:
    return (vi.get("VirtualMachine", vm["value"], "guest").get("customizationInfo") or {}).get("customizationStatus")


def test_abort_a_running_customization_of_a_rootfs_guest(server: GoscServer, vi: ViClient) -> None:
    vm = clone_of(vi, "demo-ubuntu")
    _enable_scripts(server, vi, vm)
    hostname = (guest_root(server, vi, vm) / "etc/hostname").read_bytes()
    task = vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, linux_spec("aborted01", script=ENDLESS_SCRIPT)))
    wait_for(lambda: _status(vi, vm) == "TOOLSDEPLOYPKG_RUNNING")
    wait_for(lambda: running(ENDLESS_CMDLINE))
    from tests.support.specs import auth

    abort = vi.wait_task(vi.call(*GCM, "AbortCustomization_Task", {"vm": vm, "auth": auth()}))
    assert abort["state"] == "success", abort.get("error")
    assert abort["descriptionId"] == "vm.GuestCustomizationManager.abortCustomization"
    info = vi.wait_task(task, timeout=60)  # its script would run for an hour: the abort ended it
    wait_for(lambda: not running(ENDLESS_CMDLINE))  # and killed the script
    _assert_failure(server, vi, vm, info, "CustomizationFailed", None)
    assert "abort" in info["error"]["faultMessage"][0]["message"]
    assert (guest_root(server, vi, vm) / "etc/hostname").read_bytes() == hostname  # nothing was written
    again = customize(vi, vm, linux_spec("after01"))
    assert again["state"] == "success", again.get("error")


def test_cancel_task_of_a_running_customization(server: GoscServer, vi: ViClient) -> None:
    vm = clone_of(vi, "demo-ubuntu")
    _enable_scripts(server, vi, vm)
    task = vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, linux_spec("cancel01", script=ENDLESS_SCRIPT)))
    assert vi.get("Task", task["value"], "info")["cancelable"] is True
    wait_for(lambda: _status(vi, vm) == "TOOLSDEPLOYPKG_RUNNING")
    wait_for(lambda: running(ENDLESS_CMDLINE))
    assert vi.call("Task", task["value"], "CancelTask") is None
    info = vi.wait_task(task, timeout=60)  # its script would run for an hour: the cancel ended it
    wait_for(lambda: not running(ENDLESS_CMDLINE))  # and killed the script
    assert info["state"] == "error" and info["cancelled"] is True and info["cancelable"] is False
    assert info["error"]["_typeName"] == "RequestCanceled"
    f = vi.raw("POST", f"Task/{task['value']}/CancelTask").json()
    assert f["_typeName"] == "InvalidState"
    assert (
        vi.get("VirtualMachine", vm["value"], "guest")["customizationInfo"]["customizationStatus"]
        == "TOOLSDEPLOYPKG_FAILED"
    )
    done = vi.wait_task(vi.call("VirtualMachine", vm["value"], "PowerOffVM_Task"))
    assert done["cancelable"] is False
    f = vi.raw("POST", f"Task/{done['task']['value']}/CancelTask").json()
    assert f["_typeName"] == "InvalidState"


def test_scripts_run_inside_a_guest_that_has_a_shell(server: GoscServer, vi: ViClient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import uuid as uuidlib

    vm = clone_of(vi, "demo-ubuntu")
    _enable_scripts(server, vi, vm)
    root = guest_root(server, vi, vm)
    assert (root / "bin/sh").is_symlink()  # the demo tree's own shell (busybox), not the host's
    (root / "tmp").mkdir(exist_ok=True)
    proof = f"gosc-proof-{uuidlib.uuid4().hex}"
    script = f'#!/bin/sh\nif [ "$1" = postcustomization ]; then echo "$1 in $PWD" > /tmp/{proof}; fi\n'
    info = customize(vi, vm, linux_spec("inside01", script=script))
    assert info["state"] == "success", info.get("error")
    text = (root / "tmp" / proof).read_text()
    assert text.startswith("postcustomization in /var/run/vmware-imc/")  # the guest's own view
    assert not (Path("/tmp") / proof).exists()
