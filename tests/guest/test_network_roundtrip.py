"""Render then read gives the network model back, for every family's format.

Models are generated from cust.cfg NICs (static IPv4 with gateways, DHCP, disabled IPv4,
static IPv6 with gateways, DHCPv6/SLAAC, ON BOOT, a PRIMARY flag, DNS) and built by the
model (gosc.guest.engine.network.build), so the decisions compared are the model's own.
Each is rendered by the family's renderer into an empty guest tree and read back by the
same module's ``read``.  What is compared is what a format can express; the exceptions,
per family, are spelled out in ``expressible`` below.

Deterministic in CI (derandomized, no example database); ``GOSC_FUZZ_EXAMPLES=N`` runs
N random examples per family instead.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gosc.formats.custcfg_model import CustConfig, Ipv6Address, Nic
from gosc.formats.rules import NIC_NAMES
from gosc.guest.engine.files import ChangeSet
from gosc.guest.engine.log import EngineLog
from gosc.guest.engine.network import READERS, RENDERERS, build
from gosc.guest.engine.network.model import Iface, NetworkConfig, Route
from gosc.guest.guestpath import GuestRoot

FAMILIES = sorted(RENDERERS)
PER_INTERFACE_DNS = {"ubuntu", "debian", "sysconfig", "networkmanager", "photon"}  # SUSE: netconfig's global lists
SAYS_DEFAULT_ROUTE = {"sysconfig", "networkmanager", "suse"}  # DEFROUTE, never-default, DHCLIENT_SET_DEFAULT_ROUTE


@st.composite
def ipv4_nic(draw: st.DrawFn, index: int, mac: str) -> Nic:
    mode = draw(st.sampled_from(["STATIC", "DHCP", "DISABLED"]))
    nic = Nic(f"NIC{index + 1}", mac, onboot=draw(st.booleans()), ipv4_mode=mode)
    if mode == "STATIC":
        prefix = draw(st.integers(8, 30))
        net = ipaddress.IPv4Network(f"10.{index}.0.0/{prefix}", strict=False)
        hosts = st.integers(1, net.num_addresses - 2).map(lambda n: str(net.network_address + n))
        nic.bootproto, nic.ipaddr, nic.netmask = "static", draw(hosts), str(net.netmask)
        nic.gateways = draw(st.lists(hosts, max_size=2, unique=True))
    v6 = st.builds(
        lambda n, p, gw: Ipv6Address(str(ipaddress.IPv6Address(f"fd00:{index}::") + n), p, gw),
        st.integers(1, 2**16),
        st.sampled_from([48, 64, 112]),
        st.one_of(st.none(), st.just(f"fd00:{index}::1")),
    )
    nic.ipv6 = draw(st.lists(v6, max_size=2, unique_by=lambda a: a.address))
    nic.ipv6_mode = draw(st.sampled_from([None, "dhcp", "auto"]))
    return nic


@st.composite
def models(draw: st.DrawFn) -> NetworkConfig:
    count = draw(st.integers(1, 3))
    macs = [f"00:50:56:a6:00:{i:02x}" for i in range(count)]
    nics = [draw(ipv4_nic(i, mac)) for i, mac in enumerate(macs)]
    flagged = draw(st.one_of(st.none(), st.integers(0, count - 1)))
    if flagged is not None:
        nics[flagged].primary = True
    servers = st.one_of(
        st.integers(1, 2**24).map(lambda n: str(ipaddress.IPv4Address("192.0.0.0") + n)),
        st.integers(1, 2**16).map(lambda n: str(ipaddress.IPv6Address("fd53::") + n)),
    )
    cfg = CustConfig(
        hostname="rt",
        nics=nics,
        dns_servers=draw(st.one_of(st.none(), st.lists(servers, max_size=3, unique=True))),
        dns_suffixes=draw(st.one_of(st.none(), st.lists(st.sampled_from(["a.example", "b.test"]), unique=True))),
    )
    return build(cfg, {mac: NIC_NAMES[i] for i, mac in enumerate(macs)})


@dataclass(frozen=True)
class Seen:
    """One interface as compared: everything but the cust.cfg label (``nic``, which only some
    formats keep in a comment) and the ``primary`` flag (formats express its consequences,
    the default route and DNS, which are compared)."""

    name: str
    mac: str
    onboot: bool
    ipv4: str
    cidr4: str | None
    gateway4: str | None
    ipv6: tuple[str, ...]
    gateway6: str | None
    ipv6_mode: str | None
    routes: tuple[Route, ...]
    default_route: bool | None  # None: the format cannot say
    dns: bool | None


def expressible(family: str, net: NetworkConfig) -> tuple[list[Seen], tuple[list[str], list[str]], list[str]]:
    """What ``family``'s format can carry of ``net``: the interfaces, the DNS servers (IPv4,
    IPv6, in order) and the search domains."""
    has_dns = bool(net.dns_servers or net.dns_suffixes)
    servers = net.dns_servers or []
    v4 = [s for s in servers if ":" not in s]
    v6 = [s for s in servers if ":" in s]
    suffixes = list(net.dns_suffixes or [])
    carrier = net.dns_iface
    if family == "networkmanager" and carrier is not None and carrier.ipv4 == "disabled":
        v4, suffixes = [], []  # NM keeps IPv4 DNS and dns-search in [ipv4]: none on a disabled one
        has_dns = bool(v6)
    seen = []
    for i in net.ifaces:
        mode = i.ipv6_mode
        if family == "debian" and mode == "auto" and i.ipv6:
            mode = None  # ENI: "inet6 auto" only for a NIC without static IPv6
        if family == "networkmanager":
            mode = None if i.ipv6 else (mode or "auto")  # one ipv6.method: manual, dhcp or auto (NM's default)
        if family == "suse" and mode == "auto":
            mode = None  # wicked's BOOTPROTO has no SLAAC-only value
        default_route: bool | None = None
        if family == "sysconfig" or (family == "networkmanager" and i.ipv4 != "disabled"):
            default_route = i.default_route
        if family == "suse" and i.ipv4 == "dhcp":
            default_route = i.default_route
        dns: bool | None = None
        if family in PER_INTERFACE_DNS:
            dns = i.dns and has_dns
        seen.append(
            Seen(
                i.name,
                i.mac,
                i.onboot,
                i.ipv4,
                i.cidr4,
                i.gateway4,
                tuple(i.ipv6_cidrs),
                i.gateway6,
                mode,
                tuple(sorted(i.routes, key=str)),
                default_route,
                dns,
            )
        )
    return sorted(seen, key=lambda s: s.name), (v4, v6), suffixes


def as_read(family: str, net: NetworkConfig) -> tuple[list[Seen], tuple[list[str], list[str]], list[str]]:
    """The same projection of a model read back from files."""
    servers = net.dns_servers or []
    out = []
    for i in net.ifaces:
        out.append(
            Seen(
                i.name,
                i.mac,
                i.onboot,
                i.ipv4,
                i.cidr4,
                i.gateway4,
                tuple(i.ipv6_cidrs),
                i.gateway6,
                i.ipv6_mode,
                tuple(sorted(i.routes, key=str)),
                i.default_route if family in SAYS_DEFAULT_ROUTE and _says_default(family, i) else None,
                i.dns if family in PER_INTERFACE_DNS else None,
            )
        )
    v4 = [s for s in servers if ":" not in s]
    v6 = [s for s in servers if ":" in s]
    return sorted(out, key=lambda s: s.name), (v4, v6), list(net.dns_suffixes or [])


def _says_default(family: str, i: Iface) -> bool:
    return family == "sysconfig" or (family == "networkmanager" and i.ipv4 != "disabled") or i.ipv4 == "dhcp"


def roundtrip(family: str, net: NetworkConfig) -> NetworkConfig:
    with tempfile.TemporaryDirectory() as tmp, GuestRoot(Path(tmp)) as guest:
        cs = ChangeSet(guest)
        RENDERERS[family](net, cs, EngineLog())
        cs.commit()
        return READERS[family](guest)


@pytest.mark.parametrize("family", FAMILIES)
def test_render_then_read_gives_the_model_back(family: str) -> None:
    @settings(
        max_examples=int(os.environ.get("GOSC_FUZZ_EXAMPLES", "60")),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize="GOSC_FUZZ_EXAMPLES" not in os.environ,
    )
    @given(models())
    def one(net: NetworkConfig) -> None:
        assert as_read(family, roundtrip(family, net)) == expressible(family, net)

    one()


def test_the_model_decides_primary_default_route_and_dns_once() -> None:
    """Two DHCP NICs and no gateway: the first is primary (rules.primary_nic), it alone may
    take a default route from its lease, and it alone carries the DNS servers in every
    per-interface format."""
    macs = ["00:50:56:a6:00:00", "00:50:56:a6:00:01"]
    cfg = CustConfig(
        hostname="rt", nics=[Nic("NIC1", macs[0]), Nic("NIC2", macs[1])], dns_servers=["192.0.2.53"], dns_suffixes=[]
    )
    net = build(cfg, {m: NIC_NAMES[i] for i, m in enumerate(macs)})
    assert [(i.primary, i.default_route, i.dns) for i in net.ifaces] == [(True, True, True), (False, False, False)]
    for family in sorted(PER_INTERFACE_DNS):
        back = roundtrip(family, net)
        assert [i.dns for i in sorted(back.ifaces, key=lambda i: i.name)] == [True, False], family
