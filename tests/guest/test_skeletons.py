"""Guest skeletons: small, complete for the engine, NICs in VMware's PCI order."""

from __future__ import annotations

import os
import stat

import pytest

from gosc.guest.engine.distro import detect
from gosc.guest.skeletons import FAMILIES, NIC_NAMES, copy_skeleton, skeleton_dir

EXPECTED = {
    "ubuntu": "ubuntu",
    "debian": "debian",
    "centos7": "sysconfig",
    "rhel8": "sysconfig",
    "rhel9": "networkmanager",
    "sles15": "suse",
    "photon5": "photon",
}


def test_every_linux_family_has_a_skeleton():
    assert set(EXPECTED) <= set(FAMILIES)


@pytest.mark.parametrize("name, family", sorted(EXPECTED.items()))
def test_skeleton_is_small_and_complete(tmp_path, name, family):
    src = skeleton_dir(name)
    size = sum(p.stat().st_size for p in src.rglob("*") if p.is_file())
    assert size < 8192, f"{name} skeleton is {size} bytes"
    root = copy_skeleton(name, tmp_path / "r", ["00:50:56:AA:00:01", "00:50:56:aa:00:02"])
    assert detect(root).family == family
    for rel in ("etc/hostname", "etc/hosts", "etc/passwd", "etc/shadow", "etc/group", "etc/vmware-tools/tools.conf"):
        assert (root / rel).is_file(), rel
    assert stat.S_IMODE((root / "etc/shadow").stat().st_mode) == 0o640
    assert os.readlink(root / "etc/localtime").endswith(
        "zoneinfo/" + ("Etc/UTC" if family in ("ubuntu", "debian") else "UTC")
    )
    assert not (root / "skeleton.json").exists()
    nets = sorted(p.name for p in (root / "sys/class/net").iterdir())
    assert nets == sorted(NIC_NAMES[:2])
    assert (root / "sys/class/net/ens192/address").read_text() == "00:50:56:aa:00:01\n"
    assert (root / "sys/class/net/ens224/address").read_text() == "00:50:56:aa:00:02\n"


def test_copy_skeleton_refuses_non_empty_dest_and_unknown_family(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy/file").write_text("x")
    with pytest.raises(FileExistsError):
        copy_skeleton("debian", tmp_path / "busy", [])
    with pytest.raises(ValueError, match="no guest skeleton"):
        copy_skeleton("beos", tmp_path / "x", [])
    with pytest.raises(ValueError):
        copy_skeleton("../debian", tmp_path / "y", [])


def test_placeholder_nic_kept_without_macs(tmp_path):
    root = copy_skeleton("photon", tmp_path / "r", [])  # alias of photon5
    assert (root / "sys/class/net/ens192/address").read_text() == "00:50:56:00:00:01\n"
