"""The one network model every family renderer reads.

Built from cust.cfg NICs plus the guest's MAC -> interface map; every format module
renders it (``render``) and reads its own files back into it (``read``).  The decisions
are taken HERE, once, and the renderers only express them (docs/decisions.md):

* the primary NIC is ``gosc.formats.rules.primary_nic`` (the flagged one, else the first
  static NIC with an IPv4 gateway, else the first with an IPv6 gateway, else the first);
* default route: the primary NIC's first IPv4 gateway (and first IPv6 gateway) is the
  default route; further gateways on it become default routes with metric 10000
  (fallbacks); a non-primary NIC's gateways become routes to the gateway's subnet with
  metric 10000 (cloud-init's VMware mapping), and a non-primary DHCP NIC does not take
  a default route from its lease where the format can say so (``Iface.default_route``);
* DNS servers and search domains are global (cust.cfg's [DNS], cloud-init's global
  ``nameserver`` entry): formats with a global place (resolv.conf, SUSE's netconfig)
  put them there, and formats that only know per-interface DNS put them on ONE
  interface, ``Iface.dns``: the primary NIC, or when its IPv4 is AS_IS or DISABLED the
  first NIC with static or DHCP IPv4 (a NIC that is up and routed), else the primary.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from gosc.formats.custcfg_model import CustConfig, Ipv6Address, Nic
from gosc.formats.rules import primary_nic

from ..errors import EngineError, FailureKind

SECONDARY_METRIC = 10000


@dataclass(frozen=True)
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
    default_route: bool = True  # may a DHCP lease on it set the default route (the primary's only)
    dns: bool = False  # the interface per-interface formats put the global DNS settings on

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

    @property
    def addresses(self) -> list[str]:
        """Every static address, CIDR notation, IPv4 first (what guest.net reports)."""
        return ([self.cidr4] if self.cidr4 else []) + self.ipv6_cidrs

    @property
    def all_routes(self) -> list[Route]:
        """The default routes of the gateways, then the other routes: what a boot applies."""
        defaults = [Route("default", g) for g in (self.gateway4, self.gateway6) if g]
        return defaults + self.routes


@dataclass
class NetworkConfig:
    ifaces: list[Iface]
    dns_servers: list[str] | None  # None: keep the guest's
    dns_suffixes: list[str] | None
    dns_from_dhcp: bool | None

    @property
    def primary(self) -> Iface | None:
        return next((i for i in self.ifaces if i.primary), None)

    @property
    def dns_iface(self) -> Iface | None:
        return next((i for i in self.ifaces if i.dns), None)


def _ipv4_mode(nic: Nic) -> str:
    if nic.ipv4_mode == "DISABLED":
        return "disabled"
    if nic.ipv4_mode == "AS_IS":
        return "as_is"
    return "static" if nic.ipv4_static else "dhcp"


def build(cfg: CustConfig, mac_to_name: dict[str, str]) -> NetworkConfig:
    """Resolve every NIC to a guest interface; EngineError(network) when one is missing."""
    primary = primary_nic(cfg.nics)
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
            ipv6=[Ipv6Address(a.address, a.prefix, None) for a in nic.ipv6],  # gateways: below
            ipv6_mode=nic.ipv6_mode,
        )
        if iface.ipv4 == "static":
            if not nic.ipaddr or not nic.netmask:
                raise EngineError(FailureKind.NETWORK, f"{nic.name}: static IPv4 needs IPADDR and NETMASK")
            iface.address, iface.netmask = nic.ipaddr, nic.netmask
            iface.prefix = ipaddress.IPv4Network(f"0.0.0.0/{nic.netmask}").prefixlen
            _ipv4_gateways(iface, nic.gateways)
        _ipv6_gateways(iface, [(a.gateway, a.prefix) for a in nic.ipv6 if a.gateway])
        iface.default_route = iface.primary
        ifaces.append(iface)
    carrier = _dns_carrier(ifaces)
    if carrier is not None:
        carrier.dns = True
    return NetworkConfig(ifaces, cfg.dns_servers, cfg.dns_suffixes, cfg.dns_from_dhcp)


def _dns_carrier(ifaces: list[Iface]) -> Iface | None:
    primary = next((i for i in ifaces if i.primary), None)
    if primary is None or primary.ipv4 in ("static", "dhcp"):
        return primary
    return next((i for i in ifaces if i.ipv4 in ("static", "dhcp")), primary)


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


def _ipv6_gateways(iface: Iface, gateways: list[tuple[str, int]]) -> None:
    if not gateways:
        return
    if iface.primary:
        iface.gateway6 = gateways[0][0]
        iface.routes += [Route("default", g, SECONDARY_METRIC) for g, _ in gateways[1:]]
        return
    for g, prefix in gateways:
        net = ipaddress.IPv6Network(f"{g}/{prefix}", strict=False)
        iface.routes.append(Route(str(net), g, SECONDARY_METRIC))
