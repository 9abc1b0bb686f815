"""Live guests (netns backend) end to end: a real server, real namespaces, real pings.

The module shares one server (prefix ``gt<pid>``, so a developer's own ``gosc serve``
is never touched); the last test stops it and checks that no namespace, link, mount or
process is left.  ``test_crash_recovery`` runs a second server and SIGKILLs it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.netns.support import (
    GCM,
    agent_pid,
    guest_file,
    guest_hostname,
    guest_pids,
    holder_pid,
    leftovers,
    login,
    machine_links,
    netns_server,
    owned_pids,
    ping,
    sh,
    sweep,
)
from tests.support.procs import ENDLESS_CMDLINE, ENDLESS_SCRIPT, running
from tests.support.server import GoscServer
from tests.support.specs import auth, customize_body, dhcp, fixed_ip, instant_clone_body, linux_spec
from tests.support.vijson import ViClient, ViFault
from tests.support.wait import wait_for

PREFIX = f"gt{os.getpid() % 100000}"
HOST_NS = f"{PREFIX}-host"
CLONES = 20


@pytest.fixture(scope="module")
def machine() -> set[str]:
    return machine_links()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, machine: set[str]) -> Iterator[tuple[GoscServer, ViClient]]:
    server = netns_server(tmp_path_factory.mktemp("netns") / "data", PREFIX).start()
    vi = login(server)
    try:
        yield server, vi
    finally:
        vi.http.close()
        server.stop()
        sweep(PREFIX)  # keeps the machine clean even when a test failed; test_zz_... checks it was not needed


def clone_of(vi: ViClient, source: str, name: str) -> dict[str, str]:
    src = vi.find(f"DC0/vm/{source}")
    info = vi.wait_task(vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body(name)))
    assert info["state"] == "success", info
    return info["result"]


def customize(vi: ViClient, vm: dict[str, str], spec: dict) -> dict:  # type: ignore[type-arg]
    return vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, spec)))


def guest(vi: ViClient, vm: dict[str, str]) -> dict:  # type: ignore[type-arg]
    return vi.get("VirtualMachine", vm["value"], "guest")


def first_mac(vi: ViClient, vm: dict[str, str]) -> str:
    """The first NIC's MAC (controllers and disks come first in a VM's device list, as on vCenter)."""
    devices = vi.get("VirtualMachine", vm["value"], "config")["hardware"]["device"]
    return str(next(d["macAddress"] for d in devices if "macAddress" in d))


def test_a_powered_on_guest_is_namespaces_with_its_nic_and_agent(live: tuple[GoscServer, ViClient]) -> None:
    server, vi = live
    vm = vi.find("DC0/vm/demo-ubuntu")
    g = guest(vi, vm)
    assert g["toolsRunningStatus"] == "guestToolsRunning"
    mac = first_mac(vi, vm)
    link = sh("ip", "-n", f"{PREFIX}-{vm['value']}", "-j", "link", "show", "ens192").stdout
    assert mac in link
    assert guest_hostname(PREFIX, vm) == "ubuntu"
    assert agent_pid(PREFIX, vm) != os.getpid()
    # The tree is the guest's / view: its files, through its mount namespace.
    assert "Ubuntu" in guest_file(server, vi, PREFIX, vm, "etc/os-release").read_text()
    # On the machine the guest's root is only an empty mount point.
    uuid = vi.get("VirtualMachine", vm["value"], "config")["instanceUuid"]
    assert not any((server.data_dir / "guests" / uuid / "root").iterdir())
    assert "br0" in sh("ip", "-n", HOST_NS, "-br", "link").stdout
    # A program inside the guest's network namespace reaches the host through the agent.
    r = sh(
        "ip",
        "netns",
        "exec",
        f"{PREFIX}-{vm['value']}",
        sys.executable,
        "-m",
        "gosc.cli",
        "rpctool",
        "--vm-uuid",
        uuid,
        "info-set guestinfo.from.guest hello",
    )
    assert r.returncode == 0, r.stderr
    extra = {o["key"]: o["value"]["_value"] for o in vi.get("VirtualMachine", vm["value"], "config")["extraConfig"]}
    assert extra["guestinfo.from.guest"] == "hello"
    # ... and only there: the socket lives in the guest's network namespace.
    outside = subprocess.run(
        [sys.executable, "-m", "gosc.cli", "rpctool", "--vm-uuid", uuid, "info-get guestinfo.from.guest"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert outside.returncode == 2


def test_twenty_parallel_instant_clones_customized_and_pinged(live: tuple[GoscServer, ViClient]) -> None:
    server, vi = live
    src = vi.find("DC0/vm/demo-ubuntu")

    def one(i: int) -> dict[str, str]:
        c = ViClient(server.url, client=vi.http)
        c.session = vi.session
        task = c.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body(f"live-{i:02d}"))
        info = c.wait_task(task)
        assert info["state"] == "success", info
        vm = info["result"]
        g = guest(c, vm)
        assert g["toolsRunningStatus"] == "guestToolsRunning" and g["net"][0]["connected"] is False
        spec = linux_spec(f"live{i:02d}", nics=[fixed_ip(f"192.168.10.{30 + i}", gateway="192.168.10.1")], tz=None)
        done = customize(c, vm, spec)
        assert done["state"] == "success", done.get("error")
        return vm

    with ThreadPoolExecutor(CLONES) as pool:
        clones = list(pool.map(one, range(CLONES)))
    for i, vm in enumerate(clones):
        ip = f"192.168.10.{30 + i}"
        assert ping(HOST_NS, ip), f"live-{i:02d} does not answer at {ip}"
        assert guest_hostname(PREFIX, vm) == f"live{i:02d}"
        g = guest(vi, vm)
        assert g["hostName"] == f"live{i:02d}" and g["ipAddress"] == ip
        assert g["net"][0]["connected"] is True and g["net"][0]["ipAddress"] == [ip]
    # guest.net comes from the live namespace: an address added by hand shows up.
    sh("ip", "-n", f"{PREFIX}-{clones[0]['value']}", "addr", "add", "192.168.10.250/24", "dev", "ens192")
    wait_for(lambda: "192.168.10.250" in guest(vi, clones[0])["net"][0]["ipAddress"])
    # The source is untouched by its clones: same name, no address of theirs.
    assert guest_hostname(PREFIX, src) == "ubuntu"


def test_dhcp_clone_gets_a_lease_from_start_guest_network(live: tuple[GoscServer, ViClient]) -> None:
    _, vi = live
    vm = clone_of(vi, "demo-ubuntu", "live-dhcp")
    host_end = f"v{vm['value'].rsplit('-', 1)[1]}-0"
    assert "DOWN" in sh("ip", "-n", HOST_NS, "-br", "link", "show", host_end).stdout  # disconnected clone
    assert customize(vi, vm, linux_spec("dhcp01", nics=[dhcp()], tz=None))["state"] == "success"
    wait_for(lambda: "DOWN" not in sh("ip", "-n", HOST_NS, "-br", "link", "show", host_end).stdout)
    info = vi.wait_task(vi.call(*GCM, "StartGuestNetwork_Task", {"vm": vm, "auth": auth()}))
    assert info["state"] == "success", info.get("error")
    g = guest(vi, vm)
    ip = g["ipAddress"]
    assert ip and ip.startswith("192.168.10.") and 128 <= int(ip.rsplit(".", 1)[1]) <= 222
    assert g["net"][0]["ipConfig"]["ipAddress"][0]["origin"] == "dhcp"
    assert ping(HOST_NS, ip)
    leases = (live[0].data_dir / "netns" / "br0.leases").read_text()
    mac = first_mac(vi, vm)
    assert ip in leases and mac in leases


def test_killed_agent_means_tools_not_running_until_restarted(live: tuple[GoscServer, ViClient]) -> None:
    server, vi = live
    vm = clone_of(vi, "demo-ubuntu", "live-kill")
    os.kill(agent_pid(PREFIX, vm), signal.SIGKILL)
    wait_for(lambda: guest(vi, vm)["toolsRunningStatus"] == "guestToolsNotRunning")
    with pytest.raises(ViFault) as e:
        vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, linux_spec("never")))
    assert e.value.type_name == "InvalidState"
    # Restarting the agent in the guest (as one restarts vmtoolsd) brings the tools back.
    holder = holder_pid(PREFIX, vm)
    cfg = vi.get("VirtualMachine", vm["value"], "config")
    root = server.data_dir / "guests" / cfg["instanceUuid"] / "root"
    channel = server.data_dir / "netns" / f"{vm['value']}.tools.sock"
    # As docs/netns.md says: the same sandbox, through gosc.guest.runtime, connected to the VM's channel.
    restarted = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gosc.guest.runtime",
            "--holder",
            str(holder),
            "--root",
            str(root),
            "--vm-id",
            cfg["instanceUuid"],
            "--connect",
            str(channel),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, GOSC_NETNS_OWNER=PREFIX),
    )
    wait_for(lambda: guest(vi, vm)["toolsRunningStatus"] == "guestToolsRunning")
    info = vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, linux_spec("revived", tz=None))))
    assert info["state"] == "success", info.get("error")
    assert guest_hostname(PREFIX, vm) == "revived"
    # A power cycle starts the guest (and its tools) again too.
    assert vi.wait_task(vi.call("VirtualMachine", vm["value"], "PowerOffVM_Task"))["state"] == "success"
    assert guest_pids(PREFIX, vm) == []
    assert vi.wait_task(vi.call("VirtualMachine", vm["value"], "PowerOnVM_Task", {}))["state"] == "success"
    assert guest(vi, vm)["toolsRunningStatus"] == "guestToolsRunning"
    spec = linux_spec("back01", nics=[fixed_ip("192.168.10.60", gateway="192.168.10.1")], tz=None)
    assert customize(vi, vm, spec)["state"] == "success"
    assert ping(HOST_NS, "192.168.10.60") and guest_hostname(PREFIX, vm) == "back01"
    # Files and live state agree after another power cycle: the guest boots its config.
    vi.wait_task(vi.call("VirtualMachine", vm["value"], "PowerOffVM_Task"))
    vi.wait_task(vi.call("VirtualMachine", vm["value"], "PowerOnVM_Task", {}))
    assert ping(HOST_NS, "192.168.10.60") and guest_hostname(PREFIX, vm) == "back01"
    assert restarted.wait(10) is not None  # the hand-started agent ended with the guest's power off


def test_abort_ends_a_slow_customization(live: tuple[GoscServer, ViClient]) -> None:
    server, vi = live
    vm = clone_of(vi, "demo-ubuntu", "live-abort")
    conf = guest_file(server, vi, PREFIX, vm, "etc/vmware-tools/tools.conf")
    conf.write_text("[deployPkg]\nenable-custom-scripts = true\n")
    slow = linux_spec("slow01", script=ENDLESS_SCRIPT, tz=None)
    task = vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, slow))
    wait_for(
        lambda: (guest(vi, vm).get("customizationInfo") or {}).get("customizationStatus") == "TOOLSDEPLOYPKG_RUNNING"
    )
    wait_for(lambda: running(ENDLESS_CMDLINE))
    abort = vi.wait_task(vi.call(*GCM, "AbortCustomization_Task", {"vm": vm, "auth": auth()}))
    assert abort["state"] == "success", abort.get("error")
    info = vi.wait_task(task, timeout=60)  # its script would run for an hour: the abort ended it
    assert info["state"] == "error" and info["error"]["_typeName"] == "CustomizationFault"
    assert "abort" in info["error"]["faultMessage"][0]["message"]
    events = vi.call(
        "EventManager",
        "EventManager",
        "QueryEvents",
        {
            "filter": {
                "_typeName": "EventFilterSpec",
                "entity": {"_typeName": "EventFilterSpecByEntity", "entity": vm, "recursion": "self"},
            }
        },
    )
    failed = [
        e
        for e in events
        if e["_typeName"].startswith("Customization") and e["_typeName"] != "CustomizationStartedEvent"
    ]
    assert failed and failed[0]["_typeName"] in ("CustomizationFailed", "CustomizationUnknownFailure")
    assert guest(vi, vm)["customizationInfo"]["customizationStatus"] == "TOOLSDEPLOYPKG_FAILED"
    # The script is gone, the guest is unchanged, and a new customization runs.
    wait_for(lambda: not running(ENDLESS_CMDLINE))
    assert guest_hostname(PREFIX, vm) == "ubuntu"
    spec = linux_spec("after01", nics=[fixed_ip("192.168.10.61", gateway="192.168.10.1")], tz=None)
    assert customize(vi, vm, spec)["state"] == "success"
    assert ping(HOST_NS, "192.168.10.61") and guest_hostname(PREFIX, vm) == "after01"


def test_clone_of_a_customized_clone_and_destroy(live: tuple[GoscServer, ViClient]) -> None:
    server, vi = live
    parent = clone_of(vi, "demo-ubuntu", "live-parent")
    assert (
        customize(vi, parent, linux_spec("parent01", nics=[fixed_ip("192.168.10.70")], tz=None))["state"] == "success"
    )
    child = clone_of(vi, "live-parent", "live-child")
    # The child reads its parent's layers: same files, until its own customization.
    assert guest_file(server, vi, PREFIX, child, "etc/hostname").read_text().strip() == "parent01"
    assert customize(vi, child, linux_spec("child01", nics=[fixed_ip("192.168.10.71")], tz=None))["state"] == "success"
    assert ping(HOST_NS, "192.168.10.70") and ping(HOST_NS, "192.168.10.71")
    assert guest_file(server, vi, PREFIX, parent, "etc/hostname").read_text().strip() == "parent01"
    # Destroying the parent keeps the layers its child reads.
    vi.wait_task(vi.call("VirtualMachine", parent["value"], "PowerOffVM_Task"))
    assert vi.wait_task(vi.call("VirtualMachine", parent["value"], "Destroy_Task"))["state"] == "success"
    vi.wait_task(vi.call("VirtualMachine", child["value"], "PowerOffVM_Task"))
    vi.wait_task(vi.call("VirtualMachine", child["value"], "PowerOnVM_Task", {}))
    assert guest_hostname(PREFIX, child) == "child01" and ping(HOST_NS, "192.168.10.71")
    uuid = vi.get("VirtualMachine", child["value"], "config")["instanceUuid"]
    vi.wait_task(vi.call("VirtualMachine", child["value"], "PowerOffVM_Task"))
    assert vi.wait_task(vi.call("VirtualMachine", child["value"], "Destroy_Task"))["state"] == "success"
    assert not (server.data_dir / "guests" / uuid).exists()


def test_zz_server_stop_leaves_nothing(live: tuple[GoscServer, ViClient], machine: set[str]) -> None:
    server, vi = live
    assert sh("ip", "netns", "pids", HOST_NS).stdout.strip()  # dnsmasq runs there
    vi.http.close()
    server.stop()
    assert leftovers(PREFIX, server.data_dir, machine) == {"netns": [], "processes": [], "mounts": [], "links": []}


def test_crash_recovery(tmp_path: Path, machine: set[str]) -> None:
    prefix = f"gc{os.getpid() % 100000}"
    data = tmp_path / "data"
    server = netns_server(data, prefix).start()
    vi = login(server)
    try:
        vm = vi.find("DC0/vm/demo-debian")
        assert customize(vi, vm, linux_spec("deb01", nics=[fixed_ip("192.168.10.80")], tz=None))["state"] == "success"
        vi.http.close()
        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGKILL)  # the server alone: no shutdown code runs
        server.proc.wait(10)
        server.proc = None
        # Its guests' processes die with it; the named namespaces outlive it.
        wait_for(lambda: not owned_pids(prefix))
        assert any(n.startswith(prefix) for n in sh("ip", "netns", "list").stdout.split())
        server = netns_server(data, prefix, demo=False).start()  # recovery, then the VMs power on again
        vi = login(server)
        assert ping(f"{prefix}-host", "192.168.10.80") and guest_hostname(prefix, vm) == "deb01"
        assert guest(vi, vm)["toolsRunningStatus"] == "guestToolsRunning"
    finally:
        vi.http.close()
        server.stop()
        left = leftovers(prefix, data, machine)
        sweep(prefix)
    assert left == {"netns": [], "processes": [], "mounts": [], "links": []}
