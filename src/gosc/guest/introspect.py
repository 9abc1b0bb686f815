"""What a guest's tree says about its identity: host name and per-NIC addresses.

This is what VMware Tools reports into ``guest.hostName`` / ``guest.net`` for a guest
that is a directory tree: interfaces are ``sys/class/net/<if>/address`` in the tree,
addresses come from whichever network configuration the family uses.  Reading the
tree (not remembering the spec) keeps the report true after a restart or a hand edit.
"""

from __future__ import annotations

import configparser
import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml


def guest_info(root: Path) -> dict[str, Any]:
    nics = interfaces(root)
    by_name = {n["name"]: n for n in nics}
    by_mac = {n["mac"]: n for n in nics}
    for reader in (_netplan, _eni, _ifcfg, _keyfile, _networkd):
        for key, addrs, dhcp in reader(root):
            nic = by_mac.get(key.lower()) or by_name.get(key)
            if nic is not None and not nic["ipAddress"]:
                nic["ipAddress"] = addrs
                nic["dhcp"] = dhcp
    return {"hostName": host_name(root), "nics": nics}


def host_name(root: Path) -> str:
    if (root / "Windows").is_dir():
        return _windows_computer_name(root)
    for rel in ("etc/hostname", "etc/HOSTNAME"):
        p = root / rel
        if p.is_file():
            text = p.read_text(errors="replace").strip()
            if text:
                return text.splitlines()[0].strip()
    return ""


def _windows_computer_name(root: Path) -> str:
    """The name Windows setup gives the machine: ComputerName of the answer file that a
    customization left (setup applies it in the specialize pass)."""
    answer = root / "Windows/Panther/unattend.xml"
    if not answer.is_file():
        return ""
    m = re.search(r"<ComputerName>([^<]*)</ComputerName>", answer.read_text(errors="replace"))
    return m.group(1).strip() if m else ""


def interfaces(root: Path) -> list[dict[str, Any]]:
    base = root / "sys/class/net"
    out = []
    if base.is_dir():
        for d in sorted(base.iterdir()):
            addr = d / "address"
            if d.name != "lo" and addr.is_file():
                out.append({"name": d.name, "mac": addr.read_text().strip().lower(), "ipAddress": [], "dhcp": False})
    return out


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


def netplan_ethernets(root: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(MAC or interface name, settings) of every ethernet in the guest's netplan files."""
    for f in sorted((root / "etc/netplan").glob("*.yaml")) if (root / "etc/netplan").is_dir() else []:
        try:
            doc = yaml.safe_load(f.read_text()) or {}
        except yaml.YAMLError:
            continue
        for ident, eth in ((doc.get("network") or {}).get("ethernets") or {}).items():
            eth = eth or {}
            yield (eth.get("match") or {}).get("macaddress") or eth.get("set-name") or ident, eth


def _netplan(root: Path):  # type: ignore[no-untyped-def]
    for key, eth in netplan_ethernets(root):
        yield key, [str(a) for a in eth.get("addresses") or []], bool(eth.get("dhcp4"))


def _eni(root: Path):  # type: ignore[no-untyped-def]
    f = root / "etc/network/interfaces"
    if not f.is_file():
        return
    current: dict[str, Any] | None = None
    stanzas = []
    for line in f.read_text(errors="replace").splitlines():
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


def _shell_vars(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(errors="replace").splitlines():
        m = re.match(r"\s*([A-Za-z0-9_]+)=(.*)", line)
        if m:
            out[m.group(1)] = m.group(2).strip().strip("'\"")
    return out


def _ifcfg(root: Path):  # type: ignore[no-untyped-def]
    for d in ("etc/sysconfig/network-scripts", "etc/sysconfig/network"):
        base = root / d
        if not base.is_dir():
            continue
        for f in sorted(base.glob("ifcfg-*")):
            if f.name == "ifcfg-lo":
                continue
            v = _shell_vars(f)
            key = v.get("HWADDR") or v.get("DEVICE") or f.name.removeprefix("ifcfg-")
            addrs = []
            for suffix in ("", "0", "1", "2"):
                ip = v.get("IPADDR" + suffix)
                if ip:
                    addrs.append(_cidr(ip, v.get("PREFIX" + suffix) or v.get("NETMASK" + suffix)))
            for k, val in v.items():
                if k.startswith("IPV6ADDR") and val:
                    addrs.extend(val.split())
            yield key, addrs, v.get("BOOTPROTO", "").lower() == "dhcp"


def _ini(path: Path) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        cp.read_string(path.read_text(errors="replace"))
    except configparser.Error:
        pass
    return cp


def _keyfile(root: Path):  # type: ignore[no-untyped-def]
    base = root / "etc/NetworkManager/system-connections"
    for f in sorted(base.glob("*.nmconnection")) if base.is_dir() else []:
        cp = _ini(f)
        key = cp.get("ethernet", "mac-address", fallback=None) or cp.get("connection", "interface-name", fallback="")
        addrs = []
        for fam in ("ipv4", "ipv6"):
            if cp.has_section(fam):
                for k, val in cp.items(fam):
                    if re.fullmatch(r"address\d*", k):
                        addrs.append(val.split(",")[0].strip())
        yield key, addrs, cp.get("ipv4", "method", fallback="") == "auto"


def _networkd(root: Path):  # type: ignore[no-untyped-def]
    base = root / "etc/systemd/network"
    for f in sorted(base.glob("*.network")) if base.is_dir() else []:
        key, addrs, dhcp = "", [], False
        section = ""
        for line in f.read_text(errors="replace").splitlines():
            line = line.strip()
            if line.startswith("["):
                section = line.strip("[]")
            elif "=" in line and not line.startswith("#"):
                k, _, val = (s.strip() for s in line.partition("="))
                if section == "Match" and k == "MACAddress":
                    key = val
                elif section == "Match" and k == "Name" and not key:
                    key = val
                elif section in ("Network", "Address") and k == "Address":
                    addrs.append(val)
                elif section == "Network" and k == "DHCP":
                    dhcp = val in ("yes", "ipv4", "true")
        if key:
            yield key, addrs, dhcp
