"""RHEL 9+ / Fedora: NetworkManager keyfiles
/etc/NetworkManager/system-connections/VMware-customization-<if>.nmconnection (0600;
NetworkManager ignores keyfiles readable by others).

The profile is bound to the interface name and the MAC; ``autoconnect-priority`` is
above the default 0 so it wins over the distribution's "Wired connection" or
cloud-init's profile for the same device.  The UUID is derived from the MAC, so a
re-customization rewrites the same profile instead of adding one.  DNS goes on the
model's DNS interface; a NIC that may not hold the default route gets ``never-default``.
``read`` gives the model back from every keyfile in the directory.
"""

from __future__ import annotations

import configparser
import uuid

from ...guestpath import GuestRoot
from ..files import ChangeSet
from ..log import EngineLog
from .common import HEADER, add_cidr, assign_routes, blank, files, gather, route
from .model import Iface, NetworkConfig, Route

DIR = "/etc/NetworkManager/system-connections"
_NS = uuid.UUID("6f1b1e6c-9f7e-4c5e-9a55-6f9d3c0e9a11")  # gosc's namespace for profile UUIDs


def _section(name: str, kv: list[tuple[str, str]]) -> str:
    return f"[{name}]\n" + "".join(f"{k}={v}\n" for k, v in kv)


def keyfile(iface: Iface, net: NetworkConfig) -> str:
    conn_id = f"VMware-customization-{iface.name}"
    sections = [
        _section(
            "connection",
            [
                ("id", conn_id),
                ("uuid", str(uuid.uuid5(_NS, iface.mac))),
                ("type", "ethernet"),
                ("interface-name", iface.name),
                ("autoconnect", "true" if iface.onboot else "false"),
                ("autoconnect-priority", "120"),
            ],
        ),
        _section("ethernet", [("mac-address", iface.mac.upper())]),
    ]

    v4: list[tuple[str, str]] = []
    if iface.ipv4 == "static":
        v4.append(("method", "manual"))
        v4.append(("address1", f"{iface.cidr4}" + (f",{iface.gateway4}" if iface.gateway4 else "")))
    elif iface.ipv4 == "dhcp":
        v4.append(("method", "auto"))
        if net.dns_from_dhcp is False:
            v4.append(("ignore-auto-dns", "true"))
    else:
        v4.append(("method", "disabled"))
    if iface.ipv4 != "disabled":
        n = 1
        for r in iface.routes:
            if r.family == 4:
                v4.append((f"route{n}", f"{r.cidr},{r.via}" + (f",{r.metric}" if r.metric is not None else "")))
                n += 1
        if not iface.default_route:
            v4.append(("never-default", "true"))
    v6: list[tuple[str, str]] = []
    if iface.ipv6:
        v6.append(("method", "manual"))
        for i, cidr in enumerate(iface.ipv6_cidrs, start=1):
            gw = f",{iface.gateway6}" if i == 1 and iface.gateway6 else ""
            v6.append((f"address{i}", cidr + gw))
    else:
        v6.append(("method", "dhcp" if iface.dhcp6 else "auto"))
    n = 1
    for r in iface.routes:
        if r.family == 6:
            v6.append((f"route{n}", f"{r.cidr},{r.via}" + (f",{r.metric}" if r.metric is not None else "")))
            n += 1
    if iface.dns:
        v4_servers = [s for s in net.dns_servers or [] if ":" not in s]
        v6_servers = [s for s in net.dns_servers or [] if ":" in s]
        if v4_servers and iface.ipv4 != "disabled":
            v4.append(("dns", ";".join(v4_servers) + ";"))
        if net.dns_suffixes and iface.ipv4 != "disabled":
            v4.append(("dns-search", ";".join(net.dns_suffixes) + ";"))
        if v6_servers:
            v6.append(("dns", ";".join(v6_servers) + ";"))
    sections += [_section("ipv4", v4), _section("ipv6", v6)]
    return f"# {HEADER}\n" + "\n".join(sections)


def render(net: NetworkConfig, cs: ChangeSet, log: EngineLog) -> None:
    for iface in net.ifaces:
        if iface.ipv4 == "as_is":
            log.info(f"{iface.name}: IPv4 AS_IS, no keyfile written")
            continue
        cs.write(f"{DIR}/VMware-customization-{iface.name}.nmconnection", keyfile(iface, net), 0o600)
    log.info(f"wrote NetworkManager keyfiles for {', '.join(i.name for i in net.ifaces)}")


class _Keyfile(configparser.ConfigParser):
    """A keyfile as NetworkManager reads it: keys case-sensitive, no interpolation."""

    def __init__(self) -> None:
        super().__init__(interpolation=None, strict=False)

    def optionxform(self, optionstr: str) -> str:
        return optionstr


def _read_keyfile(text: str) -> tuple[Iface, list[str], list[str]] | None:
    cp = _Keyfile()
    try:
        cp.read_string(text)
    except configparser.Error:
        return None
    if cp.get("connection", "type", fallback="ethernet") not in ("ethernet", "802-3-ethernet"):
        return None
    iface = blank(cp.get("connection", "interface-name", fallback=""), cp.get("ethernet", "mac-address", fallback=""))
    iface.onboot = cp.get("connection", "autoconnect", fallback="true") != "false"
    v4 = cp.get("ipv4", "method", fallback="auto")
    iface.ipv4 = {"auto": "dhcp", "manual": "static"}.get(v4, "disabled")
    iface.default_route = cp.get("ipv4", "never-default", fallback="false") != "true"
    v6 = cp.get("ipv6", "method", fallback="auto")
    iface.ipv6_mode = {"dhcp": "dhcp", "auto": "auto"}.get(v6)
    routes: list[Route] = []
    servers: list[str] = []
    search: list[str] = []
    for fam in ("ipv4", "ipv6"):
        if not cp.has_section(fam):
            continue
        gateway = route("default", cp.get(fam, "gateway", fallback=""))
        routes += [gateway] if gateway else []
        for key, value in cp.items(fam):
            parts = [p.strip() for p in value.split(",")]
            kind = key.rstrip("0123456789")
            if kind in ("address", "addresses"):
                add_cidr(iface, parts[0])
                gw = route("default", parts[1]) if len(parts) > 1 else None
                routes += [gw] if gw else []
            elif kind in ("route", "routes") and len(parts) > 1:
                r = route(parts[0], parts[1], parts[2] if len(parts) > 2 else None)
                routes += [r] if r else []
        servers += [x for x in cp.get(fam, "dns", fallback="").split(";") if x]
        search += [x for x in cp.get(fam, "dns-search", fallback="").split(";") if x]
    iface.dns = bool(servers or search)
    assign_routes(iface, routes)
    return iface, servers, search


def read(guest: GuestRoot) -> NetworkConfig:
    return gather(_read_keyfile(text) for _, text in files(guest, DIR, ".nmconnection"))
