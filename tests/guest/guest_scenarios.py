"""Customizations the golden-file and tool tests run through every family."""

from __future__ import annotations

from gosc.formats.custcfg import parse
from gosc.formats.custcfg_model import CustConfig, Ipv6Address, Nic

from .guest_helpers import STATIC_2NIC

MAC1, MAC2 = "00:50:56:a6:8c:08", "00:50:56:a6:ef:7d"


def static() -> CustConfig:
    return CustConfig(
        hostname="web01",
        domainname="corp.example",
        nics=[
            Nic(
                "NIC1",
                MAC1,
                bootproto="static",
                ipaddr="192.168.10.21",
                netmask="255.255.255.0",
                gateways=["192.168.10.1"],
            )
        ],
        dns_from_dhcp=False,
        dns_servers=["192.168.10.2", "192.168.10.3"],
        dns_suffixes=["corp.example"],
        timezone="America/New_York",
        utc=True,
    )


def dhcp() -> CustConfig:
    return CustConfig(
        hostname="dhcp-host",
        nics=[Nic("NIC1", MAC1, bootproto="dhcp")],
        dns_from_dhcp=False,
        dns_servers=["9.9.9.9"],
        timezone="Europe/Berlin",
        utc=False,
    )


def two_nics() -> CustConfig:
    return parse(STATIC_2NIC.read_text())  # cloud-init's fixture: 2 static NICs, IPv6 on NIC1


def ipv6() -> CustConfig:
    return CustConfig(
        hostname="v6host",
        domainname="v6.example",
        nics=[
            Nic(
                "NIC1",
                MAC1,
                bootproto="dhcp",
                ipv6_mode="auto",
                ipv6=[Ipv6Address("fd00:10::21", 64, "fd00:10::1"), Ipv6Address("fd00:20::21", 64, None)],
            ),
            Nic("NIC2", MAC2, ipv4_mode="DISABLED", bootproto="dhcp", ipv6_mode="dhcp", onboot=False),
        ],
        dns_servers=["fd00:10::53"],
        dns_suffixes=["v6.example"],
    )


def primary() -> CustConfig:
    return CustConfig(
        hostname="gw-host",
        domainname="corp.example",
        nics=[
            Nic("NIC1", MAC1, bootproto="static", ipaddr="10.1.0.5", netmask="255.255.0.0", gateways=["10.1.0.1"]),
            Nic(
                "NIC2",
                MAC2,
                primary=True,
                bootproto="static",
                ipaddr="172.16.5.5",
                netmask="255.255.255.0",
                gateways=["172.16.5.1", "172.16.5.254"],
            ),
        ],
        dns_servers=["172.16.5.53"],
        timezone="UTC",
    )


SCENARIOS = {"static": static, "dhcp": dhcp, "two_nics": two_nics, "ipv6": ipv6, "primary": primary}
LINUX = ("ubuntu", "debian", "centos7", "rhel8", "rhel9", "sles15", "photon5")
