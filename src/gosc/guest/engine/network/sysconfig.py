"""RHEL/CentOS 7 and 8: network-scripts ifcfg-<if>, route-<if>, route6-<if>,
/etc/sysconfig/network.

The primary NIC carries GATEWAY/IPV6_DEFAULTGW and DEFROUTE=yes; other NICs get
DEFROUTE=no and their gateways as metric-10000 routes in route-<if>.  DNS goes to
DNS1.. / DOMAIN in the primary NIC's file (NetworkManager's ifcfg plugin and the
legacy scripts both read them) and to /etc/resolv.conf.
"""

from __future__ import annotations

from ..files import ChangeSet
from ..log import EngineLog
from .common import HEADER, resolv_conf
from .model import Iface, NetworkConfig

DIR = "/etc/sysconfig/network-scripts"


def _q(value: str) -> str:
    return f'"{value}"' if any(c in value for c in " \t;#$") else value


def _ifcfg(iface: Iface, net: NetworkConfig, dns_owner: bool) -> str:
    kv: list[tuple[str, str]] = [
        ("TYPE", "Ethernet"),
        ("DEVICE", iface.name),
        ("NAME", iface.name),
        ("HWADDR", iface.mac),
        ("ONBOOT", "yes" if iface.onboot else "no"),
        ("USERCTL", "no"),
    ]
    if iface.ipv4 == "static":
        kv += [
            ("BOOTPROTO", "none"),
            ("IPADDR", iface.address or ""),
            ("NETMASK", iface.netmask or ""),
            ("PREFIX", str(iface.prefix)),
        ]
        if iface.gateway4:
            kv.append(("GATEWAY", iface.gateway4))
    elif iface.ipv4 == "dhcp":
        kv.append(("BOOTPROTO", "dhcp"))
        if net.dns_from_dhcp is False:
            kv.append(("PEERDNS", "no"))
    else:
        kv.append(("BOOTPROTO", "none"))
    kv.append(("DEFROUTE", "yes" if iface.primary or (iface.ipv4 == "dhcp" and net.primary is None) else "no"))
    if iface.ipv6 or iface.ipv6_mode:
        kv.append(("IPV6INIT", "yes"))
        kv.append(("IPV6_AUTOCONF", "yes" if iface.slaac else "no"))
        if iface.dhcp6:
            kv.append(("DHCPV6C", "yes"))
        cidrs = iface.ipv6_cidrs
        if cidrs:
            kv.append(("IPV6ADDR", cidrs[0]))
            if cidrs[1:]:
                kv.append(("IPV6ADDR_SECONDARIES", " ".join(cidrs[1:])))
        if iface.gateway6:
            kv.append(("IPV6_DEFAULTGW", iface.gateway6))
    else:
        kv.append(("IPV6INIT", "no"))
    if dns_owner:
        for i, server in enumerate(net.dns_servers or [], start=1):
            kv.append((f"DNS{i}", server))
        if net.dns_suffixes:
            kv.append(("DOMAIN", " ".join(net.dns_suffixes)))
    body = "\n".join(f"{k}={_q(v)}" for k, v in kv)
    return f"# {HEADER}\n# {iface.nic}\n{body}\n"


def _routes(iface: Iface, family: int) -> str | None:
    lines = [
        f"{r.cidr} via {r.via} dev {iface.name}" + (f" metric {r.metric}" if r.metric is not None else "")
        for r in iface.routes
        if r.family == family
    ]
    return f"# {HEADER}\n" + "\n".join(lines) + "\n" if lines else None


def _update_kv(text: str, updates: dict[str, str]) -> str:
    lines = [line for line in text.splitlines() if line.split("=", 1)[0].strip() not in updates]
    lines += [f"{k}={_q(v)}" for k, v in updates.items()]
    return "\n".join(lines) + "\n"


def render(net: NetworkConfig, cs: ChangeSet, log: EngineLog) -> None:
    dns_owner = net.primary or (net.ifaces[0] if net.ifaces else None)
    for iface in net.ifaces:
        if iface.ipv4 == "as_is":
            log.info(f"{iface.name}: IPv4 AS_IS, ifcfg-{iface.name} left as it is")
            continue
        cs.write(f"{DIR}/ifcfg-{iface.name}", _ifcfg(iface, net, iface is dns_owner), 0o644)
        for family, prefix in ((4, "route"), (6, "route6")):
            routes = _routes(iface, family)
            path = f"{DIR}/{prefix}-{iface.name}"
            if routes:
                cs.write(path, routes, 0o644)
            else:
                cs.remove(path)
    updates = {"NETWORKING": "yes"}
    if any(i.ipv6 or i.ipv6_mode for i in net.ifaces):
        updates["NETWORKING_IPV6"] = "yes"
    cs.write("/etc/sysconfig/network", _update_kv(cs.read_text("/etc/sysconfig/network") or "", updates))
    resolv_conf(net, cs, log)
    log.info(f"wrote ifcfg files for {', '.join(i.name for i in net.ifaces)}")
