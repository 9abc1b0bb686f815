"""Debian: /etc/network/interfaces (ifupdown).

The previous file is kept as ``interfaces.BeforeVMwareCustomization``.  The new file
keeps the old ``source``/``source-directory`` lines and the loopback stanza; an
``AS_IS`` NIC keeps its old stanzas verbatim.  DNS also goes to /etc/resolv.conf
(``dns-*`` options only work with the resolvconf package), and as ``dns-*`` options on
the model's DNS interface.  ``read`` gives the model back from the file (the ``# NICn
(mac)`` comment gosc writes names the MAC; a foreign stanza has none).
"""

from __future__ import annotations

from ...guestpath import GuestRoot
from ..files import ChangeSet
from ..log import EngineLog
from .common import HEADER, add_cidr, assign_routes, backup, blank, finish, nic_label, resolv_conf, route
from .model import Iface, NetworkConfig, Route

PATH = "/etc/network/interfaces"
_STANZA_STARTS = ("iface", "auto", "allow-", "mapping", "source", "source-directory", "rename")


def _old_stanzas(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """(source lines, interface name -> its old auto/iface lines with options)."""
    sources: list[str] = []
    by_iface: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0].startswith(_STANZA_STARTS):
            current = None
            if words[0] in ("source", "source-directory"):
                sources.append(line.strip())
            elif words[0] == "iface" and len(words) > 1:
                current = by_iface.setdefault(words[1], [])
                current.append(line.rstrip())
            elif words[0] == "auto" or words[0].startswith("allow-"):
                for name in words[1:]:
                    by_iface.setdefault(name, []).append(f"{words[0]} {name}")
        elif current is not None:
            current.append(line.rstrip())
    return sources, by_iface


def _stanza(iface: Iface, net: NetworkConfig) -> list[str]:
    n = iface.name
    out = [f"# {iface.nic} ({iface.mac})"]
    if iface.onboot:
        out.append(f"auto {n}")
    if iface.ipv4 == "static":
        out += [f"iface {n} inet static", f"    address {iface.address}", f"    netmask {iface.netmask}"]
        if iface.gateway4:
            out.append(f"    gateway {iface.gateway4}")
    elif iface.ipv4 == "dhcp":
        out.append(f"iface {n} inet dhcp")
    else:
        out.append(f"iface {n} inet manual")
    for r in iface.routes:
        if r.family == 4:
            metric = f" metric {r.metric}" if r.metric is not None else ""
            out.append(f"    up ip route add {r.cidr} via {r.via} dev {n}{metric} || true")
    if iface.dns and (net.dns_servers or net.dns_suffixes):
        if net.dns_servers:
            out.append("    dns-nameservers " + " ".join(net.dns_servers))
        if net.dns_suffixes:
            out.append("    dns-search " + " ".join(net.dns_suffixes))
    for i, addr in enumerate(iface.ipv6):
        out += [f"iface {n} inet6 static", f"    address {addr.address}", f"    netmask {addr.prefix}"]
        if i == 0 and iface.gateway6:
            out.append(f"    gateway {iface.gateway6}")
        if i == 0:
            for r in iface.routes:
                if r.family == 6:
                    metric = f" metric {r.metric}" if r.metric is not None else ""
                    out.append(f"    up ip -6 route add {r.cidr} via {r.via} dev {n}{metric} || true")
    if iface.dhcp6:
        out.append(f"iface {n} inet6 dhcp")
    elif iface.slaac and not iface.ipv6:
        out.append(f"iface {n} inet6 auto")
    return out


def render(net: NetworkConfig, cs: ChangeSet, log: EngineLog) -> None:
    old = cs.read_text(PATH) or ""
    sources, old_by_iface = _old_stanzas(old)
    lines = [f"# {HEADER}", ""]
    if sources:
        lines += [*sources, ""]
    lines += ["auto lo", "iface lo inet loopback", ""]
    for iface in net.ifaces:
        if iface.ipv4 == "as_is":
            kept = old_by_iface.get(iface.name)
            if kept:
                lines += [f"# {iface.nic} ({iface.mac}): kept as it was", *kept, ""]
            continue
        lines += [*_stanza(iface, net), ""]
    backup(cs, PATH, log)
    cs.write(PATH, "\n".join(lines).rstrip("\n") + "\n", 0o644)
    resolv_conf(net, cs, log)
    log.info(f"wrote {PATH} for {', '.join(i.name for i in net.ifaces)}")


def _cidr(address: str, netmask: str | None) -> str:
    if "/" in address or not netmask:
        return address
    if netmask.isdigit():
        return f"{address}/{netmask}"
    return f"{address}/{sum(bin(int(b)).count('1') for b in netmask.split('.') if b.isdigit())}"


def read(guest: GuestRoot) -> NetworkConfig:
    """The interfaces of /etc/network/interfaces (lo left out), in file order."""
    text = guest.read_text(PATH) or ""
    ifaces: dict[str, Iface] = {}
    routes: dict[str, list[Route]] = {}
    auto: set[str] = set()
    servers: list[str] = []
    search: list[str] = []
    label = ("", "")
    iface: Iface | None = None
    family = ""
    address: str | None = None
    netmask: str | None = None

    def close() -> None:
        if iface is not None and address:
            add_cidr(iface, _cidr(address, netmask))

    for line in text.splitlines():
        words = line.split()
        if line.startswith("# NIC"):
            label = nic_label(line)
            continue
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "auto" or words[0].startswith("allow-"):
            auto.update(words[1:])
        elif words[0] == "iface" and len(words) >= 4:
            close()
            address = netmask = None
            name, family, method = words[1], words[2], words[3]
            if name == "lo":
                iface = None
                continue
            iface = ifaces.get(name) or ifaces.setdefault(name, blank(name, label[1], label[0]))
            if family == "inet" and method == "dhcp":
                iface.ipv4 = "dhcp"
            elif family == "inet6" and method == "dhcp":
                iface.ipv6_mode = "dhcp"
            elif family == "inet6" and method == "auto":
                iface.ipv6_mode = "auto"
            label = ("", "")
        elif iface is None:
            continue
        elif words[0] in ("address", "netmask") and len(words) > 1:
            if words[0] == "address":
                address = words[1]
            else:
                netmask = words[1]
        elif words[0] == "gateway" and len(words) > 1:
            r = route("default", words[1])
            if r is not None:
                routes.setdefault(iface.name, []).append(r)
        elif words[0] == "up" and "route" in words and "via" in words:
            # "up ip [-6] route add CIDR via GW dev IF [metric N] || true", as rendered above
            at = words.index("add") if "add" in words else -1
            via = words[words.index("via") + 1] if words.index("via") + 1 < len(words) else ""
            metric = words[words.index("metric") + 1] if "metric" in words[:-1] else None
            r = route(words[at + 1] if at > 0 else "", via, metric)
            if r is not None:
                routes.setdefault(iface.name, []).append(r)
        elif words[0] == "dns-nameservers":
            iface.dns = True
            servers += words[1:]
        elif words[0] == "dns-search":
            iface.dns = True
            search += words[1:]
    close()
    for name, i in ifaces.items():
        i.onboot = name in auto
        assign_routes(i, routes.get(name, []))
    return finish(list(ifaces.values()), servers, search)
