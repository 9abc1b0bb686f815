"""Windows identities: what vCenter would refuse in a CustomizationSysprep / SysprepText.

``problems(ident)`` and ``text_problems(ident)`` list the problems as faults naming the
property path.  The answer file itself is rendered by gosc.customization.unattend.
Nothing in this module logs a password, and no fault message quotes one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pyVmomi import vim, vmodl

from ..formats.answerfile import safe_parse
from ..formats.rules import domain_problem
from ..formats.timezones import time_zone_name
from ..vim.faults import fault, invalid_argument
from ..vim.types import wsdl_name
from . import names

C = vim.vm.customization

MAX_COMPUTER_NAME = 15  # NetBIOS name limit
MAX_WORKGROUP = 15
_COMPUTER_NAME = re.compile(r"^[A-Za-z0-9-]+$")
_PRODUCT_KEY = re.compile(r"^[A-Za-z0-9]{5}(?:-[A-Za-z0-9]{5}){4}$")
_WORKGROUP_BAD = re.compile(r'[\\/:*?"<>|]')


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
    # The stubs call these required; a client may still leave them out, which is what this checks.
    gui: vim.vm.customization.GuiUnattended | None = ident.guiUnattended
    user: vim.vm.customization.UserData | None = ident.userData
    idn: vim.vm.customization.Identification | None = ident.identification
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


def text_problems(ident: vim.vm.customization.SysprepText) -> Iterator[vmodl.MethodFault]:
    value = ident.value or ""
    if not value.strip():
        yield invalid_argument("spec.identity.value", "the sysprep answer file is empty")
        return
    try:
        safe_parse(value)
    except ValueError as e:
        yield invalid_argument("spec.identity.value", f"the sysprep answer file is not usable: {e}")
