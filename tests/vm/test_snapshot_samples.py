"""The pyvmomi-community-samples snapshot scripts (vmware/pyvmomi-community-samples at
ec890d5, Apache-2.0, copied unchanged into tests/data/community-samples) run as a user runs
them against gosc; what they claim is read back through pyVmomi."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gosc.testing import Gosc
from tests.vm.helpers import clone_off, guest_root, unique

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "community-samples"


def sample(gosc: Gosc, script: str, *args: str) -> str:
    connection = ["-s", gosc.host, "-o", str(gosc.port), "-u", gosc.user, "-p", gosc.password, "-nossl"]
    r = subprocess.run(
        [sys.executable, str(SAMPLES / script), *connection, *args],
        cwd=SAMPLES,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, f"{script} {' '.join(args)}: {r.stderr.strip() or r.stdout.strip()}"
    return r.stdout


@pytest.fixture(scope="module")
def si(gosc: Gosc) -> Any:
    return gosc.service_instance


def test_create_snapshot(gosc: Gosc, si: Any) -> None:
    vm = clone_off(si, unique("sample-create"))
    out = sample(gosc, "create_snapshot.py", "--uuid", vm.config.instanceUuid, "--instance", "--name", "first")
    assert "Snapshot Completed." in out
    node = vm.snapshot.rootSnapshotList[0]
    assert node.name == "first" and vm.snapshot.currentSnapshot == node.snapshot


def test_snapshot_operations(gosc: Gosc, si: Any) -> None:
    vm = clone_off(si, unique("sample-ops"))
    root = guest_root(gosc, vm)
    hostname = (root / "etc/hostname").read_bytes()

    def ops(operation: str, name: str | None = None) -> str:
        return sample(
            gosc,
            "snapshot_operations.py",
            "--vm-name",
            vm.name,
            "--snapshot-operation",
            operation,
            *(["--snapshot-name", name] if name else []),
        )

    assert "doesn't have any snapshots" in ops("list_all")
    ops("create", "base")
    (root / "etc/hostname").write_bytes(b"changed\n")
    ops("create", "changed")
    listed = ops("list_all")
    assert "Name: base; Description: Test snapshot" in listed and "Name: changed;" in listed
    assert "State: poweredOff" in listed
    assert "Name: changed;" in ops("list_current")

    assert "Reverting to snapshot base" in ops("revert", "base")
    assert (root / "etc/hostname").read_bytes() == hostname
    assert "Name: base;" in ops("list_current")

    assert "Removing snapshot changed" in ops("remove", "changed")
    assert [n.name for n in vm.snapshot.rootSnapshotList] == ["base"]
    assert not vm.snapshot.rootSnapshotList[0].childSnapshotList
    ops("remove_all")
    assert vm.snapshot is None
