"""CustomizationSpec checks: every problem as a vSphere fault naming its property path.

``problems(spec, target)`` lists all problems (for ``gosc spec validate``);
``validate(spec, target)`` raises the first, as vCenter does for a CustomizeGuest_Task.
Structural problems (wrong types, missing required properties) were already caught by
the codec; these are the value rules vCenter applies.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pyVmomi import vim, vmodl

from ..formats import custcfg
from ..formats.rules import domain_problem, host_label_problem
from ..formats.timezones import iana_zones
from ..vim.faults import fault, invalid_argument, invalid_type
from ..vim.types import wsdl_name
from . import names, sysprep

C = vim.vm.customization
MAX_CLOUDINIT = 512 * 1024  # VMware's limit for metadata and for userdata
_NETBIOS_BAD = re.compile(r"[^A-Za-z0-9-]")


@dataclass(frozen=True)
class Target:
    """What a spec is checked against: the VM's NICs and guest."""

    macs: tuple[str, ...]
    guest_family: str  # "linux" or "windows"
    guest_id: str
    vm_name: str


def _ipv4(value: str | None) -> bool:
    try:
        return isinstance(ipaddress.ip_address(value or ""), ipaddress.IPv4Address)
    except ValueError:
        return False


def _ipv6(value: str | None) -> bool:
    try:
        return isinstance(ipaddress.ip_address(value or ""), ipaddress.IPv6Address)
    except ValueError:
        return False


def _netmask(value: str | None) -> bool:
    # 0.0.0.0 is a valid mask in cust.cfg's grammar but no address for a NIC to carry.
    return _ipv4(value) and value != "0.0.0.0" and custcfg.contiguous_netmask(value)  # type: ignore[arg-type]


# The abstract slots of a spec and the types that may fill them.  A body that names no
# _typeName decodes to the slot's own (abstract) type, which says nothing to act on.
IDENTITIES = (C.LinuxPrep, C.Sysprep, C.SysprepText, C.CloudinitPrep)
NAME_GENERATORS = (
    C.FixedName,
    C.VirtualMachineNameGenerator,
    C.PrefixNameGenerator,
    C.UnknownNameGenerator,
    C.CustomNameGenerator,
)
IP_GENERATORS = (C.FixedIp, C.DhcpIpGenerator, C.UnknownIpGenerator, C.CustomIpGenerator, C.DisableIpV4)
IPV6_GENERATORS = (
    C.FixedIpV6,
    C.DhcpIpV6Generator,
    C.AutoIpV6Generator,
    C.StatelessIpV6Generator,
    C.UnknownIpV6Generator,
    C.CustomIpV6Generator,
)
OPTIONS = (C.LinuxOptions, C.WinOptions)


def abstract(value: object, path: str, allowed: tuple[type, ...]) -> vmodl.MethodFault | None:
    """InvalidType when ``value`` is none of the concrete types its slot takes."""
    if value is None or isinstance(value, allowed):
        return None
    names = ", ".join(wsdl_name(t) for t in allowed)
    return invalid_type(
        path, f"{path} is a {wsdl_name(type(value))}, which is abstract: give its _typeName, one of {names}"
    )


def problems(spec: vim.vm.customization.Specification, target: Target) -> Iterator[vmodl.MethodFault]:
    slots = [abstract(spec.identity, "spec.identity", IDENTITIES), abstract(spec.options, "spec.options", OPTIONS)]
    if isinstance(spec.identity, C.LinuxPrep):
        slots.append(abstract(spec.identity.hostName, "spec.identity.hostName", NAME_GENERATORS))
    elif isinstance(spec.identity, C.Sysprep) and spec.identity.userData is not None:
        slots.append(
            abstract(spec.identity.userData.computerName, "spec.identity.userData.computerName", NAME_GENERATORS)
        )
    for i, m in enumerate(spec.nicSettingMap or []):
        path = f"spec.nicSettingMap[{i}].adapter"
        slots.append(abstract(m.adapter.ip, f"{path}.ip", IP_GENERATORS))
        for j, gen in enumerate((m.adapter.ipV6Spec.ip or []) if m.adapter.ipV6Spec else []):
            slots.append(abstract(gen, f"{path}.ipV6Spec.ip[{j}]", IPV6_GENERATORS))
    unusable = [f for f in slots if f is not None]
    if unusable:  # the rest of the checks read these slots as the concrete types
        yield from unusable
        return
    yield from _identity(spec, target)
    yield from _global_ip(spec)
    yield from _nics(spec, target)
    if spec.options is not None:
        linux_ident = isinstance(spec.identity, C.LinuxPrep | C.CloudinitPrep)
        if linux_ident and isinstance(spec.options, C.WinOptions):
            yield invalid_argument("spec.options", "WinOptions go with a Sysprep identity, not a Linux one")
        if not linux_ident and isinstance(spec.options, C.LinuxOptions):
            yield invalid_argument("spec.options", "LinuxOptions go with a LinuxPrep or CloudinitPrep identity")


def validate(spec: vim.vm.customization.Specification, target: Target) -> None:
    for problem in problems(spec, target):
        raise problem


def _uncustomizable(target: Target, why: str) -> vmodl.MethodFault:
    return fault(
        vim.fault.UncustomizableGuest, f"{why} (guest {target.guest_id})", uncustomizableGuestOS=target.guest_id
    )


def _identity(spec: vim.vm.customization.Specification, target: Target) -> Iterator[vmodl.MethodFault]:
    # The stubs call identity required; a client may still leave it out, which is what this checks.
    ident: vim.vm.customization.IdentitySettings | None = spec.identity
    windows = isinstance(ident, C.Sysprep | C.SysprepText)
    if windows and target.guest_family != "windows":
        yield _uncustomizable(target, f"a {wsdl_name(type(ident))} identity cannot customize a Linux guest")
        return
    if not windows and target.guest_family == "windows":
        yield _uncustomizable(target, "a Linux identity cannot customize a Windows guest")
        return
    if isinstance(ident, C.LinuxPrep):
        yield from _name_generator(ident.hostName, "spec.identity.hostName", windows=False)
        problem = domain_problem(ident.domain or "")
        if problem:
            yield invalid_argument("spec.identity.domain", problem)
        if ident.timeZone is not None and ident.timeZone not in iana_zones():
            yield invalid_argument(
                "spec.identity.timeZone", f"'{ident.timeZone}' is not a time zone of the IANA database"
            )
        if getattr(ident, "password", None) is not None:
            yield from _password(ident.password, "spec.identity.password")
    elif isinstance(ident, C.CloudinitPrep):
        if len(ident.metadata.encode()) > MAX_CLOUDINIT:
            yield invalid_argument(
                "spec.identity.metadata", f"cloud-init metadata is larger than {MAX_CLOUDINIT} bytes"
            )
        if ident.userdata and len(ident.userdata.encode()) > MAX_CLOUDINIT:
            yield invalid_argument(
                "spec.identity.userdata", f"cloud-init userdata is larger than {MAX_CLOUDINIT} bytes"
            )
    elif isinstance(ident, C.Sysprep):
        yield from sysprep.problems(ident)
    elif isinstance(ident, C.SysprepText):
        yield from sysprep.text_problems(ident)
    elif ident is None:
        yield invalid_argument("spec.identity", "a customization spec needs an identity")


def _name_generator(gen: object, path: str, *, windows: bool) -> Iterator[vmodl.MethodFault]:
    if isinstance(gen, C.FixedName):
        problem = host_label_problem(gen.name or "")
        if problem:
            yield invalid_argument(path, problem)
    elif isinstance(gen, C.PrefixNameGenerator):
        # the generated suffix is digits: the base must leave room for at least one
        problem = host_label_problem((gen.base or "") + "0")
        if problem:
            yield invalid_argument(path, problem.replace("'" + (gen.base or "") + "0'", f"'{gen.base}'"))
    elif (outside := names.needs_outside_value(gen, path)) is not None:
        yield outside


def _password(pw: object, path: str) -> Iterator[vmodl.MethodFault]:
    if not pw.plainText:  # type: ignore[attr-defined]
        yield fault(
            vim.fault.CannotDecryptPasswords,
            f"{path} is encrypted; gosc accepts only plainText passwords (sent over TLS)",
        )


def _global_ip(spec: vim.vm.customization.Specification) -> Iterator[vmodl.MethodFault]:
    g = spec.globalIPSettings
    for i, server in enumerate(g.dnsServerList or []):
        if not (_ipv4(server) or _ipv6(server)):
            yield invalid_argument(f"spec.globalIPSettings.dnsServerList[{i}]", f"'{server}' is not an IP address")
    for i, suffix in enumerate(g.dnsSuffixList or []):
        problem = domain_problem(suffix) if suffix else "a DNS suffix must not be empty"
        if problem:
            yield invalid_argument(f"spec.globalIPSettings.dnsSuffixList[{i}]", problem)


def _nics(spec: vim.vm.customization.Specification, target: Target) -> Iterator[vmodl.MethodFault]:
    maps = list(spec.nicSettingMap or [])
    cloudinit = isinstance(spec.identity, C.CloudinitPrep)
    if not (cloudinit and not maps) and len(maps) != len(target.macs):
        yield fault(
            vim.fault.NicSettingMismatch,
            f"The spec has {len(maps)} NIC setting(s) but the virtual machine has {len(target.macs)} NIC(s).",
            numberOfNicsInSpec=len(maps),
            numberOfNicsInVM=len(target.macs),
        )
        return
    for i, m in enumerate(maps):
        path = f"spec.nicSettingMap[{i}]"
        if m.macAddress and m.macAddress.lower() not in target.macs:
            yield invalid_argument(
                f"{path}.macAddress", f"'{m.macAddress}' is not the MAC of a NIC of {target.vm_name}"
            )
        yield from _adapter(m.adapter, f"{path}.adapter")


def _adapter(a: object, path: str) -> Iterator[vmodl.MethodFault]:
    ip = a.ip  # type: ignore[attr-defined]
    if isinstance(ip, C.FixedIp):
        if not _ipv4(ip.ipAddress):
            yield invalid_argument(f"{path}.ip.ipAddress", f"'{ip.ipAddress}' is not an IPv4 address")
        if not _netmask(a.subnetMask):  # type: ignore[attr-defined]
            yield invalid_argument(f"{path}.subnetMask", f"'{a.subnetMask}' is not an IPv4 netmask")  # type: ignore[attr-defined]
    elif isinstance(ip, C.UnknownIpGenerator | C.CustomIpGenerator):
        yield fault(
            vim.fault.IpHostnameGeneratorError,
            f"{path}.ip is {wsdl_name(type(ip))}, which needs an address from outside the spec; "
            "CustomizeGuest_Task has no way to ask for it",
        )
    for i, gw in enumerate(a.gateway or []):  # type: ignore[attr-defined]
        if not _ipv4(gw):
            yield invalid_argument(f"{path}.gateway[{i}]", f"'{gw}' is not an IPv4 address")
    for i, server in enumerate(a.dnsServerList or []):  # type: ignore[attr-defined]
        if not (_ipv4(server) or _ipv6(server)):
            yield invalid_argument(f"{path}.dnsServerList[{i}]", f"'{server}' is not an IP address")
    v6 = a.ipV6Spec  # type: ignore[attr-defined]
    if v6 is not None:
        for i, gen in enumerate(v6.ip or []):
            if isinstance(gen, C.FixedIpV6):
                if not _ipv6(gen.ipAddress):
                    yield invalid_argument(
                        f"{path}.ipV6Spec.ip[{i}].ipAddress", f"'{gen.ipAddress}' is not an IPv6 address"
                    )
                if not 1 <= gen.subnetMask <= 128:
                    yield invalid_argument(f"{path}.ipV6Spec.ip[{i}].subnetMask", "an IPv6 prefix length is 1 to 128")
            elif isinstance(gen, C.UnknownIpV6Generator | C.CustomIpV6Generator):
                yield fault(
                    vim.fault.IpHostnameGeneratorError,
                    f"{path}.ipV6Spec.ip[{i}] needs an address from outside the spec",
                )
        for i, gw in enumerate(v6.gateway or []):
            if not _ipv6(gw):
                yield invalid_argument(f"{path}.ipV6Spec.gateway[{i}]", f"'{gw}' is not an IPv6 address")
