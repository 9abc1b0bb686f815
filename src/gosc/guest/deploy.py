"""Which in-guest engine an extracted deploy package goes to.

A package with ``sysprep.xml`` is a Windows customization (the answer file lands where
Windows setup reads it); every other package is cust.cfg for the Linux engine.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from . import engine
from .guestpath import GuestRoot, opened
from .sandbox import Runner
from .sandbox import run as run_local


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
            from .windows import apply_sysprep  # not before: it needs pyVmomi, which a live agent has not

            return apply_sysprep(root, pkg, dry_run=dry_run)
        return engine.apply(root, pkg, dry_run=dry_run, report=report, cancel=cancel, script_runner=script_runner)
