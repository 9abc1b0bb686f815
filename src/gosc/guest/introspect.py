"""What a guest's tree says about its identity: host name and per-NIC addresses.

This is what VMware Tools reports into ``guest.hostName`` / ``guest.net`` for a guest
that is a directory tree: interfaces are ``sys/class/net/<if>/address`` in the tree,
addresses come from whichever network configuration the family uses.  Reading the
tree (not remembering the spec) keeps the report true after a restart or a hand edit.
Every read goes through gosc.guest.guestpath: ``etc/hostname -> /etc/x`` is the guest's
own ``/etc/x``, never a host file.
"""

from __future__ import annotations

import configparser
import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .guestpath import GuestRoot, opened


def guest_info(root: Path | GuestRoot) -> dict[str, Any]:
    with opened(root) as guest:
        nics = interfaces(guest)
        by_name = {n["name"]: n for n in nics}
        by_mac = {n["mac"]: n for n in nics}
        for reader in (_netplan, _eni, _ifcfg, _keyfile, _networkd):
            for key, addrs, dhcp in reader(guest):
                nic = by_mac.get(key.lower()) or by_name.get(key)
                if nic is not None and not nic["ipAddress"]:
                    nic["ipAddress"] = addrs
                    nic["dhcp"] = dhcp
        return {"hostName": host_name(guest), "nics": nics}


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


def interfaces(root: Path | GuestRoot) -> list[dict[str, Any]]:
    out = []
    with opened(root) as guest:
        for name in guest.listdir("/sys/class/net"):
            mac = guest.read_text(f"/sys/class/net/{name}/address") if name != "lo" else None
            if mac is not None:
                out.append({"name": name, "mac": mac.strip().lower(), "ipAddress": [], "dhcp": False})
    return out


def files(guest: GuestRoot, directory: str, suffix: str = "", prefix: str = "") -> Iterator[tuple[str, str]]:
    """(name, text) of the regular files in a guest directory, sorted, by name pattern."""
    for name in guest.listdir(directory):
        if name.startswith(prefix) and name.endswith(suffix) and not name.startswith("."):  # as glob("*")
            text = guest.read_text(f"{directory}/{name}")
            if text is not None:
                yield name, text


def _cidr(address: str, mask: str | int | None) -> str:
    if "/" in address:
        return address
    if mask is None or mask == "":
        return address
    try:
        prefix = int(mask)
    except ValueError:
        prefix = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
    return f"{address}/{prefix}"


def netplan_ethernets(guest: GuestRoot) -> Iterator[tuple[str, dict[str, Any]]]:
    """(MAC or interface name, settings) of every ethernet in the guest's netplan files."""
    for _, text in files(guest, "/etc/netplan", ".yaml"):
        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            continue
        if not isinstance(doc, dict):
            continue
        for ident, eth in ((doc.get("network") or {}).get("ethernets") or {}).items():
            eth = eth or {}
            yield (eth.get("match") or {}).get("macaddress") or eth.get("set-name") or ident, eth


def _netplan(guest: GuestRoot):  # type: ignore[no-untyped-def]
    for key, eth in netplan_ethernets(guest):
        yield key, [str(a) for a in eth.get("addresses") or []], bool(eth.get("dhcp4"))


def _eni(guest: GuestRoot):  # type: ignore[no-untyped-def]
    text = guest.read_text("/etc/network/interfaces")
    if text is None:
        return
    current: dict[str, Any] | None = None
    stanzas = []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "iface" and len(words) >= 4:
            current = {"name": words[1], "family": words[2], "method": words[3], "address": None, "netmask": None}
            stanzas.append(current)
        elif current is not None and words[0] in ("address", "netmask") and len(words) > 1:
            current[words[0]] = words[1]
    by_if: dict[str, tuple[list[str], bool]] = {}
    for s in stanzas:
        addrs, dhcp = by_if.setdefault(s["name"], ([], False))
        if s["address"]:
            addrs.append(_cidr(s["address"], s["netmask"]))
        by_if[s["name"]] = (addrs, dhcp or (s["family"] == "inet" and s["method"] == "dhcp"))
    for name, (addrs, dhcp) in by_if.items():
        yield name, addrs, dhcp


def shell_vars(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s*([A-Za-z0-9_]+)=(.*)", line)
        if m:
            out[m.group(1)] = m.group(2).strip().strip("'\"")
    return out


def _ifcfg(guest: GuestRoot):  # type: ignore[no-untyped-def]
    for d in ("/etc/sysconfig/network-scripts", "/etc/sysconfig/network"):
        for name, text in files(guest, d, prefix="ifcfg-"):
            if name == "ifcfg-lo":
                continue
            v = shell_vars(text)
            key = v.get("HWADDR") or v.get("DEVICE") or name.removeprefix("ifcfg-")
            addrs = []
            for suffix in ("", "0", "1", "2"):
                ip = v.get("IPADDR" + suffix)
                if ip:
                    addrs.append(_cidr(ip, v.get("PREFIX" + suffix) or v.get("NETMASK" + suffix)))
            for k, val in v.items():
                if k.startswith("IPV6ADDR") and val:
                    addrs.extend(val.split())
            yield key, addrs, v.get("BOOTPROTO", "").lower() == "dhcp"


def _ini(text: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        cp.read_string(text)
    except configparser.Error:
        pass
    return cp


def _keyfile(guest: GuestRoot):  # type: ignore[no-untyped-def]
    for _, text in files(guest, "/etc/NetworkManager/system-connections", ".nmconnection"):
        cp = _ini(text)
        key = cp.get("ethernet", "mac-address", fallback=None) or cp.get("connection", "interface-name", fallback="")
        addrs = []
        for fam in ("ipv4", "ipv6"):
            if cp.has_section(fam):
                for k, val in cp.items(fam):
                    if re.fullmatch(r"address\d*", k):
                        addrs.append(val.split(",")[0].strip())
        yield key, addrs, cp.get("ipv4", "method", fallback="") == "auto"


def _networkd(guest: GuestRoot):  # type: ignore[no-untyped-def]
    for _, text in files(guest, "/etc/systemd/network", ".network"):
        key, addrs, dhcp = "", [], False
        section = ""
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("["):
                section = line.strip("[]")
            elif "=" in line and not line.startswith("#"):
                k, _, val = (s.strip() for s in line.partition("="))
                if (section == "Match" and k == "MACAddress") or (section == "Match" and k == "Name" and not key):
                    key = val
                elif section in ("Network", "Address") and k == "Address":
                    addrs.append(val)
                elif section == "Network" and k == "DHCP":
                    dhcp = val in ("yes", "ipv4", "true")
        if key:
            yield key, addrs, dhcp
