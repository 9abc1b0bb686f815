"""Windows identities: CustomizationSysprep checks and the unattend answer file.

``problems(ident)`` and ``text_problems(ident)`` list what vCenter would refuse in a
Sysprep / SysprepText identity, as faults naming the property path.

``render_unattend(spec, computer_name=, macs=)`` writes what vCenter writes for a Vista+
guest: an answer file in Microsoft's unattend schema (namespace
``urn:schemas-microsoft-com:unattend``) with two passes:

* ``specialize``: Microsoft-Windows-Shell-Setup (ComputerName, TimeZone, ProductKey),
  Microsoft-Windows-UnattendedJoin (workgroup or domain join), Microsoft-Windows-TCPIP
  (static IPv4/IPv6 per NIC, keyed by the NIC's MAC in Windows' ``00-50-56-..`` form),
  Microsoft-Windows-DNS-Client (suffix search order, per-NIC servers and domain) and
  Microsoft-Windows-NetBT (per-NIC WINS servers and NetBIOS mode);
* ``oobeSystem``: Microsoft-Windows-Shell-Setup (administrator password, AutoLogon,
  FirstLogonCommands from guiRunOnce, OOBE pages hidden, RegisteredOwner/Organization).

``GuiUnattended.timeZone`` is a Microsoft time zone *index*; Vista+ unattend wants the
time zone's registry name, so the index goes through ``WINDOWS_TIME_ZONES``.

Secrets: the administrator and domain passwords go into the file in plain text (with
``<PlainText>true</PlainText>`` where the schema has it); Windows setup masks them once
it has used them.  Nothing in this module logs a password, and no fault message quotes one.
"""

from __future__ import annotations

import ipaddress
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from pyVmomi import vim, vmodl

from ..vim.faults import fault, invalid_argument
from ..vim.types import wsdl_name
from . import names

C = vim.vm.customization

UNATTEND_NS = "urn:schemas-microsoft-com:unattend"
WCM_NS = "http://schemas.microsoft.com/WMIConfig/2002/State"
ARCH = "amd64"
PUBLIC_KEY_TOKEN = "31bf3856ad364e35"
ADMINISTRATOR = "Administrator"

MAX_COMPUTER_NAME = 15  # NetBIOS name limit
MAX_WORKGROUP = 15
_COMPUTER_NAME = re.compile(r"^[A-Za-z0-9-]+$")
_PRODUCT_KEY = re.compile(r"^[A-Za-z0-9]{5}(?:-[A-Za-z0-9]{5}){4}$")
_WORKGROUP_BAD = re.compile(r'[\\/:*?"<>|]')
_UNSAFE_XML = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)

# Microsoft's time zone index table (the values GuiUnattended.timeZone takes), mapped to
# the registry name of the zone that unattend's TimeZone setting wants on Vista and later.
# Where the index table's label is not a registry name on current Windows, the comment
# gives the label and the name is the zone Windows uses for it today.
WINDOWS_TIME_ZONES: dict[int, str] = {
    0: "Dateline Standard Time",
    1: "UTC-11",  # "Samoa Standard Time" (GMT-11, Midway); that name is UTC+13 today
    2: "Hawaiian Standard Time",
    3: "Alaskan Standard Time",
    4: "Pacific Standard Time",
    10: "Mountain Standard Time",
    13: "Mountain Standard Time (Mexico)",  # "Mexico Standard Time 2"
    15: "US Mountain Standard Time",  # "U.S. Mountain Standard Time"
    20: "Central Standard Time",
    25: "Canada Central Standard Time",
    30: "Central Standard Time (Mexico)",  # "Mexico Standard Time"
    33: "Central America Standard Time",
    35: "Eastern Standard Time",
    40: "US Eastern Standard Time",  # "U.S. Eastern Standard Time"
    45: "SA Pacific Standard Time",  # "S.A. Pacific Standard Time"
    50: "Atlantic Standard Time",
    55: "SA Western Standard Time",  # "S.A. Western Standard Time"
    56: "Pacific SA Standard Time",  # "Pacific S.A. Standard Time"
    60: "Newfoundland Standard Time",  # "Newfoundland and Labrador Standard Time"
    65: "E. South America Standard Time",
    70: "SA Eastern Standard Time",  # "S.A. Eastern Standard Time"
    73: "Greenland Standard Time",
    75: "Mid-Atlantic Standard Time",
    80: "Azores Standard Time",
    83: "Cape Verde Standard Time",
    85: "GMT Standard Time",
    90: "Greenwich Standard Time",
    95: "Central Europe Standard Time",
    100: "Central European Standard Time",
    105: "Romance Standard Time",
    110: "W. Europe Standard Time",
    113: "W. Central Africa Standard Time",
    115: "E. Europe Standard Time",
    120: "Egypt Standard Time",
    125: "FLE Standard Time",
    130: "GTB Standard Time",
    135: "Israel Standard Time",
    140: "South Africa Standard Time",
    145: "Russian Standard Time",
    150: "Arab Standard Time",
    155: "E. Africa Standard Time",
    158: "Arabic Standard Time",
    160: "Iran Standard Time",
    165: "Arabian Standard Time",
    170: "Caucasus Standard Time",
    175: "Afghanistan Standard Time",  # "Transitional Islamic State of Afghanistan Standard Time"
    180: "Ekaterinburg Standard Time",
    185: "West Asia Standard Time",
    190: "India Standard Time",
    193: "Nepal Standard Time",
    195: "Central Asia Standard Time",
    200: "Sri Lanka Standard Time",
    201: "N. Central Asia Standard Time",
    203: "Myanmar Standard Time",
    205: "SE Asia Standard Time",  # "S.E. Asia Standard Time"
    207: "North Asia Standard Time",
    210: "China Standard Time",
    215: "Singapore Standard Time",
    220: "Taipei Standard Time",
    225: "W. Australia Standard Time",
    227: "North Asia East Standard Time",
    230: "Korea Standard Time",
    235: "Tokyo Standard Time",
    240: "Yakutsk Standard Time",
    245: "AUS Central Standard Time",  # "A.U.S. Central Standard Time"
    250: "Cen. Australia Standard Time",
    255: "AUS Eastern Standard Time",  # "A.U.S. Eastern Standard Time"
    260: "E. Australia Standard Time",
    265: "Tasmania Standard Time",
    270: "Vladivostok Standard Time",
    275: "West Pacific Standard Time",
    280: "Central Pacific Standard Time",
    285: "Fiji Standard Time",  # "Fiji Islands Standard Time"
    290: "New Zealand Standard Time",
    300: "Tonga Standard Time",
    0x80000040: "Azerbaijan Standard Time",
    0x80000041: "Middle East Standard Time",
    0x80000042: "Jordan Standard Time",
    0x80000043: "Central Standard Time (Mexico)",
    0x80000044: "Mountain Standard Time (Mexico)",
    0x80000045: "Pacific Standard Time (Mexico)",
    0x80000046: "Namibia Standard Time",
    0x80000047: "Georgian Standard Time",
    0x80000048: "Central Brazilian Standard Time",
    0x80000049: "Montevideo Standard Time",
    0x8000004A: "Armenian Standard Time",
    0x8000004B: "Venezuela Standard Time",
    0x8000004C: "Argentina Standard Time",
    0x8000004D: "Morocco Standard Time",
    0x8000004E: "Pakistan Standard Time",
    0x8000004F: "Mauritius Standard Time",
    0x80000050: "UTC",
    0x80000051: "Paraguay Standard Time",
    0x80000052: "Kamchatka Standard Time",
}


def time_zone_name(index: int | None) -> str | None:
    """The Windows time zone name for a Microsoft time zone index.  ``timeZone`` is an
    xsd:int, so the 0x8000004x indexes may arrive as their signed 32-bit values."""
    if index is None:
        return None
    index = int(index)
    if index < 0:
        index += 1 << 32
    return WINDOWS_TIME_ZONES.get(index)


def mac_identifier(mac: str) -> str:
    """A MAC as Windows names an interface by it: ``00-50-56-0A-0B-0C``."""
    digits = re.sub(r"[^0-9A-Fa-f]", "", mac)
    if len(digits) != 12:
        raise ValueError(f"'{mac}' is not a MAC address")
    return "-".join(digits[i : i + 2] for i in range(0, 12, 2)).upper()


# ---------------------------------------------------------------- validation


def computer_name_problem(name: str) -> str | None:
    if not name:
        return "a computer name must not be empty"
    if len(name) > MAX_COMPUTER_NAME:
        return f"'{name}' is longer than {MAX_COMPUTER_NAME} characters"
    if not _COMPUTER_NAME.match(name):
        return f"'{name}' may contain only letters, digits and hyphens"
    if name.isdigit():
        return f"'{name}' is all digits; a computer name needs a letter or a hyphen"
    return None


def _computer_name(gen: object, path: str) -> Iterator[vmodl.MethodFault]:
    if gen is None:
        yield invalid_argument(path, "a Sysprep identity needs a computer name generator")
    elif isinstance(gen, C.FixedName):
        problem = computer_name_problem(gen.name or "")
        if problem:
            yield invalid_argument(path, problem)
    elif isinstance(gen, C.PrefixNameGenerator):
        base = gen.base or ""
        if len(base) >= MAX_COMPUTER_NAME:
            yield invalid_argument(
                path,
                f"the prefix '{base}' leaves no room for a number in a {MAX_COMPUTER_NAME}-character computer name",
            )
        elif base and not _COMPUTER_NAME.match(base):
            yield invalid_argument(path, f"the prefix '{base}' may contain only letters, digits and hyphens")
        elif base.isdigit() or not base:
            yield invalid_argument(
                path,
                "the prefix needs a letter or a hyphen: a generated name of digits only is not a valid computer name",
            )
    elif (outside := names.needs_outside_value(gen, path)) is not None:
        yield outside
    elif not isinstance(gen, C.VirtualMachineNameGenerator):
        yield invalid_argument(path, f"{wsdl_name(type(gen))} is not a name generator")


def _password(pw: Any, path: str) -> Iterator[vmodl.MethodFault]:
    if pw is not None and not pw.plainText:
        yield fault(
            vim.fault.CannotDecryptPasswords,
            f"{path} is encrypted; gosc accepts only plainText passwords (sent over TLS)",
        )


def problems(ident: vim.vm.customization.Sysprep) -> Iterator[vmodl.MethodFault]:
    """Every problem of a Sysprep identity, as vSphere faults."""
    p = "spec.identity"
    gui, user, idn = ident.guiUnattended, ident.userData, ident.identification
    if user is None:
        yield invalid_argument(f"{p}.userData", "a Sysprep identity needs userData")
    else:
        yield from _computer_name(user.computerName, f"{p}.userData.computerName")
        if user.productId and not _PRODUCT_KEY.match(user.productId.strip()):
            yield invalid_argument(
                f"{p}.userData.productId",
                "a product key is five groups of five letters or digits: XXXXX-XXXXX-XXXXX-XXXXX-XXXXX",
            )
    if gui is None:
        yield invalid_argument(f"{p}.guiUnattended", "a Sysprep identity needs guiUnattended")
    else:
        if time_zone_name(gui.timeZone) is None:
            yield invalid_argument(
                f"{p}.guiUnattended.timeZone",
                f"{gui.timeZone} is not a Microsoft time zone index (e.g. 4 Pacific, 35 Eastern, 85 GMT)",
            )
        yield from _password(gui.password, f"{p}.guiUnattended.password")
        if gui.autoLogon:
            if gui.password is None:
                yield invalid_argument(
                    f"{p}.guiUnattended.password", "autoLogon needs the administrator password it logs on with"
                )
            if (gui.autoLogonCount or 0) < 1:
                yield invalid_argument(
                    f"{p}.guiUnattended.autoLogonCount", "autoLogon needs a logon count of at least 1"
                )
        elif (gui.autoLogonCount or 0) < 0:
            yield invalid_argument(f"{p}.guiUnattended.autoLogonCount", "a logon count cannot be negative")
    if idn is None:
        yield invalid_argument(f"{p}.identification", "a Sysprep identity needs identification (workgroup or domain)")
    else:
        yield from _identification(idn, f"{p}.identification")
    if ident.guiRunOnce is not None:
        for i, cmd in enumerate(ident.guiRunOnce.commandList or []):
            if not (cmd or "").strip():
                yield invalid_argument(f"{p}.guiRunOnce.commandList[{i}]", "a run-once command must not be empty")


def _identification(idn: Any, path: str) -> Iterator[vmodl.MethodFault]:
    from .validation import domain_problem

    workgroup, domain = (idn.joinWorkgroup or "").strip(), (idn.joinDomain or "").strip()
    if workgroup and domain:
        yield invalid_argument(path, "joinWorkgroup and joinDomain are exclusive: set one of them")
        return
    if not workgroup and not domain:
        yield invalid_argument(path, "set joinWorkgroup or joinDomain")
        return
    if workgroup:
        if len(workgroup) > MAX_WORKGROUP:
            yield invalid_argument(f"{path}.joinWorkgroup", f"a workgroup name is at most {MAX_WORKGROUP} characters")
        elif _WORKGROUP_BAD.search(workgroup):
            yield invalid_argument(
                f"{path}.joinWorkgroup", f"'{workgroup}' contains a character a workgroup name may not"
            )
        if getattr(idn, "domainOU", None):
            yield invalid_argument(f"{path}.domainOU", "domainOU goes with joinDomain, not with a workgroup")
        return
    problem = domain_problem(domain)
    if problem:
        yield invalid_argument(f"{path}.joinDomain", problem)
    if not (idn.domainAdmin or "").strip():
        yield invalid_argument(f"{path}.domainAdmin", "joining a domain needs the account that joins it")
    if idn.domainAdminPassword is None:
        yield invalid_argument(f"{path}.domainAdminPassword", "joining a domain needs the joining account's password")
    else:
        yield from _password(idn.domainAdminPassword, f"{path}.domainAdminPassword")


def _safe_parse(text: str) -> ET.Element:
    """Parse XML that has no DOCTYPE and no entity declarations (so no entity expansion,
    no external entities).  Raises ValueError with a message that quotes no content."""
    if _UNSAFE_XML.search(text):
        raise ValueError("DOCTYPE and ENTITY declarations are not allowed in an answer file")
    try:
        return ET.fromstring(text)
    except ET.ParseError as e:
        raise ValueError(f"not well-formed XML ({e})") from None


def text_problems(ident: vim.vm.customization.SysprepText) -> Iterator[vmodl.MethodFault]:
    value = ident.value or ""
    if not value.strip():
        yield invalid_argument("spec.identity.value", "the sysprep answer file is empty")
        return
    try:
        _safe_parse(value)
    except ValueError as e:
        yield invalid_argument("spec.identity.value", f"the sysprep answer file is not usable: {e}")


def check_answer_file(data: bytes) -> ET.Element:
    """An answer file's bytes parsed safely (for the guest side); ValueError if unusable."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the answer file is not UTF-8") from None
    return _safe_parse(text)


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


def _prefix_len(mask: str | None) -> int:
    return ipaddress.IPv4Network(f"0.0.0.0/{mask or '255.255.255.255'}").prefixlen


_NETBIOS = {"enableNetBIOSViaDhcp": 0, "enableNetBIOS": 1, "disableNetBIOS": 2}


def render_unattend(spec: vim.vm.customization.Specification, *, computer_name: str, macs: list[str]) -> bytes:
    """The unattend.xml for a Sysprep spec on a VM with NICs ``macs`` (secrets inside)."""
    from .package import ordered_adapters

    ident = spec.identity
    if not isinstance(ident, C.Sysprep):
        raise TypeError(f"render_unattend needs a Sysprep identity, not {wsdl_name(type(ident))}")
    gui, user, idn = ident.guiUnattended, ident.userData, ident.identification
    adapters = [(mac_identifier(mac), a) for mac, a in ordered_adapters(spec, tuple(m.lower() for m in macs))]
    g = spec.globalIPSettings

    ET.register_namespace("", UNATTEND_NS)
    ET.register_namespace("wcm", WCM_NS)
    root = ET.Element(_q("unattend"))

    # ---- specialize
    spec_pass = _sub(root, "settings", **{"pass": "specialize"})
    shell = _component(spec_pass, "Microsoft-Windows-Shell-Setup")
    _sub(shell, "ComputerName", computer_name)
    if user.productId:
        _sub(shell, "ProductKey", user.productId.strip().upper())
    tz = time_zone_name(gui.timeZone)
    if tz:
        _sub(shell, "TimeZone", tz)

    join = _sub(_component(spec_pass, "Microsoft-Windows-UnattendedJoin"), "Identification")
    if idn.joinDomain:
        creds = _sub(join, "Credentials")
        admin = idn.domainAdmin or ""
        cred_domain, _, cred_user = admin.rpartition("\\")
        _sub(creds, "Domain", cred_domain or idn.joinDomain)
        # UnattendedJoin's Credentials/Password is a plain string in Microsoft's schema
        _sub(creds, "Password", idn.domainAdminPassword.value if idn.domainAdminPassword else "")
        _sub(creds, "Username", cred_user)
        _sub(join, "JoinDomain", idn.joinDomain)
        if getattr(idn, "domainOU", None):
            _sub(join, "MachineObjectOU", idn.domainOU)
    else:
        _sub(join, "JoinWorkgroup", idn.joinWorkgroup or "WORKGROUP")

    tcpip_ifaces = []
    for ident_mac, a in adapters:
        v4_fixed = isinstance(a.ip, C.FixedIp)
        v6 = [x for x in (a.ipV6Spec.ip or []) if isinstance(x, C.FixedIpV6)] if a.ipV6Spec else []
        if v4_fixed or v6:
            tcpip_ifaces.append((ident_mac, a, v4_fixed, v6))
    if tcpip_ifaces:
        ifaces = _sub(_component(spec_pass, "Microsoft-Windows-TCPIP"), "Interfaces")
        for ident_mac, a, v4_fixed, v6 in tcpip_ifaces:
            iface = _sub(ifaces, "Interface", **_ADD)  # children in the schema's order
            if v4_fixed:
                _sub(_sub(iface, "Ipv4Settings"), "DhcpEnabled", False)
            if v6:
                _sub(_sub(iface, "Ipv6Settings"), "DhcpEnabled", False)
            _sub(iface, "Identifier", ident_mac)
            addrs = _sub(iface, "UnicastIpAddresses")
            n = 0
            if v4_fixed:
                n += 1
                _keyed(addrs, "IpAddress", n, f"{a.ip.ipAddress}/{_prefix_len(a.subnetMask)}")
            for x in v6:
                n += 1
                _keyed(addrs, "IpAddress", n, f"{x.ipAddress}/{int(x.subnetMask)}")
            gateways = [(gw, "0.0.0.0/0") for gw in (a.gateway or []) if v4_fixed]
            gateways += [(gw, "::/0") for gw in (a.ipV6Spec.gateway or [])] if v6 else []
            if gateways:
                routes = _sub(iface, "Routes")
                for i, (gw, prefix) in enumerate(gateways, start=1):
                    route = _sub(routes, "Route", **_ADD)
                    _sub(route, "Identifier", i)
                    _sub(route, "Metric", 10 * i)
                    _sub(route, "NextHopAddress", gw)
                    _sub(route, "Prefix", prefix)

    suffixes = list(g.dnsSuffixList or [])
    dns_ifaces = []
    for ident_mac, a in adapters:
        servers = list(a.dnsServerList or [])
        if not servers and isinstance(a.ip, C.FixedIp):
            servers = list(g.dnsServerList or [])  # a static NIC without its own list uses the global one
        if servers or a.dnsDomain:
            dns_ifaces.append((ident_mac, servers, a.dnsDomain))
    if suffixes or dns_ifaces:
        dns = _component(spec_pass, "Microsoft-Windows-DNS-Client")
        if suffixes:
            order = _sub(dns, "DNSSuffixSearchOrder")
            for i, s in enumerate(suffixes, start=1):
                _keyed(order, "DomainName", i, s)
        if dns_ifaces:
            ifaces = _sub(dns, "Interfaces")
            for ident_mac, servers, domain in dns_ifaces:
                iface = _sub(ifaces, "Interface", **_ADD)
                if domain:
                    _sub(iface, "DNSDomain", domain)
                if servers:
                    order = _sub(iface, "DNSServerSearchOrder")
                    for i, s in enumerate(servers, start=1):
                        _keyed(order, "IpAddress", i, s)
                _sub(iface, "Identifier", ident_mac)

    netbt = [(m, a) for m, a in adapters if a.primaryWINS or a.secondaryWINS or a.netBIOS]
    if netbt:
        ifaces = _sub(_component(spec_pass, "Microsoft-Windows-NetBT"), "Interfaces")
        for ident_mac, a in netbt:
            iface = _sub(ifaces, "Interface", **_ADD)
            wins = [w for w in (a.primaryWINS, a.secondaryWINS) if w]
            if wins:
                servers = _sub(iface, "NameServerList")
                for i, w in enumerate(wins, start=1):
                    _keyed(servers, "IpAddress", i, w)
            if a.netBIOS:
                _sub(iface, "NetbiosOptions", _NETBIOS[str(a.netBIOS)])
            _sub(iface, "Identifier", ident_mac)

    # ---- oobeSystem
    oobe_pass = _sub(root, "settings", **{"pass": "oobeSystem"})
    shell = _component(oobe_pass, "Microsoft-Windows-Shell-Setup")
    password = gui.password.value if gui.password is not None else ""
    if gui.autoLogon:
        auto = _sub(shell, "AutoLogon")
        _sub(auto, "Enabled", True)
        _sub(auto, "LogonCount", max(1, int(gui.autoLogonCount or 1)))
        _secret(auto, "Password", password)
        _sub(auto, "Username", ADMINISTRATOR)
    commands = list(ident.guiRunOnce.commandList or []) if ident.guiRunOnce else []
    if commands:
        first = _sub(shell, "FirstLogonCommands")
        for i, cmd in enumerate(commands, start=1):
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
    if user.orgName:
        _sub(shell, "RegisteredOrganization", user.orgName)
    if user.fullName:
        _sub(shell, "RegisteredOwner", user.fullName)
    accounts = _sub(shell, "UserAccounts")
    # An unset password means a blank one (VMware's documented meaning).
    _secret(accounts, "AdministratorPassword", password)

    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def render_sysprep_text(ident: vim.vm.customization.SysprepText) -> bytes:
    """A SysprepText identity's answer file: its value, verbatim."""
    return (ident.value or "").encode("utf-8")
