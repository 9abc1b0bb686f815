"""govc 0.24's VM commands against gosc and vcsim 0.24: reconfiguration, every power flag,
instant clone, clone, customization then power-on, the guest's IP, destroy.  Each checks the
VM's state afterwards through the property collector, as vCenter would report it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.clients.govc.run import collect, govc, lines
from tests.clients.targets import Target, wait_for

CLONE = "govc-clone"  # vm.clone makes it; vm.customize, the power-on and vm.ip use it
IDENTITY = {"name": "govc-cust01", "ip": "192.168.77.20", "netmask": "255.255.255.0", "gateway": "192.168.77.1"}


def prop(target: Target, vm: str, name: str) -> Any:
    return collect(target, f"vm/{vm}", name).get(name)


def extra_config(target: Target, vm: str) -> dict[str, str]:
    options = prop(target, vm, "config.extraConfig") or []
    if isinstance(options, dict):  # govc's JSON of an ArrayOfOptionValue
        options = options.get("OptionValue") or []
    return {o["Key"]: o["Value"] for o in options}


def made_by_clone(target: Target) -> None:
    found = lines(govc(target, "find", "/", "-type", "m", "-name", CLONE))
    assert found, f"{CLONE} is missing: vm.clone made none"


def ensure(target: Target, vm: str, state: str) -> None:
    """Bring the VM to ``state`` (poweredOn or poweredOff) with the plain power flags first."""
    if prop(target, vm, "runtime.powerState") != state:
        govc(target, "vm.power", "-on" if state == "poweredOn" else "-off", vm)
    assert prop(target, vm, "runtime.powerState") == state


@pytest.mark.compat("govc", "vm.change -e")
def test_vm_change_extra_config(target: Target) -> None:
    govc(target, "vm.change", "-vm", target.vm, "-e", "guestinfo.gosc.test=changed", "-annotation", "by govc")
    assert extra_config(target, target.vm).get("guestinfo.gosc.test") == "changed"
    assert prop(target, target.vm, "config.annotation") == "by govc"


@pytest.mark.compat("govc", "vm.power -r")
def test_power_reboot_guest(target: Target) -> None:
    ensure(target, target.power_vm, "poweredOn")
    boot = prop(target, target.power_vm, "runtime.bootTime")
    govc(target, "vm.power", "-r", target.power_vm)
    # RebootGuest returns at once; the guest then boots again and its tools come back.
    wait_for(lambda: prop(target, target.power_vm, "runtime.bootTime") != boot, "a new runtime.bootTime")
    assert prop(target, target.power_vm, "runtime.powerState") == "poweredOn"
    wait_for(lambda: prop(target, target.power_vm, "guest.toolsRunningStatus") == "guestToolsRunning", "tools running")


@pytest.mark.compat("govc", "vm.power -s")
def test_power_shutdown_guest(target: Target) -> None:
    ensure(target, target.power_vm, "poweredOn")
    govc(target, "vm.power", "-s", target.power_vm)
    wait_for(lambda: prop(target, target.power_vm, "runtime.powerState") == "poweredOff", "powered off by the guest")


@pytest.mark.compat("govc", "vm.power -off")
def test_power_off(target: Target) -> None:
    ensure(target, target.power_vm, "poweredOn")
    govc(target, "vm.power", "-off", target.power_vm)
    assert prop(target, target.power_vm, "runtime.powerState") == "poweredOff"


@pytest.mark.compat("govc", "vm.power -on")
def test_power_on(target: Target) -> None:
    ensure(target, target.power_vm, "poweredOff")
    govc(target, "vm.power", "-on", target.power_vm)
    assert prop(target, target.power_vm, "runtime.powerState") == "poweredOn"


@pytest.mark.compat("govc", "vm.power -suspend")
def test_power_suspend(target: Target) -> None:
    ensure(target, target.power_vm, "poweredOn")
    govc(target, "vm.power", "-suspend", target.power_vm)
    assert prop(target, target.power_vm, "runtime.powerState") == "suspended"
    govc(target, "vm.power", "-on", target.power_vm)  # a suspended VM resumes
    assert prop(target, target.power_vm, "runtime.powerState") == "poweredOn"


@pytest.mark.compat("govc", "vm.power -reset")
def test_power_reset(target: Target) -> None:
    ensure(target, target.power_vm, "poweredOn")
    boot = prop(target, target.power_vm, "runtime.bootTime")
    govc(target, "vm.power", "-reset", target.power_vm)
    assert prop(target, target.power_vm, "runtime.powerState") == "poweredOn"
    after = prop(target, target.power_vm, "runtime.bootTime")
    assert after is not None and after != boot, f"runtime.bootTime {boot} before the reset, {after} after"


@pytest.mark.compat("govc", "vm.instantclone -e")
def test_instant_clone_with_extra_config(target: Target) -> None:
    govc(target, "vm.instantclone", "-vm", target.vm, "-e", "guestinfo.gosc.role=web", "govc-instant")
    assert f"/{target.datacenter}/vm/govc-instant" in lines(govc(target, "ls", f"/{target.datacenter}/vm"))
    assert prop(target, "govc-instant", "runtime.powerState") == "poweredOn"
    assert extra_config(target, "govc-instant").get("guestinfo.gosc.role") == "web"


@pytest.mark.compat("govc", "vm.clone")
def test_clone(target: Target) -> None:
    govc(target, "vm.clone", "-vm", target.vm, "-on=false", CLONE)
    assert f"/{target.datacenter}/vm/{CLONE}" in lines(govc(target, "ls", f"/{target.datacenter}/vm"))
    assert prop(target, CLONE, "runtime.powerState") == "poweredOff"
    assert prop(target, CLONE, "config.template") is False
    assert prop(target, CLONE, "config.guestId") == prop(target, target.vm, "config.guestId")


@pytest.mark.compat("govc", "vm.customize, power-on")
def test_customize_then_power_on(target: Target) -> None:
    made_by_clone(target)
    assert prop(target, CLONE, "runtime.powerState") == "poweredOff", f"{CLONE} (made by vm.clone) is not off"
    i = IDENTITY
    govc(
        target,
        "vm.customize",
        "-vm",
        CLONE,
        "-name",
        i["name"],
        "-ip",
        i["ip"],
        "-netmask",
        i["netmask"],
        "-gateway",
        i["gateway"],
        "-domain",
        "gosc.test",
    )
    govc(target, "vm.power", "-on", CLONE)
    # The tools apply the staged customization at this boot; the guest then reports its identity.
    wait_for(lambda: prop(target, CLONE, "guest.hostName") == i["name"], f"guest.hostName {i['name']}")
    assert prop(target, CLONE, "guest.ipAddress") == i["ip"]


@pytest.mark.compat("govc", "vm.ip")
def test_vm_ip(target: Target) -> None:
    made_by_clone(target)
    assert prop(target, CLONE, "runtime.powerState") == "poweredOn", f"{CLONE} (customized) is not on"
    assert govc(target, "vm.ip", "-wait", "60s", CLONE).strip() == IDENTITY["ip"]


@pytest.mark.compat("govc", "vm.destroy")
def test_destroy(target: Target) -> None:
    assert prop(target, target.doomed_vm, "runtime.powerState") == "poweredOn"
    govc(target, "vm.destroy", target.doomed_vm)  # powers it off first
    assert f"/{target.datacenter}/vm/{target.doomed_vm}" not in lines(govc(target, "ls", f"/{target.datacenter}/vm"))
    assert govc(target, "find", "/", "-type", "m", "-name", target.doomed_vm).strip() == ""
