"""RHEL/CentOS 7 and 8: network-scripts ifcfg-<if>, route-<if>, route6-<if>,
/etc/sysconfig/network.

The primary NIC carries GATEWAY/IPV6_DEFAULTGW and DEFROUTE=yes; other NICs get
DEFROUTE=no and their gateways as metric-10000 routes in route-<if> (the model's
``default_route``).  DNS goes to DNS1.. / DOMAIN in the model's DNS interface's file
(NetworkManager's ifcfg plugin and the legacy scripts both read them) and to
/etc/resolv.conf.  ``read`` gives the model back from ifcfg-*, route-* and route6-*.
"""

from __future__ import annotations

from ...guestpath import GuestRoot
from ..files import ChangeSet
from ..log import EngineLog
from .common import (
    HEADER,
    add_cidr6,
    assign_routes,
    blank,
    files,
    finish,
    nic_label,
    resolv_conf,
    route,
    set_cidr4,
    shell_vars,
)
from .model import Iface, NetworkConfig, Route

DIR = "/etc/sysconfig/network-scripts"


def _q(value: str) -> str:
    return f'"{value}"' if any(c in value for c in " \t;#$") else value


def _ifcfg(iface: Iface, net: NetworkConfig) -> str:
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
    kv.append(("DEFROUTE", "yes" if iface.default_route else "no"))
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
    if iface.dns:
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
    for iface in net.ifaces:
        if iface.ipv4 == "as_is":
            log.info(f"{iface.name}: IPv4 AS_IS, ifcfg-{iface.name} left as it is")
            continue
        cs.write(f"{DIR}/ifcfg-{iface.name}", _ifcfg(iface, net), 0o644)
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


def _read_routes(text: str) -> list[Route]:
    """``CIDR via GW [dev IF] [metric N]`` lines (the ip-route form route-<if> uses)."""
    out = []
    for line in text.splitlines():
        w = line.split()
        if len(w) >= 3 and w[1] == "via" and not w[0].startswith("#"):
            metric = w[w.index("metric") + 1] if "metric" in w[:-1] else None
            r = route(w[0], w[2], metric)
            if r is not None:
                out.append(r)
    return out


def read_ifcfg(name: str, text: str) -> tuple[Iface, list[str], list[str]]:
    """One ifcfg-<if> file: the interface, its DNS1.. servers and DOMAIN search list."""
    v = shell_vars(text)
    label, _ = nic_label(text)
    iface = blank(v.get("DEVICE") or name.removeprefix("ifcfg-"), v.get("HWADDR", ""), label)
    iface.onboot = v.get("ONBOOT", "yes").lower() != "no"
    if v.get("BOOTPROTO", "").lower() == "dhcp":
        iface.ipv4 = "dhcp"
    for suffix in ("", "0", "1", "2"):
        ip = v.get("IPADDR" + suffix)
        if ip and iface.ipv4 != "static":
            prefix = v.get("PREFIX" + suffix) or v.get("NETMASK" + suffix) or "32"
            set_cidr4(iface, f"{ip}/{prefix}")
    for cidr in (v.get("IPV6ADDR", "") + " " + v.get("IPV6ADDR_SECONDARIES", "")).split():
        add_cidr6(iface, cidr if "/" in cidr else cidr + "/64")
    if v.get("DHCPV6C", "").lower() == "yes":
        iface.ipv6_mode = "dhcp"
    elif v.get("IPV6INIT", "").lower() == "yes" and v.get("IPV6_AUTOCONF", "yes").lower() == "yes":
        iface.ipv6_mode = "auto"
    iface.default_route = v.get("DEFROUTE", "yes").lower() != "no"
    routes = [r for r in (route("default", v.get(k, "")) for k in ("GATEWAY", "IPV6_DEFAULTGW")) if r is not None]
    assign_routes(iface, routes)
    servers = [v[f"DNS{i}"] for i in range(1, 10) if v.get(f"DNS{i}")]
    search = v.get("DOMAIN", "").split()
    iface.dns = bool(servers or search)
    return iface, servers, search


def read(guest: GuestRoot) -> NetworkConfig:
    ifaces: list[Iface] = []
    servers: list[str] = []
    search: list[str] = []
    for name, text in files(guest, DIR, prefix="ifcfg-"):
        if name == "ifcfg-lo" or "." in name:  # ifcfg-eth0.BeforeVMwareCustomization and the like
            continue
        iface, s, d = read_ifcfg(name, text)
        for prefix in ("route", "route6"):
            iface.routes += _read_routes(guest.read_text(f"{DIR}/{prefix}-{iface.name}") or "")
        ifaces.append(iface)
        servers += s
        search += d
    return finish(ifaces, servers, search)
