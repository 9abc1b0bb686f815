"""Hypothesis strategies for valid CustConfig models (what vCenter could send)."""

from __future__ import annotations

import ipaddress

from hypothesis import strategies as st

from gosc.formats.custcfg_model import CustConfig, Ipv6Address, Nic

label = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
domain = st.lists(label, min_size=1, max_size=3).map(".".join)
mac = st.lists(st.integers(0, 255), min_size=3, max_size=3).map(lambda b: "00:50:56:" + ":".join(f"{x:02x}" for x in b))
ipv4 = st.integers(0x0A000001, 0xDFFFFFFE).map(lambda n: str(ipaddress.IPv4Address(n)))
netmask = st.integers(8, 30).map(lambda p: str(ipaddress.IPv4Network(f"0.0.0.0/{p}").netmask))
ipv6 = st.integers(1, 2**64).map(lambda n: str(ipaddress.IPv6Address((0xFC00 << 112) | n)))
zones = st.sampled_from(["UTC", "Africa/Abidjan", "America/New_York", "Europe/Berlin", "Asia/Tokyo", "Etc/GMT-5"])
password = st.text(st.characters(min_codepoint=32, max_codepoint=0x24F), min_size=1, max_size=20)


@st.composite
def nics(draw, count: int) -> list[Nic]:
    macs = draw(st.lists(mac, min_size=count, max_size=count, unique=True))
    primary_index = draw(st.one_of(st.none(), st.integers(0, count - 1)))
    result = []
    for i, m in enumerate(macs):
        static = draw(st.booleans())
        nic = Nic(
            name=f"NIC{i + 1}",
            mac=m,
            primary=primary_index == i,
            onboot=draw(st.booleans()),
            ipv4_mode=draw(
                st.sampled_from(["BACKWARDS_COMPATIBLE", "BACKWARDS_COMPATIBLE", "STATIC", "DHCP", "DISABLED"])
            ),
            bootproto="static" if static else "dhcp",
        )
        if nic.ipv4_mode == "STATIC":
            nic.bootproto = "static"
        if nic.ipv4_mode == "DHCP":
            nic.bootproto = "dhcp"
        if nic.bootproto == "static":
            nic.ipaddr = draw(ipv4)
            nic.netmask = draw(netmask)
            nic.gateways = draw(st.lists(ipv4, max_size=2))
        nic.ipv6 = [
            Ipv6Address(a, draw(st.integers(48, 128)), draw(st.one_of(st.none(), ipv6)))
            for a in draw(st.lists(ipv6, max_size=2))
        ]
        nic.ipv6_mode = draw(st.sampled_from([None, "dhcp", "auto"]))
        result.append(nic)
    return result


@st.composite
def custconfigs(draw) -> CustConfig:
    count = draw(st.integers(1, 3))
    return CustConfig(
        hostname=draw(st.one_of(st.none(), label)),
        domainname=draw(st.one_of(st.none(), domain)),
        networking=draw(st.booleans()),
        nics=draw(nics(count)),
        dns_from_dhcp=draw(st.one_of(st.none(), st.booleans())),
        dns_suffixes=draw(st.one_of(st.none(), st.lists(domain, max_size=3))),
        dns_servers=draw(st.one_of(st.none(), st.lists(st.one_of(ipv4, ipv6), max_size=3))),
        timezone=draw(st.one_of(st.none(), zones)),
        utc=draw(st.one_of(st.none(), st.booleans())),
        admin_password=draw(st.one_of(st.none(), password)),
        reset_password=draw(st.booleans()),
        script_name=draw(st.one_of(st.none(), st.just("customize.sh"))),
        marker_id=draw(st.one_of(st.none(), st.from_regex(r"[0-9a-f]{16}", fullmatch=True))),
        post_gc_status=draw(st.booleans()),
        default_run_post_script=draw(st.booleans()),
        instance_id=draw(st.one_of(st.none(), st.from_regex(r"iid-[0-9a-f]{8}", fullmatch=True))),
        cloudinit_metadata=draw(st.one_of(st.none(), st.just("metadata"))),
        cloudinit_userdata=draw(st.one_of(st.none(), st.just("userdata"))),
    )
