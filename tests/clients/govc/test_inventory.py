"""govc 0.24's read commands against gosc and vcsim 0.24: each exits 0, does not panic, and
prints what vCenter would (names, values), checked line by line."""

from __future__ import annotations

import re

import pytest

from tests.clients.govc.run import collect, govc, lines
from tests.clients.targets import Target


def field(out: str, name: str) -> str:
    """The value of ``Name:  value`` in govc's info listings."""
    m = re.search(rf"^[ \t]*{re.escape(name)}:[ \t]*(.*)$", out, re.M)
    assert m is not None, f"no {name!r} line in govc's output"
    return m[1].strip()


@pytest.mark.compat("govc", "about")
def test_about(target: Target) -> None:
    out = govc(target, "about")
    assert field(out, "API type") == "VirtualCenter"
    assert field(out, "Vendor") == "VMware, Inc."
    assert field(out, "Product ID") == "vpx"
    assert re.fullmatch(r"\d+\.\d+(\.\d+)*", field(out, "API version"))


@pytest.mark.compat("govc", "ls")
def test_ls(target: Target) -> None:
    dc = f"/{target.datacenter}"
    assert lines(govc(target, "ls")) == [f"{dc}/vm", f"{dc}/host", f"{dc}/datastore", f"{dc}/network"]
    assert f"{dc}/vm/{target.vm}" in lines(govc(target, "ls", f"{dc}/vm"))
    assert f"{dc}/host/{target.esx}" in lines(govc(target, "ls", f"{dc}/host"))


@pytest.mark.compat("govc", "find -type s")
def test_find_datastores(target: Target) -> None:
    found = lines(govc(target, "find", "/", "-type", "s"))
    assert len(found) == 1 and found[0].startswith(f"/{target.datacenter}/datastore/"), f"found {found}"
    # The VM's files are on it.
    assert field(govc(target, "vm.info", "-r", target.vm), "Storage") == found[0].rsplit("/", 1)[1]


@pytest.mark.compat("govc", "find -type n")
def test_find_networks(target: Target) -> None:
    found = lines(govc(target, "find", "/", "-type", "n"))
    assert f"/{target.datacenter}/network/{target.network}" in found, f"found {found}"


@pytest.mark.compat("govc", "find -type m")
def test_find_vms(target: Target) -> None:
    found = lines(govc(target, "find", "/", "-type", "m"))
    assert f"/{target.datacenter}/vm/{target.vm}" in found
    assert all(p.startswith(f"/{target.datacenter}/vm/") for p in found)


@pytest.mark.compat("govc", "datacenter.info")
def test_datacenter_info(target: Target) -> None:
    out = govc(target, "datacenter.info")
    assert field(out, "Name") == target.datacenter and field(out, "Path") == f"/{target.datacenter}"
    counts = {k: field(out, k) for k in ("Hosts", "Virtual Machines", "Networks", "Datastores")}
    vms = len(lines(govc(target, "find", "/", "-type", "m")))
    assert counts["Hosts"] == "1" and counts["Virtual Machines"] == str(vms), f"counts {counts}"
    assert int(counts["Networks"]) >= 1 and counts["Datastores"] == "1", f"counts {counts}"


@pytest.mark.compat("govc", "datastore.info")
def test_datastore_info(target: Target) -> None:
    out = govc(target, "datastore.info")
    name = lines(govc(target, "find", "/", "-type", "s"))[0].rsplit("/", 1)[1]
    assert field(out, "Name") == name
    capacity, free = field(out, "Capacity"), field(out, "Free")
    assert re.fullmatch(r"[\d.]+ [KMGT]B", capacity) and re.fullmatch(r"[\d.]+ [KMGT]B", free), out
    assert field(out, "URL")


@pytest.mark.compat("govc", "host.info")
def test_host_info(target: Target) -> None:
    out = govc(target, "host.info")
    assert field(out, "Name") == target.esx
    assert re.fullmatch(r"\d+ CPUs @ \d+MHz", field(out, "Logical CPUs")), out
    assert re.fullmatch(r"[1-9]\d*MB", field(out, "Memory")), out
    assert field(out, "State") == "connected"
    assert field(out, "Manufacturer") and field(out, "Processor type")


@pytest.mark.compat("govc", "pool.info")
def test_pool_info(target: Target) -> None:
    pool = f"/{target.datacenter}/host/{target.esx}/Resources"
    out = govc(target, "pool.info", pool)
    assert field(out, "Name") == "Resources" and field(out, "Path") == pool
    assert re.fullmatch(r"\w+ \(\d+\)", field(out, "CPU Shares")), out
    assert re.fullmatch(r"\d+MHz", field(out, "CPU Limit")) or field(out, "CPU Limit") == "-1MHz", out
    assert field(out, "Mem Usage").endswith("%)")


@pytest.mark.compat("govc", "device.ls")
def test_device_ls(target: Target) -> None:
    devices = {line.split()[0]: line.split()[1] for line in lines(govc(target, "device.ls", "-vm", target.vm))}
    kinds = set(devices.values())
    assert any(k.startswith("Virtual") and k.endswith("Controller") for k in kinds), f"no controller in {devices}"
    assert "VirtualDisk" in kinds, f"no VirtualDisk in {devices}"
    assert any(name.startswith("ethernet-") for name in devices), devices
    # The disk is on a controller, as govc's label (disk-<controller key>-<unit>) shows.
    assert any(re.fullmatch(r"disk-\d+-\d+", name) for name in devices), devices


@pytest.mark.compat("govc", "vm.info -r")
def test_vm_info(target: Target) -> None:
    out = govc(target, "vm.info", "-r", target.vm)
    assert field(out, "Name") == target.vm and field(out, "Path") == f"/{target.datacenter}/vm/{target.vm}"
    assert field(out, "Power state") == "poweredOn" and field(out, "Host") == target.esx
    assert re.fullmatch(r"[1-9]\d*MB", field(out, "Memory")) and re.fullmatch(r"\d+ vCPU\(s\)", field(out, "CPU"))
    storage, network = field(out, "Storage"), field(out, "Network")
    assert storage and network, f"Storage: {storage!r}, Network: {network!r}"


@pytest.mark.compat("govc", "vm.option.info")
def test_vm_option_info(target: Target) -> None:
    guest_id = collect(target, f"vm/{target.vm}", "config.guestId")["config.guestId"]
    out = lines(govc(target, "vm.option.info", "-vm", target.vm, guest_id))
    assert [line.split()[0] for line in out] == [guest_id]
    everything = lines(govc(target, "vm.option.info", "-vm", target.vm))
    assert len(everything) > 10 and "otherGuest" in {line.split()[0] for line in everything}


@pytest.mark.compat("govc", "events")
def test_events(target: Target) -> None:
    out = lines(govc(target, "events", f"vm/{target.vm}"))
    assert out, f"govc events printed no event for {target.vm}"
    assert all(re.match(r"\[.+\] \[\w+\] ", line) for line in out), out
    assert any(target.vm in line and "powered on" in line for line in out), f"no power-on event in {out}"


@pytest.mark.compat("govc", "tasks")
def test_tasks(target: Target) -> None:
    govc(target, "vm.power", "-off", target.power_vm)
    govc(target, "vm.power", "-on", target.power_vm)
    out = lines(govc(target, "tasks"))
    assert out[0].split()[:3] == ["Task", "Target", "Initiator"]
    # The two power tasks on the VM (named, or by its moId where the task has no entityName)
    # succeeded.
    moid = govc(target, "ls", "-i", f"vm/{target.power_vm}").strip().split(":")[-1]
    rows = [line.split() for line in out[1:] if {target.power_vm, moid} & set(line.split())]
    assert len(rows) >= 2 and all(r[-2] == "success" for r in rows[-2:]), out


@pytest.mark.compat("govc", "session.ls")
def test_session_ls(target: Target) -> None:
    out = lines(govc(target, "session.ls"))
    assert out[0].split() == ["Key", "Name", "Created", "Idle", "Host", "Agent"]
    mine = [line.split() for line in out[1:] if line.split()[1] == target.user]
    assert mine and all(row[-1] == "govc/0.24.0" for row in mine), out


@pytest.mark.compat("govc", "permissions.ls")
def test_permissions_ls(target: Target) -> None:
    out = lines(govc(target, "permissions.ls"))
    assert out[0].split() == ["Role", "Entity", "Principal", "Propagate"]
    rows = [line.split() for line in out[1:]]
    assert any(r[0] == "Admin" and r[1] == "/" and r[-1] == "Yes" for r in rows), out


@pytest.mark.compat("govc", "role.ls")
def test_role_ls(target: Target) -> None:
    roles = {line.split()[0] for line in lines(govc(target, "role.ls"))}
    assert {"Admin", "ReadOnly", "NoAccess"} <= roles


@pytest.mark.compat("govc", "object.collect")
def test_object_collect(target: Target) -> None:
    assert lines(govc(target, "object.collect", "-s", f"vm/{target.vm}", "name", "runtime.powerState")) == [
        target.vm,
        "poweredOn",
    ]
    props = collect(target, f"vm/{target.vm}")
    assert props["name"] == target.vm and props["config"]["Name"] == target.vm
    assert props["runtime"]["PowerState"] == "poweredOn"
    assert props["summary"]["Config"]["Name"] == target.vm


@pytest.mark.compat("govc", "object.collect: every VM property vcsim sets", target="gosc")
def test_object_collect_sets_every_vm_property_vcsim_sets(gosc_side: Target, vcsim: Target) -> None:
    """vcsim 0.24's VM sets these properties; a client may read any of them, so gosc sets them too."""
    theirs = {name for name, value in collect(vcsim, f"vm/{vcsim.vm}").items() if value not in (None, [], {}, "")}
    ours = {name for name, value in collect(gosc_side, f"vm/{gosc_side.vm}").items() if value not in (None, [], {}, "")}
    missing = sorted(theirs - ours)
    assert not missing, f"{len(missing)} VM properties vcsim sets are unset on gosc: {', '.join(missing)}"
