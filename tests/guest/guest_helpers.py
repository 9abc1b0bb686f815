"""Shared constants and helpers for the guest-side tests."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from tests.support.paths import CONFORMANCE

HERE = Path(__file__).parent
STATIC_2NIC = CONFORMANCE / "cust-static-2nic.cfg"
DHCP_2NIC = CONFORMANCE / "cust-dhcp-2nic.cfg"


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry of a tree: content hash, mode, link target - to prove nothing changed."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = os.lstat(p)
            rel = str(p.relative_to(root))
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                out[rel] = ("file", stat.S_IMODE(st.st_mode), hashlib.sha256(p.read_bytes()).hexdigest())
            else:
                out[rel] = ("dir", stat.S_IMODE(st.st_mode))
    return out
