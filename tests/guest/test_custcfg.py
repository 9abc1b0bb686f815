"""cust.cfg parser and renderer: conformance files, round trips, errors."""

from __future__ import annotations

import configparser

import pytest
from hypothesis import HealthCheck, given, settings

from gosc.formats.custcfg import CustCfgError, parse, render
from gosc.formats.custcfg_model import CustConfig, Ipv6Address, Nic

from .guest_helpers import DHCP_2NIC, STATIC_2NIC
from .guest_strategies import custconfigs


def test_static_2nic_conformance():
    cfg = parse(STATIC_2NIC.read_text())
    assert (cfg.hostname, cfg.domainname, cfg.fqdn) == ("myhost1", "eng.vmware.com", "myhost1.eng.vmware.com")
    assert cfg.networking is True
    assert [n.name for n in cfg.nics] == ["NIC1", "NIC2"]
    nic1, nic2 = cfg.nics
    assert nic1.mac == "00:50:56:a6:8c:08" and nic1.onboot and not nic1.primary
    assert nic1.ipv4_static and nic1.bootproto == "static" and nic1.ipv4_mode == "BACKWARDS_COMPATIBLE"
    assert (nic1.ipaddr, nic1.netmask) == ("10.20.87.154", "255.255.252.0")
    assert nic1.gateways == ["10.20.87.253", "10.20.87.105"]
    assert nic1.ipv6 == [Ipv6Address("fc00:10:20:87::154", 64, "fc00:10:20:87::253")]
    assert (nic2.mac, nic2.ipaddr, nic2.netmask, nic2.gateways) == (
        "00:50:56:a6:ef:7d",
        "192.168.6.102",
        "255.255.0.0",
        ["192.168.0.10"],
    )
    assert nic2.ipv6 == []
    assert cfg.dns_from_dhcp is False
    assert cfg.dns_suffixes == ["eng.vmware.com", "proxy.vmware.com"]
    assert cfg.dns_servers == ["10.20.145.1", "10.20.145.2"]
    assert (cfg.timezone, cfg.utc) == ("Africa/Abidjan", True)
    assert cfg.admin_password is None and cfg.reset_password is False
    assert cfg.nic_by_mac("00:50:56:A6:EF:7D") is nic2


def test_dhcp_2nic_conformance():
    cfg = parse(DHCP_2NIC.read_text())
    assert all(n.ipv4_dhcp and not n.ipv4_static for n in cfg.nics)
    assert [n.mac for n in cfg.nics] == ["00:50:56:a6:8c:08", "00:50:56:a6:5a:de"]
    assert cfg.dns_from_dhcp is True
    assert cfg.dns_suffixes == ["eng.vmware.com"]
    assert cfg.dns_servers is None  # absent: keep the guest's
    assert cfg.admin_password == "secret"  # base64 "secret\n": the line end is vCenter's framing


@pytest.mark.parametrize("path", [STATIC_2NIC, DHCP_2NIC], ids=["static", "dhcp"])
def test_conformance_round_trip(path):
    cfg = parse(path.read_text())
    assert parse(render(cfg)) == cfg


def test_render_is_what_vcenter_writes():
    cfg = parse(DHCP_2NIC.read_text())
    text = render(cfg)
    sections = [line for line in text.splitlines() if line.startswith("[")]
    assert sections == ["[NETWORK]", "[NIC-CONFIG]", "[NIC1]", "[NIC2]", "[DNS]", "[DATETIME]", "[PASSWORD]"]
    assert "-PASS = c2VjcmV0Cg==" in text  # same encoding as the fixture, line end included
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment]
    parser.read_string(text)  # what cloud-init does; must not raise
    assert parser["DNS"]["SUFFIX|1"] == "eng.vmware.com"


def test_missing_versus_empty():
    cfg = parse("[NETWORK]\nHOSTNAME =\n[DNS]\nSUFFIX =\nNAMESERVER|1 = 10.0.0.1\n")
    assert cfg.hostname == "" and cfg.domainname is None
    assert cfg.dns_suffixes == [] and cfg.dns_servers == ["10.0.0.1"]
    assert parse(render(cfg)) == cfg
    assert "SUFFIX =" in render(cfg)


def test_section_right_after_key_and_comments():
    text = "; top comment\n[NETWORK]\nHOSTNAME=h1\n[DATETIME]\n   # indented comment\nTIMEZONE=UTC\nUTC=NO\n"
    cfg = parse(text)
    assert (cfg.hostname, cfg.timezone, cfg.utc) == ("h1", "UTC", False)


def test_ipv6_mode_extension_round_trips():
    nic = Nic(
        "NIC1",
        "00:50:56:00:00:01",
        ipv6_mode="auto",
        ipv6=[Ipv6Address("fd00::5", 64, None), Ipv6Address("fd00:1::5", 80, "fd00:1::1")],
    )
    cfg = CustConfig(hostname="h", nics=[nic])
    text = render(cfg)
    assert "IPv6_MODE = AUTO" in text and "IPv6ADDR|2 = fd00:1::5" in text and "IPv6GATEWAY|1" not in text
    assert parse(text) == cfg


@pytest.mark.parametrize(
    "text, where",
    [
        ("HOSTNAME = x\n", "outside any section"),
        ("[NETWORK]\nHOSTNAME\n", "[NETWORK]"),
        ("[NETWORK]\nHOSTNAME = a\nHOSTNAME = b\n", "[NETWORK] HOSTNAME"),
        ("[NETWORK]\n[NETWORK]\n", "[NETWORK]"),
        ("[NETWORK\n", "malformed section"),
        ("[NETWORK]\nNETWORKING = maybe\n", "[NETWORK] NETWORKING"),
        ("[NIC-CONFIG]\nNICS = NIC1\n", "[NIC-CONFIG] NICS"),
        ("[NIC-CONFIG]\nNICS = NIC1\n[NIC1]\nMACADDR = zz:50:56:00:00:01\n", "[NIC1] MACADDR"),
        ("[NIC-CONFIG]\nNICS = NIC1\n[NIC1]\nBOOTPROTO = dhcp\n", "[NIC1] MACADDR"),
        ("[NIC-CONFIG]\nNICS = NIC1\n[NIC1]\nMACADDR = 00:50:56:00:00:01\nBOOTPROTO = static\n", "[NIC1] IPADDR"),
        (
            "[NIC-CONFIG]\nNICS = NIC1\n[NIC1]\nMACADDR = 00:50:56:00:00:01\nBOOTPROTO = static\n"
            "IPADDR = 10.0.0.5\nNETMASK = 255.0.255.0\n",
            "[NIC1] NETMASK",
        ),
        ("[NIC-CONFIG]\nNICS = NIC1\n[NIC1]\nMACADDR = 00:50:56:00:00:01\nIPv4_MODE = SOMETIMES\n", "[NIC1] IPv4_MODE"),
        (
            "[NIC-CONFIG]\nNICS = NIC1\n[NIC1]\nMACADDR = 00:50:56:00:00:01\nGATEWAY = 10.0.0.1, nope\n",
            "[NIC1] GATEWAY",
        ),
        (
            "[NIC-CONFIG]\nNICS = NIC1\n[NIC1]\nMACADDR = 00:50:56:00:00:01\nIPv6ADDR|1 = fd00::1\n",
            "[NIC1] IPv6NETMASK|1",
        ),
        ("[DNS]\nSUFFIX|1 = a\nSUFFIX|3 = c\n", "[DNS] SUFFIX|n"),
        ("[DNS]\nNAMESERVER|1 = dns.example\n", "[DNS] NAMESERVER|1"),
        ("[DNS]\nSUFFIX = a.example\n", "[DNS] SUFFIX"),
        ("[PASSWORD]\n-PASS = ***notbase64\n", "[PASSWORD] -PASS"),
        ("[PASSWORD]\nRESET = perhaps\n", "[PASSWORD] RESET"),
    ],
)
def test_errors_name_section_and_key(text, where):
    with pytest.raises(CustCfgError) as exc:
        parse(text)
    assert where in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_error_never_shows_a_secret():
    with pytest.raises(CustCfgError) as exc:
        parse("[PASSWORD]\n-PASS c2VjcmV0Cg==\n")
    assert "c2VjcmV0" not in str(exc.value)


def test_render_refuses_values_configparser_would_change():
    with pytest.raises(CustCfgError, match=r"\[NETWORK\] HOSTNAME"):
        render(CustConfig(hostname="a%b"))
    with pytest.raises(CustCfgError, match=r"\[NETWORK\] DOMAINNAME"):
        render(CustConfig(domainname=" x"))
    with pytest.raises(CustCfgError, match="-PASS"):
        render(CustConfig(admin_password="two\nlines"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(custconfigs())
def test_round_trip_property(cfg):
    assert parse(render(cfg)) == cfg
