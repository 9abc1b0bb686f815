"""A real shell for the Linux demo trees: the host's static busybox, copied in.

Custom scripts run inside the guest (gosc.guest.sandbox), so a guest needs its own
``/bin/sh``.  The skeletons are package data without binaries; when a tree is made from
one, Debian's ``busybox-static`` (``/bin/busybox``, statically linked, so it needs
nothing else from the tree) is copied to ``bin/busybox`` and the applets a customization
script commonly uses are links to it, as busybox-based distributions ship them.
"""

from __future__ import annotations

import logging
import struct
from pathlib import Path

from ..guestpath import GuestRoot

log = logging.getLogger(__name__)

HOST_BUSYBOX = Path("/bin/busybox")
APPLETS = (
    "sh",
    "ash",
    "cat",
    "chmod",
    "cp",
    "cut",
    "date",
    "echo",
    "env",
    "false",
    "grep",
    "head",
    "hostname",
    "id",
    "ln",
    "ls",
    "mkdir",
    "mv",
    "printf",
    "ps",
    "pwd",
    "rm",
    "rmdir",
    "sed",
    "sleep",
    "sort",
    "tail",
    "tee",
    "test",
    "touch",
    "tr",
    "true",
    "uname",
    "wc",
)
_PT_INTERP = 3


def is_static_elf(path: Path) -> bool:
    """A 64-bit little-endian ELF without a program interpreter (no dynamic loader)."""
    try:
        with path.open("rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:6] != b"\x7fELF\x02\x01":
                return False
            (phoff,) = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
    except OSError:
        return False
    return all(struct.unpack_from("<I", table, i * phentsize)[0] != _PT_INTERP for i in range(phnum))


def install_shell(guest: GuestRoot, busybox: Path = HOST_BUSYBOX) -> bool:
    """Give the new tree ``guest`` /bin/busybox and its applet links; False (and a
    warning: such a guest cannot run custom scripts) when the host has no static busybox."""
    if not is_static_elf(busybox):
        log.warning("%s is not a static busybox (Debian's busybox-static): %s gets no shell", busybox, guest.path)
        return False
    guest.mkdir("/bin", 0o755, exist_ok=True)
    guest.write_atomic("/bin/busybox", busybox.read_bytes(), 0o755)
    for applet in APPLETS:
        if not guest.lexists(f"/bin/{applet}"):
            guest.symlink(f"/bin/{applet}", "busybox")
    return True
