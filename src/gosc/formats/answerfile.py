"""Windows answer files (unattend.xml): the model, its rendering, and safe parsing.

vCenter writes, for a Vista+ guest, an answer file in Microsoft's unattend schema
(namespace ``urn:schemas-microsoft-com:unattend``) with two passes:

* ``specialize``: Microsoft-Windows-Shell-Setup (ComputerName, TimeZone, ProductKey),
  Microsoft-Windows-UnattendedJoin (workgroup or domain join), Microsoft-Windows-TCPIP
  (static IPv4/IPv6 per NIC, keyed by the NIC's MAC in Windows' ``00-50-56-..`` form),
  Microsoft-Windows-DNS-Client (suffix search order, per-NIC servers and domain) and
  Microsoft-Windows-NetBT (per-NIC WINS servers and NetBIOS mode);
* ``oobeSystem``: Microsoft-Windows-Shell-Setup (administrator password, AutoLogon,
  FirstLogonCommands from guiRunOnce, OOBE pages hidden, RegisteredOwner/Organization).

``Unattend`` is what the file says, in plain values; gosc.customization.unattend fills it
from a CustomizationSysprep spec, and the guest side only parses (``check_answer_file``).

Secrets: the administrator and domain passwords go into the file in plain text (with
``<PlainText>true</PlainText>`` where the schema has it); Windows setup masks them once
it has used them.  Nothing in this module logs a password, and no error message quotes one.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

UNATTEND_NS = "urn:schemas-microsoft-com:unattend"
WCM_NS = "http://schemas.microsoft.com/WMIConfig/2002/State"
ARCH = "amd64"
PUBLIC_KEY_TOKEN = "31bf3856ad364e35"
ADMINISTRATOR = "Administrator"
_UNSAFE_XML = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass
class AnswerNic:
    """One NIC's settings, keyed by its MAC in Windows' form."""

    identifier: str  # 00-50-56-0A-0B-0C
    ipv4: str | None = None  # "address/prefix" when static
    ipv6: list[str] = field(default_factory=list)  # "address/prefix", static only
    gateways: list[tuple[str, str]] = field(default_factory=list)  # (next hop, "0.0.0.0/0" or "::/0")
    dns_servers: list[str] = field(default_factory=list)
    dns_domain: str | None = None
    wins: list[str] = field(default_factory=list)
    netbios: int | None = None  # NetbiosOptions: 0 via DHCP, 1 enabled, 2 disabled


@dataclass
class DomainJoin:
    domain: str
    credential_domain: str
    username: str
    password: str  # UnattendedJoin's Credentials/Password is a plain string in the schema
    ou: str | None = None


@dataclass
class Unattend:
    computer_name: str
    admin_password: str = ""  # an unset password means a blank one (VMware's documented meaning)
    product_key: str | None = None
    time_zone: str | None = None  # a Windows registry zone name
    workgroup: str = "WORKGROUP"
    domain: DomainJoin | None = None
    nics: list[AnswerNic] = field(default_factory=list)
    dns_suffixes: list[str] = field(default_factory=list)
    auto_logon_count: int | None = None  # None: no AutoLogon
    commands: list[str] = field(default_factory=list)  # FirstLogonCommands
    organization: str | None = None
    owner: str | None = None


def mac_identifier(mac: str) -> str:
    """A MAC as Windows names an interface by it: ``00-50-56-0A-0B-0C``."""
    digits = re.sub(r"[^0-9A-Fa-f]", "", mac)
    if len(digits) != 12:
        raise ValueError(f"'{mac}' is not a MAC address")
    return "-".join(digits[i : i + 2] for i in range(0, 12, 2)).upper()


# ---------------------------------------------------------------- parsing


def safe_parse(text: str) -> ET.Element:
    """Parse XML that has no DOCTYPE and no entity declarations (so no entity expansion,
    no external entities).  Raises ValueError with a message that quotes no content."""
    if _UNSAFE_XML.search(text):
        raise ValueError("DOCTYPE and ENTITY declarations are not allowed in an answer file")
    try:
        return ET.fromstring(text)
    except ET.ParseError as e:
        raise ValueError(f"not well-formed XML ({e})") from None


def check_answer_file(data: bytes) -> ET.Element:
    """An answer file's bytes parsed safely (for the guest side); ValueError if unusable."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the answer file is not UTF-8") from None
    return safe_parse(text)


# ---------------------------------------------------------------- rendering


def _q(tag: str) -> str:
    return f"{{{UNATTEND_NS}}}{tag}"


_ADD = {f"{{{WCM_NS}}}action": "add"}


def _sub(parent: ET.Element, tag: str, text: object = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, _q(tag), attrs)
    if text is not None:
        el.text = str(text).lower() if isinstance(text, bool) else str(text)
    return el


def _keyed(parent: ET.Element, tag: str, key: object, text: object) -> ET.Element:
    return _sub(parent, tag, text, **_ADD, **{f"{{{WCM_NS}}}keyValue": str(key)})


def _component(settings: ET.Element, name: str) -> ET.Element:
    return _sub(
        settings,
        "component",
        name=name,
        processorArchitecture=ARCH,
        publicKeyToken=PUBLIC_KEY_TOKEN,
        language="neutral",
        versionScope="nonSxS",
    )


def _secret(parent: ET.Element, tag: str, value: str | None) -> None:
    el = _sub(parent, tag)
    _sub(el, "Value", value or "")
    _sub(el, "PlainText", True)


def render(u: Unattend) -> bytes:
    """The unattend.xml text of ``u`` (secrets inside)."""
    ET.register_namespace("", UNATTEND_NS)
    ET.register_namespace("wcm", WCM_NS)
    root = ET.Element(_q("unattend"))
    _specialize(root, u)
    _oobe(root, u)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def _specialize(root: ET.Element, u: Unattend) -> None:
    spec_pass = _sub(root, "settings", **{"pass": "specialize"})
    shell = _component(spec_pass, "Microsoft-Windows-Shell-Setup")
    _sub(shell, "ComputerName", u.computer_name)
    if u.product_key:
        _sub(shell, "ProductKey", u.product_key)
    if u.time_zone:
        _sub(shell, "TimeZone", u.time_zone)

    join = _sub(_component(spec_pass, "Microsoft-Windows-UnattendedJoin"), "Identification")
    if u.domain is not None:
        creds = _sub(join, "Credentials")
        _sub(creds, "Domain", u.domain.credential_domain)
        _sub(creds, "Password", u.domain.password)
        _sub(creds, "Username", u.domain.username)
        _sub(join, "JoinDomain", u.domain.domain)
        if u.domain.ou:
            _sub(join, "MachineObjectOU", u.domain.ou)
    else:
        _sub(join, "JoinWorkgroup", u.workgroup)

    tcpip = [n for n in u.nics if n.ipv4 or n.ipv6]
    if tcpip:
        ifaces = _sub(_component(spec_pass, "Microsoft-Windows-TCPIP"), "Interfaces")
        for n in tcpip:
            iface = _sub(ifaces, "Interface", **_ADD)  # children in the schema's order
            if n.ipv4:
                _sub(_sub(iface, "Ipv4Settings"), "DhcpEnabled", False)
            if n.ipv6:
                _sub(_sub(iface, "Ipv6Settings"), "DhcpEnabled", False)
            _sub(iface, "Identifier", n.identifier)
            addrs = _sub(iface, "UnicastIpAddresses")
            for i, address in enumerate([*([n.ipv4] if n.ipv4 else []), *n.ipv6], start=1):
                _keyed(addrs, "IpAddress", i, address)
            if n.gateways:
                routes = _sub(iface, "Routes")
                for i, (gw, prefix) in enumerate(n.gateways, start=1):
                    route = _sub(routes, "Route", **_ADD)
                    _sub(route, "Identifier", i)
                    _sub(route, "Metric", 10 * i)
                    _sub(route, "NextHopAddress", gw)
                    _sub(route, "Prefix", prefix)

    dns_nics = [n for n in u.nics if n.dns_servers or n.dns_domain]
    if u.dns_suffixes or dns_nics:
        dns = _component(spec_pass, "Microsoft-Windows-DNS-Client")
        if u.dns_suffixes:
            order = _sub(dns, "DNSSuffixSearchOrder")
            for i, s in enumerate(u.dns_suffixes, start=1):
                _keyed(order, "DomainName", i, s)
        if dns_nics:
            ifaces = _sub(dns, "Interfaces")
            for n in dns_nics:
                iface = _sub(ifaces, "Interface", **_ADD)
                if n.dns_domain:
                    _sub(iface, "DNSDomain", n.dns_domain)
                if n.dns_servers:
                    order = _sub(iface, "DNSServerSearchOrder")
                    for i, s in enumerate(n.dns_servers, start=1):
                        _keyed(order, "IpAddress", i, s)
                _sub(iface, "Identifier", n.identifier)

    netbt = [n for n in u.nics if n.wins or n.netbios is not None]
    if netbt:
        ifaces = _sub(_component(spec_pass, "Microsoft-Windows-NetBT"), "Interfaces")
        for n in netbt:
            iface = _sub(ifaces, "Interface", **_ADD)
            if n.wins:
                servers = _sub(iface, "NameServerList")
                for i, w in enumerate(n.wins, start=1):
                    _keyed(servers, "IpAddress", i, w)
            if n.netbios is not None:
                _sub(iface, "NetbiosOptions", n.netbios)
            _sub(iface, "Identifier", n.identifier)


def _oobe(root: ET.Element, u: Unattend) -> None:
    oobe_pass = _sub(root, "settings", **{"pass": "oobeSystem"})
    shell = _component(oobe_pass, "Microsoft-Windows-Shell-Setup")
    if u.auto_logon_count is not None:
        auto = _sub(shell, "AutoLogon")
        _sub(auto, "Enabled", True)
        _sub(auto, "LogonCount", max(1, u.auto_logon_count))
        _secret(auto, "Password", u.admin_password)
        _sub(auto, "Username", ADMINISTRATOR)
    if u.commands:
        first = _sub(shell, "FirstLogonCommands")
        for i, cmd in enumerate(u.commands, start=1):
            sync = _sub(first, "SynchronousCommand", **_ADD)
            _sub(sync, "CommandLine", cmd)
            _sub(sync, "Description", f"guiRunOnce command {i}")
            _sub(sync, "Order", i)
    oobe = _sub(shell, "OOBE")
    for tag in (
        "HideEULAPage",
        "HideLocalAccountScreen",
        "HideOEMRegistrationScreen",
        "HideOnlineAccountScreens",
        "HideWirelessSetupInOOBE",
    ):
        _sub(oobe, tag, True)
    _sub(oobe, "NetworkLocation", "Work")
    _sub(oobe, "ProtectYourPC", 3)
    if u.organization:
        _sub(shell, "RegisteredOrganization", u.organization)
    if u.owner:
        _sub(shell, "RegisteredOwner", u.owner)
    accounts = _sub(shell, "UserAccounts")
    _secret(accounts, "AdministratorPassword", u.admin_password)
