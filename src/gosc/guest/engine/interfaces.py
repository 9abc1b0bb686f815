"""Find the guest's interface name for each NIC MAC address.

Convention: a guest tree describes its network devices the way sysfs does on a running
Linux, ``<root>/sys/class/net/<ifname>/address`` holding the MAC (``aa:bb:..`` plus a
line end).  On a live guest that *is* sysfs; a rootfs guest (and every skeleton)
ships these small files, and the server rewrites them when it assigns MACs.  ``lo``
and devices without a hardware address are ignored.
"""

from __future__ import annotations

from pathlib import Path

from ...formats.rules import is_mac
from ..guestpath import GuestRoot, opened


def scan(root: Path | GuestRoot) -> dict[str, str]:
    """MAC (lower-case) -> interface name."""
    found: dict[str, str] = {}
    with opened(root) as guest:
        for dev in guest.listdir("/sys/class/net"):
            text = guest.read_text(f"/sys/class/net/{dev}/address") if dev != "lo" else None
            mac = (text or "").strip().lower()
            if is_mac(mac) and mac != "00:00:00:00:00:00":
                found.setdefault(mac, dev)
    return found
