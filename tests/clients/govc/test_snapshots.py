"""govc 0.24 ``snapshot.create|tree|revert|remove`` against gosc, each effect read back: the
tree govc prints, the current snapshot, and the guest tree a revert restores."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gosc.testing import Gosc
from tests.vm.helpers import clone_off, guest_root, unique

GOVC = Path(__file__).resolve().parents[3] / ".cache" / "bin" / "govc"


def govc(gosc: Gosc, *args: str) -> str:
    if not GOVC.is_file():
        pytest.fail(f"{GOVC} is missing: build it with `scripts/setup --with-debs`", pytrace=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVC_")}
    env.update(
        GOVC_URL=f"https://{gosc.host}:{gosc.port}/sdk",
        GOVC_USERNAME=gosc.user,
        GOVC_PASSWORD=gosc.password,
        GOVC_INSECURE="1",
        GOVC_PERSIST_SESSION="false",
    )
    r = subprocess.run([str(GOVC), *args], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "panic:" not in r.stderr, f"govc {' '.join(args)}: {r.stderr.strip()}"
    return r.stdout


@pytest.fixture(scope="module")
def si(gosc: Gosc) -> Any:
    return gosc.service_instance


def test_snapshot_create_tree_revert_remove(gosc: Gosc, si: Any) -> None:
    vm = clone_off(si, unique("govc-snap"))
    path = f"/DC0/vm/{vm.name}"
    root = guest_root(gosc, vm)
    hostname = (root / "etc/hostname").read_bytes()

    govc(gosc, "snapshot.create", "-vm", path, "-d", "first state", "-m=false", "one")
    (root / "etc/hostname").write_bytes(b"changed-by-the-guest\n")
    (root / "etc/new-file").write_bytes(b"made after one\n")
    govc(gosc, "snapshot.create", "-vm", path, "-m=false", "two")
    assert vm.snapshot.rootSnapshotList[0].description == "first state"
    one, two = vm.rootSnapshot[0]._moId, vm.snapshot.currentSnapshot._moId

    tree = govc(gosc, "snapshot.tree", "-vm", path, "-d", "-i")
    lines = [line.rstrip() for line in tree.splitlines() if line.strip()]
    # govc draws a child indented under its parent, and "." (you are here) under the current snapshot.
    assert lines == [
        f"[{one}]  one - first state",
        f"  [{two}]  two -",
        f"  [{two}]  . -",
    ]
    assert govc(gosc, "snapshot.tree", "-vm", path, "-C").strip() == "two"

    govc(gosc, "snapshot.revert", "-vm", path, "one")
    assert (root / "etc/hostname").read_bytes() == hostname and not (root / "etc/new-file").exists()
    assert govc(gosc, "snapshot.tree", "-vm", path, "-C").strip() == "one"
    (root / "etc/hostname").write_bytes(b"changed-again\n")
    govc(gosc, "snapshot.revert", "-vm", path)  # no name: the current snapshot
    assert (root / "etc/hostname").read_bytes() == hostname

    assert govc(gosc, "snapshot.tree", "-vm", path) == "one\n.\n  two\n"  # "." after one: one is current
    govc(gosc, "snapshot.remove", "-vm", path, "two")
    assert [s.name for s in vm.snapshot.rootSnapshotList] == ["one"] and not vm.snapshot.rootSnapshotList[
        0
    ].childSnapshotList
    govc(gosc, "snapshot.create", "-vm", path, "-m=false", "three")
    govc(gosc, "snapshot.remove", "-vm", path, "*")
    assert vm.snapshot is None
    assert govc(gosc, "snapshot.tree", "-vm", path).strip() == ""
