"""The recorded outcome of each client test, per client, command and server (gosc or vcsim).

A test marked ``@pytest.mark.compat("govc", "vm.power -on")`` records, when it ends, whether
it passed against its server and, if not, the first line of why (tests/clients/conftest.py
does this for every marked test).  The records are JSON files, one per client, in
``$GOSC_COMPAT_RESULTS`` (default ``.cache/compat``); docs/compatibility.md is generated from
them by ``python -m tests.clients.compat``.  A run updates the cells its tests ran and keeps
the others, so a partial run (``-k``) does not blank the table.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TARGETS = ("gosc", "vcsim")  # the columns, in order


def results_dir() -> Path:
    return Path(os.environ.get("GOSC_COMPAT_RESULTS") or REPO / ".cache" / "compat")


def load(client: str, directory: Path | None = None) -> dict[str, dict[str, Any]]:
    path = (directory or results_dir()) / f"{client}.json"
    return dict(json.loads(path.read_text())) if path.exists() else {}


def record(client: str, command: str, target: str, passed: bool, why: str = "") -> None:
    """Store one cell; a lock keeps concurrent pytest processes from losing each other's cells."""
    directory = results_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"{client}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cells = load(client, directory)
        cells[f"{command}\t{target}"] = {"command": command, "target": target, "passed": passed, "why": why}
        tmp = directory / f"{client}.json.tmp"
        tmp.write_text(json.dumps(cells, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, directory / f"{client}.json")
