"""Find the guest's interface name for each NIC MAC address.

Convention: a guest tree describes its network devices the way sysfs does on a running
Linux, ``<root>/sys/class/net/<ifname>/address`` holding the MAC (``aa:bb:..`` plus a
line end).  On a live guest that *is* sysfs; a rootfs guest (and every skeleton)
ships these small files, and the server rewrites them when it assigns MACs.  ``lo``
and devices without a hardware address are ignored.
"""

from __future__ import annotations

import re
from pathlib import Path

_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def scan(root: Path) -> dict[str, str]:
    """MAC (lower-case) -> interface name."""
    base = root / "sys/class/net"
    found: dict[str, str] = {}
    if not base.is_dir():
        return found
    for dev in sorted(base.iterdir()):
        addr_file = dev / "address"
        if dev.name == "lo" or not addr_file.is_file():
            continue
        mac = addr_file.read_text(encoding="ascii", errors="replace").strip().lower()
        if _MAC_RE.match(mac) and mac != "00:00:00:00:00:00":
            found.setdefault(mac, dev.name)
    return found
