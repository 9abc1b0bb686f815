"""Ubuntu: /etc/netplan/99-netcfg-vmware.yaml (mode 0600, as netplan requires).

Each interface is matched by MAC and renamed with ``set-name`` to the name it has in
the guest, so the file stays right even if udev naming changes.  Other netplan files
are moved aside (kept as ``*.BeforeVMwareCustomization``), because netplan merges
every file and an installer's or cloud-init's DHCP stanza for the same NIC would
otherwise mix into the customized one.
"""

from __future__ import annotations

from typing import Any

import yaml

from ..files import ChangeSet
from ..log import EngineLog
from .common import BACKUP_SUFFIX, HEADER
from .model import Iface, NetworkConfig

PATH = "/etc/netplan/99-netcfg-vmware.yaml"


def _ethernet(iface: Iface, net: NetworkConfig) -> dict[str, Any]:
    eth: dict[str, Any] = {"match": {"macaddress": iface.mac}, "set-name": iface.name}
    if not iface.onboot:
        eth["activation-mode"] = "manual"
    if iface.ipv4 == "dhcp":
        eth["dhcp4"] = True
        if net.dns_from_dhcp is False:
            eth["dhcp4-overrides"] = {"use-dns": False}
    elif iface.ipv4 != "as_is":  # AS_IS: say nothing about IPv4, other netplan files decide
        eth["dhcp4"] = False
    eth["dhcp6"] = iface.dhcp6
    if iface.dhcp6 and net.dns_from_dhcp is False:
        eth["dhcp6-overrides"] = {"use-dns": False}
    if iface.slaac or iface.dhcp6:
        eth["accept-ra"] = True
    addresses = ([iface.cidr4] if iface.cidr4 else []) + iface.ipv6_cidrs
    if addresses:
        eth["addresses"] = addresses
    routes: list[dict[str, Any]] = []
    for gw in (iface.gateway4, iface.gateway6):
        if gw:
            routes.append({"to": "default", "via": gw})
    for r in iface.routes:
        route: dict[str, Any] = {"to": r.to, "via": r.via}
        if r.metric is not None:
            route["metric"] = r.metric
        routes.append(route)
    if routes:
        eth["routes"] = routes
    ns: dict[str, Any] = {}
    if net.dns_suffixes:
        ns["search"] = list(net.dns_suffixes)
    if net.dns_servers:
        ns["addresses"] = list(net.dns_servers)
    if ns:
        eth["nameservers"] = ns
    return eth


def render(net: NetworkConfig, cs: ChangeSet, log: EngineLog) -> None:
    ethernets = {i.name: _ethernet(i, net) for i in net.ifaces if i.ipv4 != "as_is" or i.ipv6}
    doc = {"network": {"version": 2, "renderer": "networkd", "ethernets": ethernets}}
    body = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
    cs.write(PATH, f"# {HEADER}\n{body}", 0o600)
    for name in cs.guest.listdir("/etc/netplan"):
        guest = f"/etc/netplan/{name}"
        if not name.endswith(".yaml") or guest == PATH or cs.guest.is_symlink(guest):
            continue
        data = cs.read_bytes(guest)
        if data is not None:
            cs.write(guest + BACKUP_SUFFIX, data, 0o600)
            cs.remove(guest)
            log.info(f"moved {guest} aside to {guest}{BACKUP_SUFFIX}: netplan would merge it")
    log.info(f"wrote {PATH} for {', '.join(ethernets) or 'no interfaces'}")
