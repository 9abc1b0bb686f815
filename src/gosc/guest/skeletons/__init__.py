"""Small, honest guest trees to customize: one per supported family.

Each directory holds the files a fresh install of that distribution has and the
engine reads or rewrites (os-release, hostname, hosts, passwd/shadow/group, the
family's stock network files, tools.conf) - a few KB, no binaries.  A Linux tree gets
the host's static busybox as its ``/bin/sh`` when it is made (``shell.py``).  Conventions:

* accounts: ``root`` and ``vmuser`` (uid 1000), both with password ``VMware1!``
  (SHA-512 crypt, made with gosc.guest.shadow);
* NICs: ``sys/class/net/<if>/address`` as sysfs shows it (see
  gosc.guest.engine.interfaces); the skeleton ships ens192 = 00:50:56:00:00:01 and
  ``copy_skeleton`` rewrites it for the VM's MACs, named in VMware's PCI slot order;
* time zones: no zoneinfo database is shipped.  /etc/localtime points at
  /usr/share/zoneinfo/<tz> as on the real distribution (dangling inside the tree, as in
  a chroot without tzdata); the engine validates zone names against gosc's own IANA
  database (tzdata) when the tree lacks the file;
* ``skeleton.json`` (not copied) lists symlinks (``/etc/localtime``, a resolver's
  ``/etc/resolv.conf``) and file modes (``/etc/shadow`` 0640, netplan/NM 0600) that
  package data cannot carry.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ...formats.rules import NIC_NAMES
from ..guestpath import GuestRoot
from .shell import install_shell

__all__ = ["FAMILIES", "NIC_NAMES", "copy_skeleton", "skeleton_dir"]

HERE = Path(__file__).parent
# VMware's PCI slot order of vmxnet3/e1000e NICs as predictable interface names.
_ALIASES = {
    "ubuntu22.04": "ubuntu",
    "debian12": "debian",
    "centos": "centos7",
    "rhel7": "centos7",
    "sysconfig": "rhel8",
    "rhel": "rhel9",
    "networkmanager": "rhel9",
    "sles": "sles15",
    "suse": "sles15",
    "photon": "photon5",
}
_META = "skeleton.json"


def _families() -> tuple[str, ...]:
    return tuple(sorted(p.name for p in HERE.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))))


FAMILIES = _families()


def skeleton_dir(family: str) -> Path:
    name = _ALIASES.get(family, family)
    path = HERE / name
    if not name or "/" in name or not path.is_dir() or name.startswith(("_", ".")):
        raise ValueError(f"no guest skeleton for family {family!r}; have {', '.join(FAMILIES)}")
    return path


def _copy_file(src: str, dst: str) -> None:
    """A skeleton file, with an explicit mode (0755 if executable, else 0644; the meta file
    sets others) rather than the checkout's, which depends on the umask it was made with."""
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o755 if os.stat(src).st_mode & 0o100 else 0o644)


def copy_skeleton(family: str, dest: Path, macs: list[str]) -> Path:
    """Copy the family's skeleton to dest (must not exist or be empty) and give it NICs.

    ``macs`` become sys/class/net/ens192, ens224, ... in order; an empty list keeps the
    skeleton's placeholder NIC.  Returns dest.
    """
    src = skeleton_dir(family)
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty")
    if len(macs) > len(NIC_NAMES):
        raise ValueError(f"at most {len(NIC_NAMES)} NICs")
    shutil.copytree(
        src, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns(_META, "__pycache__"), copy_function=_copy_file
    )
    for d, _, _ in os.walk(dest):  # a checkout's modes follow its umask: a guest's do not
        os.chmod(d, 0o755)
    meta_path = src / _META
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    with GuestRoot(dest) as guest:  # the copy is a guest tree now: act inside it
        for rel, target in meta.get("links", {}).items():
            guest.mkdir(rel.rpartition("/")[0] or "/", parents=True, exist_ok=True)
            guest.unlink(rel, missing_ok=True)
            guest.symlink(rel, target)
        for rel, mode in meta.get("modes", {}).items():
            guest.chmod(rel, int(mode, 8))
        if guest.is_file("/etc/os-release"):  # a Linux tree: a shell of its own to run scripts in
            install_shell(guest)
            # and the world-writable sticky /tmp every install has (guest operations' temporary files)
            guest.mkdir("/tmp", 0o755, exist_ok=True)
            guest.chmod("/tmp", 0o1777)
        if macs:
            guest.rmtree("/sys/class/net")
            for name, mac in zip(NIC_NAMES, macs):
                guest.write_atomic(f"/sys/class/net/{name}/address", (mac.lower() + "\n").encode(), 0o644)
    return dest
