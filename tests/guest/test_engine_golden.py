"""Golden files: every family x every scenario, the exact files the engine writes.

Regenerate after an intended change with ``GOSC_REGEN_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import os
import stat

import pytest

from gosc.guest.engine import apply

from .guest_helpers import HERE
from .guest_scenarios import LINUX, MAC1, MAC2, SCENARIOS

GOLDEN = HERE / "golden"


def describe(root, changes: list[str]) -> str:
    out = []
    for path in changes:
        host = root / path.lstrip("/")
        if host.is_symlink():
            out.append(f"=== {path} -> {os.readlink(host)}\n")
        elif not host.exists():
            out.append(f"=== {path} (removed)\n")
        elif path == "/etc/shadow":
            out.append(f"=== {path} (secret)\n")
        else:
            mode = stat.S_IMODE(host.stat().st_mode)
            out.append(f"=== {path} ({mode:04o})\n{host.read_text()}")
    return "".join(out)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("family", LINUX)
def test_golden(guest, family, scenario):
    root, pkg = guest(family, [MAC1, MAC2], SCENARIOS[scenario]())
    result = apply(root, pkg)
    assert result.error_code == 0, result.message
    got = describe(root, result.changes)
    path = GOLDEN / family / f"{scenario}.txt"
    if os.environ.get("GOSC_REGEN_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got)
    assert got == path.read_text(), f"{path} differs; GOSC_REGEN_GOLDEN=1 to regenerate"
