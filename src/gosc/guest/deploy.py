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
from .sandbox import Network
from .windows import apply_sysprep


def apply_package(root: Path | GuestRoot, pkg_dir: Path | GuestRoot, *, dry_run: bool = False,
                  report: engine.Report | None = None, cancel: threading.Event | None = None,
                  script_network: Network = Network.NONE) -> Any:  # fmt: skip
    """Customize the tree at ``root`` from the package extracted in ``pkg_dir``; the result
    has ``error_code``, ``failure``, ``message``, ``log_path``, ``changes`` and ``diff``.
    ``script_network``: a custom script's network (a live guest's own, else none)."""
    with opened(pkg_dir) as pkg:
        if pkg.is_file("sysprep.xml"):
            return apply_sysprep(root, pkg, dry_run=dry_run)
        return engine.apply(root, pkg, dry_run=dry_run, report=report, cancel=cancel, script_network=script_network)
