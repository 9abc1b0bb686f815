"""Name generators: CustomizationFixedName, VirtualMachineName, PrefixName.

UnknownName and CustomName need a value from outside the spec; validation rejects them
before a name is ever asked for here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pyVmomi import vim

C = vim.vm.customization


def from_vm_name(vm_name: str, limit: int = 63) -> str:
    """The VM's name as a host name: what DNS cannot carry becomes '-', as vCenter does."""
    name = re.sub(r"[^A-Za-z0-9-]+", "-", vm_name).strip("-")[:limit].rstrip("-")
    return name or "localhost"


def generate(gen: object, vm_name: str, taken: Callable[[str], bool], *, limit: int = 63) -> str:
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
