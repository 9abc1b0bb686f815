"""A deploy package in the guest: unpacked into a directory, then handed to its engine.

A package with ``sysprep.xml`` is a Windows customization (the answer file lands where
Windows setup reads it); every other package is cust.cfg for the Linux engine.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ..formats import deploypkg
from . import engine
from .guestpath import GuestRoot, opened
from .sandbox import Runner
from .sandbox import run as run_local


def extract(data: bytes, dest_dir: Path | GuestRoot) -> deploypkg.DeployPackage:
    """Unpack the payload into dest_dir (a directory, e.g. one the agent made in a guest):
    every member is written inside it through gosc.guest.guestpath, so a symlink planted
    there (or a name with "..") cannot lead a write anywhere else."""
    pkg = deploypkg.read(data)
    if not isinstance(dest_dir, GuestRoot):
        Path(dest_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
    with opened(dest_dir) as dest:
        for name, content in pkg.files.items():
            parent = name.rpartition("/")[0]
            if parent:
                dest.mkdir(parent, 0o700, parents=True, exist_ok=True)
            # Not fsync'd: the package is removed when its deploy ends, and a crash ends it.
            dest.write_atomic(name, content, 0o700 if name in deploypkg.EXECUTABLE else 0o600, durable=False)
    return pkg


def apply_package(
    root: Path | GuestRoot,
    pkg_dir: Path | GuestRoot,
    *,
    dry_run: bool = False,
    report: engine.Report | None = None,
    cancel: threading.Event | None = None,
    script_runner: Runner = run_local,
) -> Any:
    """Customize the tree at ``root`` from the package extracted in ``pkg_dir``; the result
    has ``error_code``, ``failure``, ``message``, ``log_path``, ``changes`` and ``diff``.
    ``script_runner``: how a custom script's sandbox runs (see gosc.guest.engine.apply)."""
    with opened(pkg_dir) as pkg:
        if pkg.is_file("sysprep.xml"):
            # Not at the top: the XML parser's extension module is not in a live Linux
            # guest's agent runtime (gosc.guest.runtime.AGENT_EXTENSIONS), and needs not be.
            from .windows import apply_sysprep

            return apply_sysprep(root, pkg, dry_run=dry_run)
        return engine.apply(root, pkg, dry_run=dry_run, report=report, cancel=cancel, script_runner=script_runner)
