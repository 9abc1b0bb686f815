"""Photon OS: systemd-networkd units /etc/systemd/network/10-vmware-customization-<if>.network.

networkd applies the first .network file (in lexical order) that matches a link, so
the "10-" prefix puts these ahead of Photon's stock 99-dhcp-en.network.  Files are
0644: networkd runs as systemd-network and must read them.  DNS goes on the model's DNS
interface.  ``read`` gives the model back from every .network file (the guest's own too).
"""

from __future__ import annotations

from ...guestpath import GuestRoot
from ..files import ChangeSet
from ..log import EngineLog
from .common import HEADER, add_cidr, assign_routes, blank, files, gather, nic_label, resolv_conf, route
from .model import Iface, NetworkConfig, Route

_PREFIX, _SUFFIX = "10-vmware-customization-", ".network"

DIR = "/etc/systemd/network"


def unit(iface: Iface, net: NetworkConfig) -> str:
    out = [f"# {HEADER}", f"# {iface.nic}", "[Match]", f"MACAddress={iface.mac}", ""]
    if not iface.onboot:
        out += ["[Link]", "ActivationPolicy=manual", ""]
    dhcp = {(True, True): "yes", (True, False): "ipv4", (False, True): "ipv6", (False, False): "no"}[
        (iface.ipv4 == "dhcp", iface.dhcp6)
    ]
    out += ["[Network]", f"DHCP={dhcp}"]
    if iface.ipv6 or iface.ipv6_mode:
        out.append(f"IPv6AcceptRA={'yes' if iface.slaac or iface.dhcp6 else 'no'}")
    for cidr in ([iface.cidr4] if iface.cidr4 else []) + iface.ipv6_cidrs:
        out.append(f"Address={cidr}")
    for gw in (iface.gateway4, iface.gateway6):
        if gw:
            out.append(f"Gateway={gw}")
    if iface.dns:
        out += [f"DNS={s}" for s in net.dns_servers or []]
        if net.dns_suffixes:
            out.append("Domains=" + " ".join(net.dns_suffixes))
    for r in iface.routes:
        out += ["", "[Route]", f"Destination={r.cidr}", f"Gateway={r.via}"]
        if r.metric is not None:
            out.append(f"Metric={r.metric}")
    if iface.ipv4 == "dhcp" and net.dns_from_dhcp is False:
        out += ["", "[DHCPv4]", "UseDNS=false"]
    return "\n".join(out) + "\n"


def render(net: NetworkConfig, cs: ChangeSet, log: EngineLog) -> None:
    for iface in net.ifaces:
        if iface.ipv4 == "as_is":
            log.info(f"{iface.name}: IPv4 AS_IS, no networkd unit written")
            continue
        cs.write(f"{DIR}/{_PREFIX}{iface.name}{_SUFFIX}", unit(iface, net), 0o644)
    resolv_conf(net, cs, log)
    log.info(f"wrote networkd units for {', '.join(i.name for i in net.ifaces)}")


def _read_unit(name: str, text: str) -> tuple[Iface, list[str], list[str]] | None:
    own = name.removeprefix(_PREFIX).removesuffix(_SUFFIX) if name.startswith(_PREFIX) else ""
    iface = blank(own, "", nic_label(text)[0])
    section = ""
    routes: list[Route] = []
    servers: list[str] = []
    search: list[str] = []
    pending: dict[str, str] = {}  # the [Route] section being read
    for line in [*text.splitlines(), "[End]"]:
        line = line.strip()
        if line.startswith("["):
            if section == "Route":
                r = route(pending.get("Destination", ""), pending.get("Gateway", ""), pending.get("Metric"))
                routes += [r] if r else []
            section, pending = line.strip("[]"), {}
            continue
        key, sep, value = (s.strip() for s in line.partition("="))
        if not sep or line.startswith(("#", ";")):
            continue
        if section == "Match" and key == "MACAddress":
            iface.mac = value.lower()
        elif section == "Match" and key == "Name" and not iface.name:
            iface.name = value
        elif section == "Link" and key == "ActivationPolicy":
            iface.onboot = value not in ("manual", "down", "always-down")
        elif section == "Network" and key == "DHCP":
            iface.ipv4 = "dhcp" if value in ("yes", "true", "ipv4") else iface.ipv4
            iface.ipv6_mode = "dhcp" if value in ("yes", "true", "ipv6") else iface.ipv6_mode
        elif section == "Network" and key == "IPv6AcceptRA" and value in ("yes", "true"):
            iface.ipv6_mode = iface.ipv6_mode or "auto"
        elif section in ("Network", "Address") and key == "Address":
            add_cidr(iface, value)
        elif section == "Network" and key == "Gateway":
            r = route("default", value)
            routes += [r] if r else []
        elif section == "Network" and key == "DNS":
            servers.append(value)
        elif section == "Network" and key == "Domains":
            search += value.split()
        elif section == "Route":
            pending[key] = value
    if not (iface.mac or iface.name):
        return None
    iface.dns = bool(servers or search)
    assign_routes(iface, routes)
    return iface, servers, search


def read(guest: GuestRoot) -> NetworkConfig:
    return gather(_read_unit(name, text) for name, text in files(guest, DIR, _SUFFIX))
