"""Host "canary" files for the guest-path tests: things outside every guest tree that a
symlink in a guest tries to reach.  ``snapshot`` proves afterwards that nothing of them
was read into a guest, written, or deleted."""

from __future__ import annotations

import os
from pathlib import Path

CANARY_TEXT = b"HOST-CANARY-7f3a: this must never appear in a guest\n"


def make_canary(base: Path) -> Path:
    """A host directory with a file, a vmware-imc directory (what power-on empties) and a
    log directory; returns it."""
    host = base / "host-canary"
    (host / "vmware-imc" / "keep").mkdir(parents=True)
    (host / "vmware-imc" / "keep" / "cust.cfg").write_bytes(CANARY_TEXT)
    (host / "log" / "vmware-imc").mkdir(parents=True)
    (host / "secret").write_bytes(CANARY_TEXT)
    (host / "hostname").write_bytes(b"host-canary-name\n")
    return host


def snapshot(top: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry under ``top`` (symlinks not followed): mode and content."""
    out: dict[str, tuple[int, bytes | None]] = {".": (os.lstat(top).st_mode, None)}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = os.lstat(p)
            data = p.read_bytes() if p.is_file() and not p.is_symlink() else None
            out[str(p.relative_to(top))] = (st.st_mode, data)
    return out


def tree_bytes(root: Path) -> bytes:
    """All regular file content of a guest tree (symlinks not followed), to grep for the canary."""
    chunks = []
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            p = Path(dirpath) / name
            if p.is_file() and not p.is_symlink():
                chunks.append(p.read_bytes())
    return b"\n".join(chunks)
