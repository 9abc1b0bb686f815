"""What a guest's tree says about its identity: host name and per-NIC addresses.

This is what VMware Tools reports into ``guest.hostName`` / ``guest.net`` for a guest
that is a directory tree: interfaces are ``sys/class/net/<if>/address`` in the tree,
addresses come from the network files of the family's format, read back by that
format's own reader (gosc.guest.engine.network, the model the engine renders).  Reading the
tree (not remembering the spec) keeps the report true after a restart or a hand edit.
Every read goes through gosc.guest.guestpath: ``etc/hostname -> /etc/x`` is the guest's
own ``/etc/x``, never a host file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engine import network
from .engine.network.model import Iface
from .guestpath import GuestRoot, opened


def guest_info(root: Path | GuestRoot) -> dict[str, Any]:
    """guest.info as the tools send it: host name and, per NIC, what its files configure."""
    with opened(root) as guest:
        nics = [
            {
                "name": nic.name,
                "mac": nic.mac,
                "ipAddress": nic.iface.addresses if nic.iface else [],
                "dhcp": bool(nic.iface and nic.iface.ipv4 == "dhcp"),
            }
            for nic in configured_nics(guest)
        ]
        return {"hostName": host_name(guest), "nics": nics}


@dataclass(frozen=True)
class ConfiguredNic:
    """A NIC of the guest (sys/class/net) and what its network files configure for it."""

    name: str
    mac: str
    iface: Iface | None  # None: no file of the family's format names it


def configured_nics(root: Path | GuestRoot) -> list[ConfiguredNic]:
    """Every NIC with its configuration, read by the family's own format reader."""
    with opened(root) as guest:
        ifaces = network.read(guest).ifaces
        out = []
        for name, mac in interfaces(guest):
            matching = [i for i in ifaces if (i.mac and i.mac == mac) or (not i.mac and i.name == name)]
            best = next((i for i in matching if i.addresses), None) or next(iter(matching), None)
            out.append(ConfiguredNic(name, mac, best))
        return out


def host_name(root: Path | GuestRoot) -> str:
    with opened(root) as guest:
        if guest.is_dir("/Windows"):
            return _windows_computer_name(guest)
        for path in ("/etc/hostname", "/etc/HOSTNAME"):
            text = (guest.read_text(path) or "").strip()
            if text:
                return text.splitlines()[0].strip()
    return ""


def _windows_computer_name(guest: GuestRoot) -> str:
    """The name Windows setup gives the machine: ComputerName of the answer file that a
    customization left (setup applies it in the specialize pass)."""
    m = re.search(r"<ComputerName>([^<]*)</ComputerName>", guest.read_text("/Windows/Panther/unattend.xml") or "")
    return m.group(1).strip() if m else ""


def interfaces(root: Path | GuestRoot) -> list[tuple[str, str]]:
    """(name, MAC in lower case) of the guest's NICs, lo left out, sorted by name."""
    out = []
    with opened(root) as guest:
        for name in guest.listdir("/sys/class/net"):
            mac = guest.read_text(f"/sys/class/net/{name}/address") if name != "lo" else None
            if mac is not None:
                out.append((name, mac.strip().lower()))
    return out
