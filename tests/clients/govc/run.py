"""Running govc 0.24 against a target: a failure, a panic included, fails the test with govc's
own words (the first line of the reason is what docs/compatibility.md shows)."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from tests.clients.targets import GOVC, Target, require

# The first frame in govc's own code of a panic's stack, e.g. govc/host/info.go:142.
_FRAME = re.compile(r"/(govc/[\w/]+\.go:\d+)")


def govc(target: Target, *args: str, timeout: float = 300) -> str:
    r = subprocess.run(
        [str(require(GOVC)), *args], env=target.govc_env(), capture_output=True, text=True, timeout=timeout
    )
    cmd = " ".join(args)
    if "panic:" in r.stderr:
        first = next(line for line in r.stderr.splitlines() if line.startswith("panic:"))
        frame = _FRAME.search(r.stderr)
        pytest.fail(f"govc {cmd}: {first} at {frame[1] if frame else '?'}", pytrace=False)
    if r.returncode != 0:
        # govc prefixes its errors with its own path: the reason alone reads the same on any machine.
        err = r.stderr.replace(f"{GOVC}: ", "").strip().splitlines()
        pytest.fail(f"govc {cmd}: exit {r.returncode}: {err[-1] if err else r.stdout.strip()[-200:]}", pytrace=False)
    return r.stdout


def collect(target: Target, path: str, *props: str) -> dict[str, Any]:
    """object.collect -json: {property name: value} of the object at ``path``."""
    out = json.loads(govc(target, "object.collect", "-json", path, *props) or "[]")
    return {p["Name"]: p.get("Val") for p in out}


def lines(out: str) -> list[str]:
    return [line.rstrip() for line in out.splitlines() if line.strip()]
