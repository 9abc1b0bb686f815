"""SUSE (wicked): /etc/sysconfig/network/ifcfg-<if>, /etc/sysconfig/network/routes,
DNS in /etc/sysconfig/network/config (netconfig builds resolv.conf from it).

Default routes of the primary NIC and the metric-10000 routes of the others all go to
the global ``routes`` file, one ``DESTINATION GATEWAY - INTERFACE [metric N]`` line
each (wicked's format).  DNS is global here (netconfig's static lists), so no interface
carries it.  ``read`` gives the model back from ifcfg-*, routes and config.
"""

from __future__ import annotations

from ...guestpath import GuestRoot
from ..files import ChangeSet
from ..log import EngineLog
from .common import HEADER, add_cidr, assign_routes, blank, files, finish, nic_label, resolv_conf, route, shell_vars
from .model import Iface, NetworkConfig, Route

DIR = "/etc/sysconfig/network"


def _bootproto(iface: Iface) -> str:
    v4_dhcp = iface.ipv4 == "dhcp"
    if v4_dhcp and iface.dhcp6:
        return "dhcp"
    if v4_dhcp:
        return "dhcp4"
    if iface.dhcp6:
        return "dhcp6"
    if iface.ipv4 == "static" or iface.ipv6:
        return "static"
    return "none"


def _ifcfg(iface: Iface) -> str:
    kv = [
        ("NAME", iface.nic),
        ("LLADDR", iface.mac),
        ("STARTMODE", "auto" if iface.onboot else "manual"),
        ("BOOTPROTO", _bootproto(iface)),
    ]
    addresses = ([iface.cidr4] if iface.cidr4 else []) + iface.ipv6_cidrs
    for i, cidr in enumerate(addresses):
        kv.append(("IPADDR" if i == 0 else f"IPADDR_{i}", cidr))
    if iface.ipv4 == "dhcp":
        kv.append(("DHCLIENT_SET_DEFAULT_ROUTE", "yes" if iface.default_route else "no"))
    body = "".join(f"{k}='{v}'\n" for k, v in kv)
    return f"# {HEADER}\n# {iface.nic}\n{body}"


def _set_config(text: str, updates: dict[str, str]) -> str:
    out = []
    for line in text.splitlines():
        key = line.split("=", 1)[0].strip()
        out.append(f'{key}="{updates.pop(key)}"' if key in updates else line)
    out += [f'{k}="{v}"' for k, v in updates.items()]
    return "\n".join(out) + "\n"


def render(net: NetworkConfig, cs: ChangeSet, log: EngineLog) -> None:
    routes = []
    for iface in net.ifaces:
        if iface.ipv4 == "as_is":
            log.info(f"{iface.name}: IPv4 AS_IS, ifcfg-{iface.name} left as it is")
            continue
        cs.write(f"{DIR}/ifcfg-{iface.name}", _ifcfg(iface), 0o644)
        for gw in (iface.gateway4, iface.gateway6):
            if gw:
                routes.append(f"default {gw} - {iface.name}")
        for r in iface.routes:
            dest = "default" if r.to == "default" else r.to
            routes.append(f"{dest} {r.via} - {iface.name}" + (f" metric {r.metric}" if r.metric is not None else ""))
    if routes:
        cs.write(f"{DIR}/routes", f"# {HEADER}\n" + "\n".join(routes) + "\n", 0o644)
    else:
        cs.remove(f"{DIR}/routes")
    updates = {}
    if net.dns_servers is not None:
        updates["NETCONFIG_DNS_STATIC_SERVERS"] = " ".join(net.dns_servers)
    if net.dns_suffixes is not None:
        updates["NETCONFIG_DNS_STATIC_SEARCHLIST"] = " ".join(net.dns_suffixes)
    if updates:
        cs.write(f"{DIR}/config", _set_config(cs.read_text(f"{DIR}/config") or "", updates))
    resolv_conf(net, cs, log)
    log.info(f"wrote wicked ifcfg files for {', '.join(i.name for i in net.ifaces)}")


def read(guest: GuestRoot) -> NetworkConfig:
    routes: dict[str, list[Route]] = {}
    for line in (guest.read_text(f"{DIR}/routes") or "").splitlines():
        w = line.split()  # DESTINATION GATEWAY NETMASK INTERFACE [metric N]
        if len(w) >= 4 and not w[0].startswith("#"):
            metric = w[w.index("metric") + 1] if "metric" in w[:-1] else None
            r = route(w[0], w[1], metric)
            if r is not None:
                routes.setdefault(w[3], []).append(r)
    ifaces: list[Iface] = []
    for name, text in files(guest, DIR, prefix="ifcfg-"):
        if name == "ifcfg-lo" or "." in name:
            continue
        v = shell_vars(text)
        iface = blank(name.removeprefix("ifcfg-"), v.get("LLADDR", ""), nic_label(text)[0])
        iface.onboot = v.get("STARTMODE", "auto") not in ("manual", "off")
        for key in sorted(k for k in v if k == "IPADDR" or k.startswith("IPADDR_")):
            add_cidr(iface, v[key])
        boot = v.get("BOOTPROTO", "").lower()
        if boot in ("dhcp", "dhcp4"):
            iface.ipv4 = "dhcp"
        if boot in ("dhcp", "dhcp6"):
            iface.ipv6_mode = "dhcp"
        iface.default_route = v.get("DHCLIENT_SET_DEFAULT_ROUTE", "yes") != "no"
        assign_routes(iface, routes.get(iface.name, []))
        ifaces.append(iface)
    config = shell_vars(guest.read_text(f"{DIR}/config") or "")
    servers = config.get("NETCONFIG_DNS_STATIC_SERVERS", "").split()
    search = config.get("NETCONFIG_DNS_STATIC_SEARCHLIST", "").split()
    return finish(ifaces, servers, search)
