"""The privilege catalogue: every privilege pyVmomi's type tables name for a method or a
property, and those gosc checks by hand where the tables leave a method's privilege to
the server (SetEntityPermissions, SetField...).  AuthorizationManager.privilegeList
answers it and the Admin role holds all of it."""

from __future__ import annotations

import re
from functools import lru_cache

from pyVmomi import VmomiSupport

CHECKED_BY_GOSC = frozenset(
    {
        "Authorization.ModifyPermissions",
        "Global.SetCustomField",
        "Global.Settings",
        "Global.CancelTask",
        "Global.Diagnostics",
        "Sessions.TerminateSession",
        "VirtualMachine.Provisioning.Customize",
    }
)

# A privilege id: dotted identifiers, at least two (``System.View``, ``VirtualMachine.Interact.PowerOn``).
_PRIVILEGE = re.compile(r"[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+")


def well_formed(privilege: str) -> bool:
    return _PRIVILEGE.fullmatch(privilege) is not None


@lru_cache(maxsize=1)
def catalogue() -> frozenset[str]:
    found: set[str] = set(CHECKED_BY_GOSC)
    for name in list(VmomiSupport._managedDefMap):
        cls = VmomiSupport.GetVmodlType(name)
        for info in getattr(cls, "_methodInfo", {}).values():
            if info.privId:
                found.add(info.privId)
        for prop in getattr(cls, "_propInfo", {}).values():
            if prop.privId:
                found.add(prop.privId)
    return frozenset(p for p in found if well_formed(p))
