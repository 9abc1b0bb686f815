"""The vcsim 0.24 parity matrix of docs/compatibility.md: every managed-object method vcsim
implements, read from its Go source, beside whether gosc implements it (or why not).

vcsim's source comes with Debian's golang-github-vmware-govmomi-dev (``scripts/setup
--with-debs`` installs it); ``$GOSC_VCSIM_SOURCE`` names another copy of its simulator/
folder.  vcsim dispatches a SOAP call by reflection to the handler's Go method named as the
API method (``Foo_Task`` as ``FooTask``) whose request argument is the method's request type,
and only to methods answering ``soap.HasFault``: those are the methods it implements.

gosc's side is what its dispatcher (gosc.inventory.dispatch) calls: a method of the managed
object's class named as the API names it (pyVmomi's wsdl name).  A vcsim method gosc lacks
needs its one-line reason in tests/clients/parity_reasons.py; a reason nothing needs is an
error too, so the table stays true as either side changes.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import gosc.inventory
from gosc.inventory.base import ManagedObject
from gosc.vim import types as T
from tests.clients.parity_reasons import AREAS, INTERNAL, NOT_IMPLEMENTED

SOURCE_HINT = "install golang-github-vmware-govmomi-dev (`scripts/setup --with-debs`) or set $GOSC_VCSIM_SOURCE"
HEADING = "## vcsim 0.24 parity: managed-object methods"
# func (vm *VirtualMachine) PowerOffVMTask(ctx *Context, req *types.PowerOffVM_Task) soap.HasFault {
_HANDLER = re.compile(r"^func \(\s*(?:\w+\s+)?\*?(\w+)\)\s+([A-Z]\w*)\(([^)]*)\)\s+soap\.HasFault\s*\{", re.M)
_REQUEST = re.compile(r"\*(types|internal)\.(\w+)\s*$")


def source_dir() -> Path:
    default = "/usr/share/gocode/src/github.com/vmware/govmomi/simulator"
    return Path(os.environ.get("GOSC_VCSIM_SOURCE") or default)


def _wsdl_methods(type_name: str) -> dict[str, str]:
    """{Go spelling: wsdl name} of a managed type's methods (``setCustomValue`` is Go's
    ``SetCustomValue``: Go exports only capitalised names)."""
    managed = T.lookup_managed_type(type_name)
    out: dict[str, str] = {}
    for cls in managed.__mro__ if managed is not None else ():
        for info in getattr(cls, "_methodInfo", {}).values():
            out.setdefault(info.wsdlName[:1].upper() + info.wsdlName[1:], info.wsdlName)
    return out


def vcsim_methods(directory: Path | None = None) -> dict[str, set[str]]:
    """{managed object type: API method names} that vcsim's handlers implement."""
    directory = directory or source_dir()
    files = sorted(p for p in directory.glob("*.go") if not p.name.endswith("_test.go"))
    if not files:
        raise FileNotFoundError(f"no vcsim source (*.go) in {directory}: {SOURCE_HINT}")
    out: dict[str, set[str]] = {}
    for path in files:
        for m in _HANDLER.finditer(path.read_text()):
            go_type, go_name, params = m.groups()
            request = _REQUEST.search(params)
            if request is None:
                raise ValueError(f"{path.name}: {go_type}.{go_name} takes no request type: {params!r}")
            package, name = request.groups()
            if package == "types":
                name = _wsdl_methods(go_type).get(name, name)
            out.setdefault(go_type, set()).add(name)
    return out


def _classes(cls: type[ManagedObject]) -> Iterator[type[ManagedObject]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _classes(sub)


def gosc_methods() -> dict[str, set[str]]:
    """{managed object type: API method names} that gosc's dispatcher can call."""
    for module in pkgutil.iter_modules(gosc.inventory.__path__):
        importlib.import_module(f"gosc.inventory.{module.name}")
    out: dict[str, set[str]] = {}
    for cls in _classes(ManagedObject):
        managed = cls.__dict__.get("vim_type")
        if managed is None:  # a mixin (VmPower...) or ManagedEntity: its methods count on the class using it
            continue
        names = {wsdl for wsdl in _wsdl_methods(T.wsdl_name(managed)).values() if callable(getattr(cls, wsdl, None))}
        out.setdefault(T.wsdl_name(managed), set()).update(names)
    return out


def reason(type_name: str, method: str) -> str | None:
    return NOT_IMPLEMENTED.get(f"{type_name}.{method}") or NOT_IMPLEMENTED.get(type_name)


def check_reasons(vcsim: dict[str, set[str]], ours: dict[str, set[str]]) -> list[str]:
    """What is wrong with the reasons table: a missing method without a reason, a reason for
    a method gosc has or vcsim lacks, a type with no area."""
    problems: list[str] = []
    used: set[str] = set()
    for type_name, methods in sorted(vcsim.items()):
        if type_name not in AREAS:
            problems.append(f"{type_name}: no area in parity_reasons.AREAS")
        for method in sorted(methods - ours.get(type_name, set())):
            key = f"{type_name}.{method}"
            if method in INTERNAL:
                continue
            if key in NOT_IMPLEMENTED:
                used.add(key)
            elif type_name in NOT_IMPLEMENTED:
                used.add(type_name)
            else:
                problems.append(f"{key}: vcsim implements it, gosc does not, and no reason says why")
    problems += [
        f"{key}: a reason for nothing missing (gosc has it, or vcsim lacks it)" for key in NOT_IMPLEMENTED.keys() - used
    ]
    return sorted(problems)


def render(directory: Path | None = None) -> str:
    """The parity section of docs/compatibility.md (from its heading to the end of the doc)."""
    vcsim, ours = vcsim_methods(directory), gosc_methods()
    problems = check_reasons(vcsim, ours)
    if problems:
        raise ValueError("tests/clients/parity_reasons.py is out of date:\n  " + "\n  ".join(problems))
    rows: list[str] = []
    counts = {"yes": 0, "no": 0}
    for type_name in sorted(vcsim, key=lambda t: (list(AREAS.values()).index(AREAS[t]), t)):
        for method in sorted(vcsim[type_name], key=str.lower):
            if method in ours.get(type_name, set()):
                cell, counts["yes"] = "yes", counts["yes"] + 1
            elif method in INTERNAL:
                cell = f"internal: {INTERNAL[method]}"
            else:
                cell, counts["no"] = f"no: {reason(type_name, method)}", counts["no"] + 1
            rows.append(f"| {AREAS[type_name]} | {type_name} | `{method}` | {cell} |")
    extra = [
        f"| {t} | " + ", ".join(f"`{m}`" for m in sorted(ours[t] - vcsim.get(t, set()), key=str.lower)) + " |"
        for t in sorted(ours)
        if ours[t] - vcsim.get(t, set())
    ]
    return "\n".join(
        [
            HEADING,
            "",
            "Generated by `python -m tests.clients.compat` from vcsim 0.24's Go source (Debian's",
            "golang-github-vmware-govmomi 0.24.2: each handler method of its simulator/ answering `soap.HasFault`)",
            "and gosc's managed-object classes (each method named as the API names it); tests/clients/parity_reasons.py",
            "says in one line why gosc lacks a method, and tests/clients/test_compat_parity.py keeps this section",
            f"equal to what the generator makes.  gosc implements {counts['yes']} of vcsim's"
            f" {counts['yes'] + counts['no']} public methods.",
            "",
            "| area | managed object | method | gosc |",
            "|---|---|---|---|",
            *rows,
            "",
            "### Methods gosc implements that vcsim 0.24 does not",
            "",
            "| managed object | methods |",
            "|---|---|",
            *extra,
        ]
    )


def section_of(doc: str) -> str:
    """The parity section of a rendered doc: from its heading to the end, without the last newline."""
    at = doc.find(HEADING)
    return doc[at:].rstrip("\n") if at >= 0 else ""
