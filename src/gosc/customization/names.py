"""Name generators: CustomizationFixedName, VirtualMachineName, PrefixName.

UnknownName and CustomName need a value from outside the spec; validation rejects them
before a name is ever asked for here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pyVmomi import vim, vmodl

from ..formats.rules import HOST_LABEL_MAX
from ..vim.faults import fault

C = vim.vm.customization


def from_vm_name(vm_name: str, limit: int = HOST_LABEL_MAX) -> str:
    """The VM's name as a host name: what DNS cannot carry becomes '-', as vCenter does."""
    name = re.sub(r"[^A-Za-z0-9-]+", "-", vm_name).strip("-")[:limit].rstrip("-")
    return name or "localhost"


def generate(gen: object, vm_name: str, taken: Callable[[str], bool], *, limit: int = HOST_LABEL_MAX) -> str:
    """The host (or computer) name a generator yields for a VM.  ``taken(name)`` says
    whether another VM already uses a name; PrefixName appends the smallest free number."""
    if isinstance(gen, C.FixedName):
        return gen.name
    if isinstance(gen, C.VirtualMachineNameGenerator):
        return from_vm_name(vm_name, limit)
    if isinstance(gen, C.PrefixNameGenerator):
        n = 1
        while taken(f"{gen.base}{n}"):
            n += 1
        return f"{gen.base}{n}"
    raise ValueError(f"{type(gen).__name__} yields no name by itself")


def needs_outside_value(gen: object, path: str) -> vmodl.MethodFault | None:
    """IpHostnameGeneratorError for UnknownName / CustomName: the name would have to come
    from the user at deployment or from a generator application, and CustomizeGuest_Task
    has neither."""
    if isinstance(gen, C.UnknownNameGenerator):
        return fault(
            vim.fault.IpHostnameGeneratorError,
            f"{path} is CustomizationUnknownName: the name must be given at deployment, "
            "and CustomizeGuest_Task has no way to ask for it",
        )
    if isinstance(gen, C.CustomNameGenerator):
        return fault(
            vim.fault.IpHostnameGeneratorError,
            f"{path} is CustomizationCustomName, which needs a name generator application; none is configured in gosc",
        )
    return None
