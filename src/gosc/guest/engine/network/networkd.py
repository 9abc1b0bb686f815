"""Photon OS: systemd-networkd units /etc/systemd/network/10-vmware-customization-<if>.network.

networkd applies the first .network file (in lexical order) that matches a link, so
the "10-" prefix puts these ahead of Photon's stock 99-dhcp-en.network.  Files are
0644: networkd runs as systemd-network and must read them.
"""

from __future__ import annotations

from ..files import ChangeSet
from ..log import EngineLog
from .common import HEADER, resolv_conf
from .model import Iface, NetworkConfig

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
    if iface.primary or net.primary is None:
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
        cs.write(f"{DIR}/10-vmware-customization-{iface.name}.network", unit(iface, net), 0o644)
    resolv_conf(net, cs, log)
    log.info(f"wrote networkd units for {', '.join(i.name for i in net.ifaces)}")
