"""The one network model every family renderer reads.

Built from cust.cfg NICs plus the guest's MAC -> interface map.  Gateway mapping
follows cloud-init's VMware mapping, extended so that a spec without ``PRIMARY`` still
gets a default route the way VMware's own engine gives one:

* the primary NIC is the one with ``PRIMARY = yes``; without one, the first NIC with a
  static IPv4 gateway, else the first NIC with an IPv6 gateway;
* the primary NIC's first IPv4 gateway (and first IPv6 gateway) is the default route;
  further gateways on it become default routes with metric 10000 (fallbacks);
* a non-primary NIC's gateways become routes to the gateway's subnet with metric
  10000 (cloud-init's mapping), so they never compete with the default route.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from gosc.formats.custcfg_model import CustConfig, Ipv6Address, Nic

from ..errors import EngineError, FailureKind

SECONDARY_METRIC = 10000


@dataclass
class Route:
    to: str  # "default" or a CIDR
    via: str
    metric: int | None = None

    @property
    def family(self) -> int:
        return ipaddress.ip_address(self.via).version

    @property
    def cidr(self) -> str:
        if self.to != "default":
            return self.to
        return "0.0.0.0/0" if self.family == 4 else "::/0"


@dataclass
class Iface:
    name: str  # guest interface name, e.g. ens192
    mac: str
    nic: str  # cust.cfg section, e.g. NIC1
    primary: bool
    onboot: bool
    ipv4: str  # "static" | "dhcp" | "disabled" | "as_is"
    address: str | None = None
    netmask: str | None = None
    prefix: int | None = None
    gateway4: str | None = None
    ipv6: list[Ipv6Address] = field(default_factory=list)
    gateway6: str | None = None
    ipv6_mode: str | None = None  # None | "dhcp" | "auto"
    routes: list[Route] = field(default_factory=list)

    @property
    def cidr4(self) -> str | None:
        return f"{self.address}/{self.prefix}" if self.address and self.prefix is not None else None

    @property
    def ipv6_cidrs(self) -> list[str]:
        return [f"{a.address}/{a.prefix}" for a in self.ipv6]

    @property
    def dhcp6(self) -> bool:
        return self.ipv6_mode == "dhcp"

    @property
    def slaac(self) -> bool:
        return self.ipv6_mode == "auto"


@dataclass
class NetworkConfig:
    ifaces: list[Iface]
    dns_servers: list[str] | None  # None: keep the guest's
    dns_suffixes: list[str] | None
    dns_from_dhcp: bool | None

    @property
    def primary(self) -> Iface | None:
        return next((i for i in self.ifaces if i.primary), None)


def _ipv4_mode(nic: Nic) -> str:
    if nic.ipv4_mode == "DISABLED":
        return "disabled"
    if nic.ipv4_mode == "AS_IS":
        return "as_is"
    return "static" if nic.ipv4_static else "dhcp"


def _primary(cfg: CustConfig) -> Nic | None:
    flagged = [n for n in cfg.nics if n.primary]
    if flagged:
        return flagged[0]
    return next((n for n in cfg.nics if n.ipv4_static and n.gateways), None) or next(
        (n for n in cfg.nics if any(a.gateway for a in n.ipv6)), None
    )


def build(cfg: CustConfig, mac_to_name: dict[str, str]) -> NetworkConfig:
    """Resolve every NIC to a guest interface; EngineError(network) when one is missing."""
    primary = _primary(cfg)
    ifaces: list[Iface] = []
    for nic in cfg.nics:
        name = mac_to_name.get(nic.mac)
        if name is None:
            known = ", ".join(f"{n} ({m})" for m, n in sorted(mac_to_name.items())) or "none"
            raise EngineError(
                FailureKind.NETWORK, f"{nic.name}: no guest interface has MAC {nic.mac}; guest has {known}"
            )
        iface = Iface(
            name=name,
            mac=nic.mac,
            nic=nic.name,
            primary=nic is primary,
            onboot=nic.onboot,
            ipv4=_ipv4_mode(nic),
            ipv6=list(nic.ipv6),
            ipv6_mode=nic.ipv6_mode,
        )
        if iface.ipv4 == "static":
            if not nic.ipaddr or not nic.netmask:
                raise EngineError(FailureKind.NETWORK, f"{nic.name}: static IPv4 needs IPADDR and NETMASK")
            iface.address, iface.netmask = nic.ipaddr, nic.netmask
            iface.prefix = ipaddress.IPv4Network(f"0.0.0.0/{nic.netmask}").prefixlen
            _ipv4_gateways(iface, nic.gateways)
        _ipv6_gateways(iface)
        ifaces.append(iface)
    return NetworkConfig(ifaces, cfg.dns_servers, cfg.dns_suffixes, cfg.dns_from_dhcp)


def _ipv4_gateways(iface: Iface, gateways: list[str]) -> None:
    if not gateways:
        return
    if iface.primary:
        iface.gateway4 = gateways[0]
        iface.routes += [Route("default", g, SECONDARY_METRIC) for g in gateways[1:]]
        return
    assert iface.netmask is not None
    for g in gateways:
        net = ipaddress.IPv4Network(f"{g}/{iface.netmask}", strict=False)
        iface.routes.append(Route(str(net), g, SECONDARY_METRIC))


def _ipv6_gateways(iface: Iface) -> None:
    gateways = [(a.gateway, a.prefix) for a in iface.ipv6 if a.gateway]
    if not gateways:
        return
    if iface.primary:
        iface.gateway6 = gateways[0][0]
        iface.routes += [Route("default", g, SECONDARY_METRIC) for g, _ in gateways[1:]]
        return
    for g, prefix in gateways:
        net = ipaddress.IPv6Network(f"{g}/{prefix}", strict=False)
        iface.routes.append(Route(str(net), g, SECONDARY_METRIC))
