"""A CustomizationSysprep spec as the answer file vCenter writes (gosc.formats.answerfile).

``GuiUnattended.timeZone`` is a Microsoft time zone *index*; Vista+ unattend wants the
time zone's registry name, so the index goes through gosc.formats.timezones.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pyVmomi import vim

from ..formats import answerfile
from ..formats.answerfile import AnswerNic, DomainJoin, Unattend
from ..formats.timezones import time_zone_name
from ..vim.types import wsdl_name
from .adapters import ordered_adapters

C = vim.vm.customization
_NETBIOS = {"enableNetBIOSViaDhcp": 0, "enableNetBIOS": 1, "disableNetBIOS": 2}


def _prefix_len(mask: str | None) -> int:
    return ipaddress.IPv4Network(f"0.0.0.0/{mask or '255.255.255.255'}").prefixlen


def _nic(mac: str, a: Any, global_dns: list[str]) -> AnswerNic:
    nic = AnswerNic(answerfile.mac_identifier(mac))
    v4_fixed = isinstance(a.ip, C.FixedIp)
    v6 = [x for x in (a.ipV6Spec.ip or []) if isinstance(x, C.FixedIpV6)] if a.ipV6Spec else []
    if v4_fixed:
        nic.ipv4 = f"{a.ip.ipAddress}/{_prefix_len(a.subnetMask)}"
        nic.gateways += [(gw, "0.0.0.0/0") for gw in a.gateway or []]
    nic.ipv6 = [f"{x.ipAddress}/{int(x.subnetMask)}" for x in v6]
    if v6:
        nic.gateways += [(gw, "::/0") for gw in a.ipV6Spec.gateway or []]
    nic.dns_servers = list(a.dnsServerList or [])
    if not nic.dns_servers and v4_fixed:
        nic.dns_servers = list(global_dns)  # a static NIC without its own list uses the global one
    nic.dns_domain = a.dnsDomain or None
    nic.wins = [w for w in (a.primaryWINS, a.secondaryWINS) if w]
    nic.netbios = _NETBIOS[str(a.netBIOS)] if a.netBIOS else None
    return nic


def to_unattend(spec: vim.vm.customization.Specification, *, computer_name: str, macs: list[str]) -> Unattend:
    """The answer file's content for a Sysprep spec on a VM with NICs ``macs``."""
    ident = spec.identity
    if not isinstance(ident, C.Sysprep):
        raise TypeError(f"render_unattend needs a Sysprep identity, not {wsdl_name(type(ident))}")
    gui, user, idn = ident.guiUnattended, ident.userData, ident.identification
    g = spec.globalIPSettings
    u = Unattend(
        computer_name=computer_name,
        admin_password=gui.password.value if gui.password is not None else "",
        product_key=user.productId.strip().upper() if user.productId else None,
        time_zone=time_zone_name(gui.timeZone),
        dns_suffixes=list(g.dnsSuffixList or []),
        auto_logon_count=int(gui.autoLogonCount or 1) if gui.autoLogon else None,
        commands=list(ident.guiRunOnce.commandList or []) if ident.guiRunOnce else [],
        organization=user.orgName or None,
        owner=user.fullName or None,
    )
    if idn.joinDomain:
        cred_domain, _, cred_user = (idn.domainAdmin or "").rpartition("\\")
        u.domain = DomainJoin(
            domain=idn.joinDomain,
            credential_domain=cred_domain or idn.joinDomain,
            username=cred_user,
            password=idn.domainAdminPassword.value if idn.domainAdminPassword else "",
            ou=getattr(idn, "domainOU", None) or None,
        )
    else:
        u.workgroup = idn.joinWorkgroup or "WORKGROUP"
    global_dns = list(g.dnsServerList or [])
    u.nics = [_nic(mac, a, global_dns) for mac, a in ordered_adapters(spec, tuple(m.lower() for m in macs))]
    return u


def render_unattend(spec: vim.vm.customization.Specification, *, computer_name: str, macs: list[str]) -> bytes:
    """The unattend.xml for a Sysprep spec on a VM with NICs ``macs`` (secrets inside)."""
    return answerfile.render(to_unattend(spec, computer_name=computer_name, macs=macs))


def render_sysprep_text(ident: vim.vm.customization.SysprepText) -> bytes:
    """A SysprepText identity's answer file: its value, verbatim."""
    return (ident.value or "").encode("utf-8")
