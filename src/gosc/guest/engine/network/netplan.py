"""Ubuntu: /etc/netplan/99-netcfg-vmware.yaml (mode 0600, as netplan requires).

DNS goes on the model's DNS interface only (``nameservers``); ``read`` gives the model
back from every netplan file (the guest's own too, for guest.net).

Each interface is matched by MAC and renamed with ``set-name`` to the name it has in
the guest, so the file stays right even if udev naming changes.  Other netplan files
are moved aside (kept as ``*.BeforeVMwareCustomization``), because netplan merges
every file and an installer's or cloud-init's DHCP stanza for the same NIC would
otherwise mix into the customized one.
"""

from __future__ import annotations

from typing import Any

import yaml

from ....formats import yamlc
from ...guestpath import GuestRoot
from ..files import ChangeSet
from ..log import EngineLog
from .common import BACKUP_SUFFIX, HEADER, add_cidr, assign_routes, blank, files, finish, route
from .model import Iface, NetworkConfig, Route

PATH = "/etc/netplan/99-netcfg-vmware.yaml"


def ethernet(iface: Iface, net: NetworkConfig) -> dict[str, Any]:
    """One interface in netplan's YAML, which is also cloud-init's network-config version 2
    (gosc.guest.engine.nocloud writes seeds with it)."""
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
    if iface.dns and net.dns_suffixes:
        ns["search"] = list(net.dns_suffixes)
    if iface.dns and net.dns_servers:
        ns["addresses"] = list(net.dns_servers)
    if ns:
        eth["nameservers"] = ns
    return eth


def render(net: NetworkConfig, cs: ChangeSet, log: EngineLog) -> None:
    ethernets = {i.name: ethernet(i, net) for i in net.ifaces if i.ipv4 != "as_is" or i.ipv6}
    doc = {"network": {"version": 2, "renderer": "networkd", "ethernets": ethernets}}
    body = yamlc.safe_dump(doc, sort_keys=False, default_flow_style=False)
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


def _strs(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _dict(value: object) -> dict[str, object]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _read_ethernet(ident: str, eth: dict[str, object]) -> tuple[Iface, list[str], list[str]]:
    mac = str(_dict(eth.get("match")).get("macaddress") or "")
    iface = blank(str(eth.get("set-name") or ident), mac)
    iface.onboot = eth.get("activation-mode") != "manual"
    for cidr in _strs(eth.get("addresses")):
        add_cidr(iface, cidr)
    if eth.get("dhcp4") is True:
        iface.ipv4 = "dhcp"
    if eth.get("dhcp6") is True:
        iface.ipv6_mode = "dhcp"
    elif eth.get("accept-ra") is True:
        iface.ipv6_mode = "auto"
    routes: list[Route] = []
    for gw in ("gateway4", "gateway6"):  # older netplan files say so
        r = route("default", str(eth.get(gw) or ""))
        if r is not None:
            routes.append(r)
    routes_value = eth.get("routes")
    for item in routes_value if isinstance(routes_value, list) else []:
        d = _dict(item)
        metric = d.get("metric")
        r = route(str(d.get("to", "")), str(d.get("via", "")), metric if isinstance(metric, int) else None)
        if r is not None:
            routes.append(r)
    assign_routes(iface, routes)
    ns = _dict(eth.get("nameservers"))
    iface.dns = bool(ns)
    return iface, _strs(ns.get("addresses")), _strs(ns.get("search"))


def read(guest: GuestRoot) -> NetworkConfig:
    """Every ethernet of the guest's netplan files, in file order."""
    ifaces: list[Iface] = []
    servers: list[str] = []
    search: list[str] = []
    no_dhcp_dns = False
    for _, text in files(guest, "/etc/netplan", ".yaml"):
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        for ident, eth in _dict(_dict(_dict(doc).get("network")).get("ethernets")).items():
            iface, s, d = _read_ethernet(ident, _dict(eth))
            ifaces.append(iface)
            servers += [x for x in s if x not in servers]
            search += [x for x in d if x not in search]
            overrides = _dict(_dict(eth).get("dhcp4-overrides")) or _dict(_dict(eth).get("dhcp6-overrides"))
            no_dhcp_dns = no_dhcp_dns or overrides.get("use-dns") is False
    return finish(ifaces, servers, search, False if no_dhcp_dns else None)
