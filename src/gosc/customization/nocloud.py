"""A CustomizationSpec read for a cloud-init NoCloud seed (gosc.formats.nocloud.SeedInput).

The spec goes through the same validation and the same cust.cfg rendering as a
customization (gosc.customization.validation, package.to_custcfg): a seed says what the
deploy package would say.  What needs a value from outside the spec (UnknownName,
CustomName, UnknownIp, CustomIp, a VirtualMachineName without the VM's name, a password
encrypted by another vCenter) and what cloud-init has no place for (most of Sysprep) is
a Gap, never a guess: the NIC of an UnknownIp gets no IPv4 setting at all.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pyVmomi import vim

from ..formats.custcfg_model import CustConfig
from ..formats.nocloud import Gap, SeedInput
from ..formats.rules import HOST_LABEL_MAX
from ..formats.timezones import time_zone_name
from ..vim import json_codec
from ..vim import types as T
from ..vim.types import wsdl_name
from . import names, package, sysprep, validation
from .adapters import ordered_adapters

C = vim.vm.customization
OUTSIDE_NAMES = (C.UnknownNameGenerator, C.CustomNameGenerator)
OUTSIDE_IPS = (C.UnknownIpGenerator, C.CustomIpGenerator)
OUTSIDE_IPV6 = (C.UnknownIpV6Generator, C.CustomIpV6Generator)
# Problems a seed reports as gaps instead of refusing the spec.
_GAP_FAULTS = (vim.fault.IpHostnameGeneratorError, vim.fault.CannotDecryptPasswords)


def placeholder_macs(count: int) -> tuple[str, ...]:
    """MACs standing for NICs that are only known by their order (no --mac)."""
    return tuple(f"00:00:00:00:00:{i:02x}" for i in range(1, count + 1))


def instance_id_for(spec: vim.vm.customization.Specification) -> str:
    """A stable instance-id: the same spec (whatever form it came in, passwords aside)
    gives the same id, a changed spec a new one (cloud-init runs per instance)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get("_typeName") == "CustomizationPassword":
                return None
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    doc = strip(json_codec.encode(spec, T.NEWEST_VERSION))
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
    return f"iid-gosc-{digest[:16]}"


def _password(pw: Any, path: str, gaps: list[Gap]) -> str | None:
    if pw is None:
        return None
    if not pw.plainText:
        gaps.append(Gap(path, "encrypted with the key of the vCenter that exported it; gosc cannot decrypt it"))
        return None
    value: str = pw.value
    return value


def _host_name(gen: Any, path: str, vm_name: str | None, limit: int, gaps: list[Gap]) -> str | None:
    if isinstance(gen, OUTSIDE_NAMES):
        gaps.append(Gap(path, f"{wsdl_name(type(gen))} needs a name from outside the spec (given at deployment)"))
        return None
    if isinstance(gen, C.VirtualMachineNameGenerator) and vm_name is None:
        gaps.append(Gap(path, "CustomizationVirtualMachineName needs the VM's name (--vm-name)"))
        return None
    return names.generate(gen, vm_name or "", lambda _name: False, limit=limit)


def _set(value: Any) -> bool:
    return value not in (None, "", [], False)


def _sysprep_gaps(ident: Any, gaps: list[Gap]) -> None:
    path = "spec.identity"
    gui, user, ident_ = ident.guiUnattended, ident.userData, ident.identification
    unsupported = "has no cloud-init equivalent"
    for name in ("autoLogon", "autoLogonCount"):
        if _set(getattr(gui, name, None)) and (name == "autoLogon" or gui.autoLogon):
            gaps.append(Gap(f"{path}.guiUnattended.{name}", unsupported))
    if gui is not None and gui.timeZone is not None:
        zone = time_zone_name(gui.timeZone) or f"index {gui.timeZone}"
        gaps.append(Gap(f"{path}.guiUnattended.timeZone", f"Windows zone '{zone}' has no IANA name to give cloud-init"))
    for name in ("fullName", "orgName", "productId"):
        if user is not None and _set(getattr(user, name, None)):
            gaps.append(Gap(f"{path}.userData.{name}", unsupported))
    for name in ("joinWorkgroup", "joinDomain", "domainAdmin", "domainAdminPassword", "domainOU"):
        if ident_ is not None and _set(getattr(ident_, name, None)):
            gaps.append(Gap(f"{path}.identification.{name}", unsupported))
    for name in ("licenseFilePrintData", "scriptText"):
        if _set(getattr(ident, name, None)):
            gaps.append(Gap(f"{path}.{name}", unsupported))


def _options_gaps(spec: Any, gaps: list[Gap]) -> None:
    opts = spec.options
    if isinstance(opts, C.WinOptions):
        if opts.changeSID:
            gaps.append(Gap("spec.options.changeSID", "a new SID is sysprep's; cloud-init has no equivalent"))
        if opts.deleteAccounts:
            gaps.append(Gap("spec.options.deleteAccounts", "has no cloud-init equivalent"))
        if opts.reboot not in (None, "reboot"):
            gaps.append(Gap("spec.options.reboot", f"'{opts.reboot}' has no cloud-init equivalent"))


def _nic_gaps(spec: Any, cfg: CustConfig, macs: tuple[str, ...], gaps: list[Gap]) -> None:
    maps = list(spec.nicSettingMap or [])
    index = {id(m.adapter): i for i, m in enumerate(maps)}
    for (_, adapter), nic in zip(ordered_adapters(spec, macs), cfg.nics, strict=True):
        path = f"spec.nicSettingMap[{index[id(adapter)]}].adapter"
        if isinstance(adapter.ip, OUTSIDE_IPS):
            nic.ipv4_mode, nic.bootproto = "AS_IS", "static"  # say nothing: not dhcp, not a guess
            gaps.append(Gap(f"{path}.ip", f"{wsdl_name(type(adapter.ip))} needs an address from outside the spec"))
        for j, gen in enumerate((adapter.ipV6Spec.ip or []) if adapter.ipV6Spec else []):
            if isinstance(gen, OUTSIDE_IPV6):
                gaps.append(Gap(f"{path}.ipV6Spec.ip[{j}]", f"{wsdl_name(type(gen))} needs an address from outside"))
        for name in ("dnsServerList", "dnsDomain", "primaryWINS", "secondaryWINS", "netBIOS"):
            if _set(getattr(adapter, name, None)):
                gaps.append(
                    Gap(f"{path}.{name}", "per-NIC DNS, WINS and NetBIOS are not rendered (as gosc's engine does)")
                )


def plan(
    spec: vim.vm.customization.Specification,
    *,
    macs: tuple[str, ...] = (),
    iface_names: tuple[str | None, ...] = (),
    vm_name: str | None = None,
    instance_id: str | None = None,
) -> SeedInput:
    """The seed's input for ``spec``; the first problem that is not a gap is raised as the
    fault validation gives it (a typo in an address refuses the spec, it is no gap)."""
    ident = spec.identity
    windows = isinstance(ident, C.Sysprep | C.SysprepText)
    by_mac = bool(macs)
    nic_macs = tuple(m.lower() for m in macs) or placeholder_macs(len(spec.nicSettingMap or []))
    family = "windows" if windows else "linux"
    target = validation.Target(nic_macs, family, f"{family}Guest", vm_name or "vm")
    for problem in validation.problems(spec, target):
        if not isinstance(problem, _GAP_FAULTS):
            raise problem
    gaps: list[Gap] = []
    notes: list[str] = []
    host: str | None = None
    if isinstance(ident, C.LinuxPrep):
        host = _host_name(ident.hostName, "spec.identity.hostName", vm_name, HOST_LABEL_MAX, gaps)
    elif isinstance(ident, C.Sysprep):
        computer = ident.userData.computerName
        path = "spec.identity.userData.computerName"
        host = _host_name(computer, path, vm_name, sysprep.MAX_COMPUTER_NAME, gaps)
    facts = package.VmFacts(vm_name or "vm", nic_macs, "")
    cfg = package.to_custcfg(spec, facts, host or "", "")
    cfg.hostname = host
    cfg.instance_id = None
    _nic_gaps(spec, cfg, nic_macs, gaps)
    seed = SeedInput(cfg, instance_id or instance_id_for(spec), by_mac=by_mac, windows=windows)
    for i, mac in enumerate(nic_macs):
        given = iface_names[i] if i < len(iface_names) else None
        seed.names[mac] = given or f"eth{i}"
    if not by_mac and nic_macs:
        notes.append(
            "no MACs given: interfaces are matched by name in order ("
            + ", ".join(f"{seed.names[m]} for spec.nicSettingMap[{i}]" for i, m in enumerate(nic_macs))
            + ")"
        )
    if isinstance(ident, C.LinuxPrep):
        cfg.admin_password = _password(ident.password, "spec.identity.password", gaps)
        seed.script = ident.scriptText or None
        for i, _ in enumerate(ident.extraConfig or []):
            gaps.append(Gap(f"spec.identity.extraConfig[{i}]", "has no cloud-init equivalent"))
    elif isinstance(ident, C.Sysprep):
        cfg.admin_password = _password(ident.guiUnattended.password, "spec.identity.guiUnattended.password", gaps)
        cfg.reset_password = bool(ident.resetPassword)
        seed.run_once = list(ident.guiRunOnce.commandList) if ident.guiRunOnce else []
        _sysprep_gaps(ident, gaps)
    elif isinstance(ident, C.SysprepText):
        gaps.append(Gap("spec.identity.value", "a Windows answer file has no cloud-init equivalent"))
    elif isinstance(ident, C.CloudinitPrep):
        seed.raw_metadata, seed.raw_userdata = ident.metadata, ident.userdata or None
        notes.append("CloudinitPrep: its metadata and userdata are cloud-init's own and pass into the seed")
    _options_gaps(spec, gaps)
    seed.gaps, seed.notes = gaps, notes
    return seed


def dns_gap(seed: SeedInput, carried: bool) -> None:
    """network-config carries the global DNS settings on one interface (as netplan does):
    when that interface has nothing else to say (its address comes from outside the spec),
    the DNS settings are not in the seed either."""
    g = seed.cfg
    if (g.dns_servers or g.dns_suffixes) and not carried:
        seed.gaps.append(
            Gap("spec.globalIPSettings", "DNS settings go on the DNS interface, which the seed cannot configure")
        )
