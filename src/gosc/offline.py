"""Offline operator commands: check a spec, build a package, apply one to a guest tree.

    gosc spec validate SPEC.json [--mac MAC ...] [--guest linux|windows] [--release R]
    gosc package SPEC.json --mac MAC [--mac MAC ...] [--vm-name NAME] -o PKG
    gosc apply PKG_OR_CUST_CFG --root DIR [--dry-run]
    gosc spec convert --to nocloud SPEC -o DIR [--mac MAC[=NAME] ...] [--vm-name NAME] [--iso FILE]

SPEC.json is a CustomizationSpec (or a CustomizationSpecItem) in VI/JSON, as the API
takes it; ``-`` reads it from standard input.  Problems print as ``<property path>:
<message>`` with the fault's type.  An input that cannot be read at all (a missing file,
bad JSON) is one line on standard error and exit status 2 (docs/cli.md lists them all).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from pyVmomi import vim, vmodl

from .vim import json_codec
from .vim import types as T
from .vim.faults import message_of


class InputError(Exception):
    """An operator's input that cannot be used at all: ``gosc`` prints it as one line and
    exits with ``status`` (2, or the deployPkg code that ``apply`` reports for it)."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def read_input(path: str, status: int = 2) -> bytes:
    """A file's bytes, or standard input's for ``-``."""
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}", status) from None


def _load_spec(path: str, release: str) -> vim.vm.customization.Specification:
    version = T.version_of_release(release)
    raw = read_input(path)
    if raw.lstrip()[:1] == b"<":  # vCenter's spec XML (ConfigRoot), as CustomizationSpecItemToXml writes it
        from .customization import specxml

        try:
            item = specxml.from_xml(raw, version)
        except vmodl.MethodFault as f:
            raise InputError(f"{'standard input' if path == '-' else path}: {message_of(f)}") from None
        spec: vim.vm.customization.Specification = item.spec
        return spec
    try:
        data = json.loads(raw)
    except ValueError as e:  # JSONDecodeError and UnicodeDecodeError
        raise InputError(f"{'standard input' if path == '-' else path} is not JSON: {e}") from None
    if isinstance(data, dict) and data.get("_typeName") == "CustomizationSpecItem":
        data = data.get("spec")
    spec = json_codec.decode(data, vim.vm.customization.Specification, version, "spec")
    return spec


def _describe(f: vmodl.MethodFault) -> str:
    path = getattr(f, "invalidProperty", None) or getattr(f, "argument", None)
    text = message_of(f).removesuffix(f" ({path})")
    return f"{path}: {text} [{T.wsdl_name(type(f))}]" if path else f"{text} [{T.wsdl_name(type(f))}]"


def cmd_validate(args: argparse.Namespace) -> int:
    from .customization import validation

    try:
        spec = _load_spec(args.spec, args.release)
    except vmodl.MethodFault as f:
        print(_describe(f))
        return 1
    macs = tuple(m.lower() for m in args.mac) or tuple(
        f"00:50:56:80:00:{i:02x}" for i in range(1, len(spec.nicSettingMap or []) + 1)
    )
    target = validation.Target(macs=macs, guest_family=args.guest, guest_id=args.guest + "Guest", vm_name=args.vm_name)
    problems = list(validation.problems(spec, target))
    for problem in problems:
        print(_describe(problem))
    if not problems:
        print("OK: no problems found")
    return 1 if problems else 0


def cmd_package(args: argparse.Namespace) -> int:
    from .customization import package, validation

    try:
        spec = _load_spec(args.spec, args.release)
        target = validation.Target(tuple(m.lower() for m in args.mac), args.guest, args.guest + "Guest", args.vm_name)
        validation.validate(spec, target)
    except vmodl.MethodFault as f:
        print(_describe(f), file=sys.stderr)
        return 1
    facts = package.VmFacts(args.vm_name, target.macs, args.instance_uuid)
    host = package.host_name_for(spec, facts, lambda _name: False)
    data = package.build_package(spec, facts, host)
    out = Path(args.output)
    out.write_bytes(data)
    out.chmod(0o600)  # it carries the spec's passwords
    print(f"wrote {out} ({len(data)} bytes)")
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    from .formats import deploypkg
    from .guest import engine
    from .guest.deploy import apply_package, extract
    from .guest.states import DeployError

    source = Path(args.package)
    root = Path(args.root)
    if not root.is_dir():
        raise InputError(f"--root {root}: not a directory")
    data = read_input(args.package, int(DeployError.PKG_NOT_FOUND))
    with tempfile.TemporaryDirectory(prefix="gosc-apply-") as tmp:
        if data.startswith(deploypkg.SIGNATURE):
            try:
                extract(data, Path(tmp))
            except deploypkg.DeployPkgError as e:
                print(f"bad package: {e}", file=sys.stderr)
                return int(DeployError.DEPLOY_FAILED)
            result: Any = apply_package(root, Path(tmp), dry_run=args.dry_run)
        else:
            if args.package == "-":  # files a cust.cfg names are looked up beside it: none on stdin
                source = Path(tmp) / "cust.cfg"
                source.write_bytes(data)
            result = engine.apply_cfg(root, source, dry_run=args.dry_run)
    if args.dry_run:
        sys.stdout.write(result.diff)
    status = "would change" if args.dry_run else "changed"
    changes = [str(c) for c in result.changes]
    print(f"{status} {len(changes)} file(s): {' '.join(changes)}", file=sys.stderr)
    if result.error_code:
        print(f"error {result.error_code} ({result.failure}): {result.message}", file=sys.stderr)
    return int(result.error_code)


# gosc spec convert: the result is written but lacks what the report lists as not converted
INCOMPLETE = 3


def cmd_convert(args: argparse.Namespace) -> int:
    from .convert import convert, write_iso, write_seed

    try:
        spec = _load_spec(args.spec, args.release)
        seed = convert(spec, nics=args.mac, vm_name=args.vm_name, instance_id=args.instance_id)
    except vmodl.MethodFault as f:
        print(_describe(f), file=sys.stderr)
        return 1
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise InputError(f"-o {out}: not a directory")
    try:
        written = write_seed(seed, out)
        print(f"wrote {' '.join(str(p) for p in written)}")
        if args.iso:
            tool = write_iso(out, Path(args.iso))
            print(f"wrote {args.iso} (cidata volume, by {tool})")
    except OSError as e:
        raise InputError(str(e) if not e.strerror else f"{e.filename or out}: {e.strerror}") from None
    for line in seed.report():
        print(line)
    return 0 if seed.complete else INCOMPLETE


def add_offline_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    spec = sub.add_parser("spec", help="customization spec tools")
    spec_sub = spec.add_subparsers(dest="spec_command", required=True)
    v = spec_sub.add_parser("validate", help="print every problem of a VI/JSON CustomizationSpec")
    v.add_argument("spec", help="VI/JSON CustomizationSpec or CustomizationSpecItem; - for standard input")
    _target_args(v)
    v.set_defaults(func=cmd_validate)
    c = spec_sub.add_parser("convert", help="convert a spec (vCenter's XML or VI/JSON) to a cloud-init NoCloud seed")
    c.add_argument("--to", choices=["nocloud"], required=True, help="the target format")
    c.add_argument("spec", help="vCenter's spec XML (ConfigRoot) or VI/JSON CustomizationSpec; - for standard input")
    c.add_argument("-o", "--output", required=True, metavar="DIR", help="where meta-data, user-data, network-config go")
    c.add_argument(
        "--mac", action="append", default=[], help="a NIC's MAC, in the VM's order, optionally =NAME (repeat)"
    )
    c.add_argument("--vm-name", help="the VM's name (for CustomizationVirtualMachineName)")
    c.add_argument("--instance-id", help="meta-data's instance-id (default: derived from the spec)")
    c.add_argument("--iso", metavar="FILE", help="also write a cidata ISO of the seed")
    c.add_argument("--release", default=T.NEWEST_RELEASE, choices=T.RELEASES)
    c.set_defaults(func=cmd_convert)

    p = sub.add_parser("package", help="build VMware's deploy package for a spec and a VM's NICs")
    p.add_argument("spec", help="VI/JSON CustomizationSpec or CustomizationSpecItem; - for standard input")
    _target_args(p)
    p.add_argument("--instance-uuid", default="00000000-0000-0000-0000-000000000000")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=cmd_package)

    a = sub.add_parser("apply", help="apply a deploy package or cust.cfg to a guest tree")
    a.add_argument("package", help="a deploy package (VMWAREDEPLOYPKG_) or a cust.cfg; - for standard input")
    a.add_argument("--root", required=True, help="the guest's root directory")
    a.add_argument("--dry-run", action="store_true", help="print the unified diff; change nothing")
    a.set_defaults(func=cmd_apply)


def _target_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mac", action="append", default=[], help="a NIC's MAC, in the VM's order (repeat)")
    p.add_argument("--guest", choices=["linux", "windows"], default="linux")
    p.add_argument("--vm-name", default="vm")
    p.add_argument("--release", default=T.NEWEST_RELEASE, choices=T.RELEASES)
