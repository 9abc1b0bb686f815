"""Preview a customization spec for a VM: every validation problem with its property path,
or the diff CustomizeGuest_Task would make, without changing the guest; then run it.

- Validation is CustomizeGuest_Task's own: ``validation.problems`` against the target the
  GuestCustomizationManager builds for the VM (all problems, where the task stops at the
  first).
- The diff is ``gosc apply --dry-run``'s: the package GuestCustomizationManager.prepare
  builds, extracted into a private temporary directory on the server (it holds the spec's
  password; it is removed at once), applied by ``deploy.apply_package(dry_run=True)`` to the
  guest's tree, which a dry run only reads (its change set stays in memory: no file, no log
  is written in the guest).
- Run calls CustomizeGuest_Task through the API's dispatch (the same privilege and
  argument checks as a VI/JSON or SOAP call).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyVmomi import vim, vmodl

from ..customization import validation
from ..customization.specxml import from_xml
from ..guest.deploy import apply_package, extract
from ..inventory import dispatch
from ..inventory.base import CallContext
from ..inventory.virtual_machine import VirtualMachine
from ..vim import json_codec
from ..vim import types as T
from ..vim.faults import fault, message_of
from . import diff

CUSTOMIZE = "VirtualMachine.Provisioning.Customize"


@dataclass
class Problem:
    path: str
    message: str
    fault: str


def problem(f: vmodl.MethodFault) -> Problem:
    path = str(getattr(f, "invalidProperty", None) or getattr(f, "argument", None) or "")
    text = message_of(f).removesuffix(f" ({path})") if path else message_of(f)
    return Problem(path, text, T.wsdl_name(type(f)))


def spec_from_xml(text: str) -> vim.vm.customization.Specification:
    """vCenter's spec XML (what CustomizationSpecItemToXml writes and the vSphere Client
    exports), read as XmlToCustomizationSpecItem reads it (its faults name the path)."""
    spec: vim.vm.customization.Specification = from_xml(text, T.NEWEST_VERSION).spec
    return spec


def parse_spec(text: str, form: str) -> vim.vm.customization.Specification:
    """A spec as the API takes it (VI/JSON CustomizationSpec, or a CustomizationSpecItem),
    or vCenter's XML; what is wrong is a fault naming the property path."""
    if form == "xml" or text.lstrip().startswith("<"):
        return spec_from_xml(text)
    try:
        data: Any = json.loads(text)
    except ValueError as e:
        raise fault(vmodl.fault.InvalidRequest, f"The spec is not valid JSON: {e}") from None
    if isinstance(data, dict) and data.get("_typeName") == "CustomizationSpecItem":
        data = data.get("spec")
    if not isinstance(data, dict):
        raise fault(vmodl.fault.InvalidRequest, "The spec must be a JSON object (a CustomizationSpec)")
    data.setdefault("_typeName", "CustomizationSpec")
    spec: vim.vm.customization.Specification = json_codec.decode(
        data, vim.vm.customization.Specification, T.NEWEST_VERSION, "spec"
    )
    return spec


def state_notes(vm: VirtualMachine) -> list[str]:
    """What would make CustomizeGuest_Task fail before it starts (its own preconditions)."""
    notes = []
    if vm.power_state != "poweredOn":
        notes.append(f"{vm.name} is {vm.power_state}: CustomizeGuest_Task needs it powered on.")
    elif not vm.tools_running:
        notes.append(f"VMware Tools is not running in {vm.name}: CustomizeGuest_Task needs it running.")
    return notes


def problems(ctx: CallContext, vm: VirtualMachine, spec: vim.vm.customization.Specification) -> list[Problem]:
    ctx.check(vm, CUSTOMIZE)
    gcm = ctx.si.guest_customization_manager
    spec = ctx.si.customization_spec_manager.reveal_passwords(spec)
    return [problem(f) for f in validation.problems(spec, gcm.target(vm))]


@dataclass
class DryRun:
    ok: bool
    message: str
    files: list[diff.FileDiff]
    log: str


async def dry_run(ctx: CallContext, vm: VirtualMachine, spec: vim.vm.customization.Specification) -> DryRun:
    ctx.check(vm, CUSTOMIZE)
    pkg = ctx.si.guest_customization_manager.prepare(vm, spec, [])
    root_of = getattr(ctx.si.backend(vm.backend), "root_of", None)
    if root_of is None:
        return DryRun(False, f"the {vm.backend} backend has no guest tree to preview against", [], "")
    await vm.ensure_guest()  # the tree to preview against (a VM made in bulk has none until needed)
    root: Path = root_of(vm)

    def run() -> Any:
        with tempfile.TemporaryDirectory(prefix="gosc-preview-") as tmp:
            extract(pkg, Path(tmp))
            return apply_package(root, Path(tmp), dry_run=True)

    result = await asyncio.to_thread(run)
    files = [
        {"path": f.path, "before": f.before, "after": f.after, "secret": f.secret} for f in getattr(result, "files", [])
    ]
    ok = result.error_code == 0
    return DryRun(ok, "" if ok else str(result.message), diff.file_diffs(files), str(getattr(result, "log", "")))


async def run(
    ctx: CallContext, vm: VirtualMachine, spec: vim.vm.customization.Specification, user: str, password: str
) -> vim.Task:
    """CustomizeGuest_Task through the API's dispatch; its task."""
    obj, info = dispatch.prepare(
        ctx, "VirtualMachineGuestCustomizationManager", "GuestCustomizationManager", "CustomizeGuest_Task"
    )
    auth = vim.vm.guest.NamePasswordAuthentication(username=user, password=password, interactiveSession=False)
    task: vim.Task = await dispatch.invoke(ctx, obj, info, {"vm": vm.ref, "auth": auth, "spec": spec})
    return task
