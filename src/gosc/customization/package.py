"""A CustomizationSpec, for one VM, as the deploy package vCenter hands the guest.

``to_custcfg`` is vCenter's rendering of a Linux spec into the cust.cfg model;
``build_package`` adds nics.txt, cloud-init data, the script, the configParams, and
wraps them in VMware's deploy package format.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyVmomi import vim

from ..formats import custcfg, deploypkg, rules
from ..formats.custcfg_model import CustConfig, Ipv6Address, Nic
from . import names, sysprep, unattend
from .adapters import ordered_adapters

C = vim.vm.customization
SCRIPT_NAME = "customize.sh"


@dataclass(frozen=True)
class VmFacts:
    """What the package needs to know of the VM."""

    name: str
    macs: tuple[str, ...]
    instance_uuid: str


def _nic(index: int, mac: str, adapter: Any) -> Nic:
    nic = Nic(name=rules.custcfg_nic_name(index), mac=mac.lower())
    ip = adapter.ip
    if isinstance(ip, C.FixedIp):
        nic.bootproto, nic.ipaddr, nic.netmask = "static", ip.ipAddress, adapter.subnetMask
    elif isinstance(ip, C.DisableIpV4):
        nic.ipv4_mode = "DISABLED"
    else:  # DhcpIpGenerator
        nic.bootproto = "dhcp"
    nic.gateways = list(adapter.gateway or [])
    v6 = adapter.ipV6Spec
    if v6 is not None:
        gateways = list(v6.gateway or [])
        for i, gen in enumerate(g for g in v6.ip or [] if isinstance(g, C.FixedIpV6)):
            nic.ipv6.append(Ipv6Address(gen.ipAddress, int(gen.subnetMask), gateways[i] if i < len(gateways) else None))
        if any(isinstance(g, C.DhcpIpV6Generator) for g in v6.ip or []):
            nic.ipv6_mode = "dhcp"
        elif any(isinstance(g, C.AutoIpV6Generator | C.StatelessIpV6Generator) for g in v6.ip or []):
            nic.ipv6_mode = "auto"
    return nic


def to_custcfg(spec: Any, vm: VmFacts, host_name: str, marker_id: str) -> CustConfig:
    ident = spec.identity
    nics = [_nic(i, mac, adapter) for i, (mac, adapter) in enumerate(ordered_adapters(spec, vm.macs), start=1)]
    # cust.cfg names the primary NIC (PRIMARY = yes), chosen by the one rule both sides share.
    primary = rules.primary_nic(nics)
    if primary is not None:
        primary.primary = True
    g = spec.globalIPSettings
    cfg = CustConfig(
        hostname=host_name,
        nics=nics,
        marker_id=marker_id,
        post_gc_status=True,
        instance_id=vm.instance_uuid,
        dns_servers=list(g.dnsServerList or []) or None,
        dns_suffixes=list(g.dnsSuffixList or []) or None,
    )
    cfg.dns_from_dhcp = not cfg.dns_servers and any(n.ipv4_dhcp for n in nics)
    if isinstance(ident, C.LinuxPrep):
        cfg.domainname = ident.domain or ""
        cfg.timezone = ident.timeZone
        cfg.utc = ident.hwClockUTC
        password: vim.vm.customization.Password | None = getattr(ident, "password", None)
        if password is not None:
            cfg.admin_password = password.value
        cfg.reset_password = bool(getattr(ident, "resetPassword", False))
        if ident.scriptText:
            cfg.script_name = SCRIPT_NAME
    elif isinstance(ident, C.CloudinitPrep):
        cfg.cloudinit_metadata = "metadata"
        cfg.cloudinit_userdata = "userdata" if ident.userdata else None
    return cfg


def host_name_for(spec: Any, vm: VmFacts, taken: Callable[[str], bool]) -> str:
    ident = spec.identity
    if isinstance(ident, C.LinuxPrep):
        return names.generate(ident.hostName, vm.name, taken)
    if isinstance(ident, C.Sysprep):
        return names.generate(ident.userData.computerName, vm.name, taken, limit=sysprep.MAX_COMPUTER_NAME)
    return names.from_vm_name(vm.name)


def build_package(spec: Any, vm: VmFacts, host_name: str, config_params: list[Any] | None = None) -> bytes:
    """The deploy package for ``spec`` on ``vm`` (secrets inside: hand it only to the guest)."""
    ident = spec.identity
    files: dict[str, bytes] = {}
    marker = secrets.token_hex(8)
    if isinstance(ident, C.Sysprep | C.SysprepText):
        files["sysprep.xml"] = (
            unattend.render_sysprep_text(ident)
            if isinstance(ident, C.SysprepText)
            else unattend.render_unattend(spec, computer_name=host_name, macs=list(vm.macs))
        )
    cfg = to_custcfg(spec, vm, host_name, marker)
    files["cust.cfg"] = custcfg.render(cfg).encode()
    files["nics.txt"] = deploypkg.nics_txt([n.mac for n in cfg.nics] or [m.lower() for m in vm.macs])
    if isinstance(ident, C.LinuxPrep) and ident.scriptText:
        files[SCRIPT_NAME] = ident.scriptText.encode()
    if isinstance(ident, C.CloudinitPrep):
        files["metadata"] = ident.metadata.encode()
        if ident.userdata:
            files["userdata"] = ident.userdata.encode()
    if config_params:
        files["guestinfo"] = json.dumps(
            {o.key: "" if o.value is None else str(o.value) for o in config_params}
        ).encode()
    flags = deploypkg.FLAG_RAW_CLOUD_INIT if isinstance(ident, C.CloudinitPrep) else 0
    return deploypkg.build(files, flags=flags)
