"""Snapshots of live guests (netns backend) over VI/JSON: a snapshot freezes the guest's
overlay layers, a revert mounts them again under a fresh upper, a linked clone starts on
them, and layers nothing names any more are collected."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.netns.support import (
    GCM,
    guest_file,
    guest_hostname,
    leftovers,
    login,
    machine_links,
    netns_server,
    sweep,
)
from tests.support.server import GoscServer
from tests.support.specs import customize_body, fixed_ip, instant_clone_body, linux_spec
from tests.support.vijson import ViClient, ViFault

PREFIX = f"gs{os.getpid() % 100000}"


@pytest.fixture(scope="module")
def machine() -> set[str]:
    return machine_links()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, machine: set[str]) -> Iterator[tuple[GoscServer, ViClient]]:
    server = netns_server(tmp_path_factory.mktemp("netns-snap") / "data", PREFIX).start()
    vi = login(server)
    try:
        yield server, vi
    finally:
        vi.http.close()
        server.stop()
        sweep(PREFIX)


def vm_call(vi: ViClient, vm: dict[str, str], method: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    info = vi.wait_task(vi.call(vm["type"], vm["value"], method, body))
    assert info["state"] == "success", info
    return info


def customize(vi: ViClient, vm: dict[str, str], host: str, ip: str) -> None:
    spec = linux_spec(host, nics=[fixed_ip(ip)], tz=None)
    assert vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, spec)))["state"] == "success"


def layers(server: GoscServer, vi: ViClient, vm: dict[str, str]) -> list[str]:
    uuid = vi.get("VirtualMachine", vm["value"], "config")["instanceUuid"]
    return sorted(p.name for p in (server.data_dir / "guests" / uuid / "layers").iterdir())


def test_revert_a_live_guest_and_clone_its_snapshot(live: tuple[GoscServer, ViClient]) -> None:
    server, vi = live
    src = vi.find("DC0/vm/demo-ubuntu")
    assert src is not None
    vm = vm_call(vi, src, "InstantClone_Task", instant_clone_body("snap-live"))["result"]
    customize(vi, vm, "snapa01", "192.168.10.80")
    snap = vm_call(vi, vm, "CreateSnapshot_Task", {"name": "a", "memory": True, "quiesce": True})["result"]
    assert snap["type"] == "VirtualMachineSnapshot"
    info = vi.get("VirtualMachine", vm["value"], "snapshot")
    assert info["currentSnapshot"] == snap and info["rootSnapshotList"][0]["state"] == "poweredOn"
    assert info["rootSnapshotList"][0]["quiesced"] is True

    customize(vi, vm, "snapb01", "192.168.10.81")
    assert guest_hostname(PREFIX, vm) == "snapb01"
    network = guest_file(server, vi, PREFIX, vm, "etc/netplan")
    assert any("192.168.10.81" in p.read_text() for p in network.iterdir())

    vm_call(vi, snap, "RevertToSnapshot_Task", {})
    # With memory: the guest runs again, on the snapshot's tree (its name and network files).
    assert vi.get("VirtualMachine", vm["value"], "runtime")["powerState"] == "poweredOn"
    assert guest_file(server, vi, PREFIX, vm, "etc/hostname").read_text().strip() == "snapa01"
    network = guest_file(server, vi, PREFIX, vm, "etc/netplan")
    texts = [p.read_text() for p in network.iterdir()]
    assert any("192.168.10.80" in t for t in texts) and not any("192.168.10.81" in t for t in texts)

    # A linked clone reads the snapshot's layers.
    spec = {
        "_typeName": "VirtualMachineCloneSpec",
        "location": {"_typeName": "VirtualMachineRelocateSpec", "diskMoveType": "createNewChildDiskBacking"},
        "snapshot": snap,
        "powerOn": True,
        "template": False,
    }
    folder = vi.get("VirtualMachine", vm["value"], "parent")
    child = vm_call(vi, vm, "CloneVM_Task", {"folder": folder, "name": "snap-linked", "spec": spec})["result"]
    assert guest_file(server, vi, PREFIX, child, "etc/hostname").read_text().strip() == "snapa01"

    # Without its snapshots, the source keeps only the layers it (or its clone) still reads.
    before = layers(server, vi, vm)
    vm_call(vi, vm, "RemoveAllSnapshots_Task", {})
    assert vi.get("VirtualMachine", vm["value"], "snapshot") is None
    assert set(layers(server, vi, vm)) <= set(before)
    with pytest.raises(ViFault) as e:
        vi.call("VirtualMachine", vm["value"], "RevertToCurrentSnapshot_Task", {})
    assert e.value.body["_typeName"] == "NotFound"
    assert guest_file(server, vi, PREFIX, child, "etc/hostname").read_text().strip() == "snapa01"

    for v in (vm, child):
        vm_call(vi, v, "PowerOffVM_Task")
        vm_call(vi, v, "Destroy_Task")


def test_zz_server_stop_leaves_nothing(live: tuple[GoscServer, ViClient], machine: set[str]) -> None:
    server, vi = live
    vi.http.close()
    server.stop()
    assert leftovers(PREFIX, server.data_dir, machine) == {"netns": [], "processes": [], "mounts": [], "links": []}
    assert not any(Path(server.data_dir / "guests").glob("*/destroyed"))
