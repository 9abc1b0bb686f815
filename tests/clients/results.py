"""The recorded outcome of each client test, per client, command and server (gosc or vcsim).

A test marked ``@pytest.mark.compat("govc", "vm.power -on")`` records, when it ends, whether
it passed against its server and, if not, the first line of why (tests/clients/conftest.py
does this for every marked test).  The records are JSON files, one per client: gosc's in
``$GOSC_COMPAT_RESULTS`` (default ``.cache/compat``, made by each run), vcsim's in
tests/clients/vcsim-results/ (committed; measured by ``make compat-vcsim``);
docs/compatibility.md is generated from both by ``python -m tests.clients.compat``.  A run updates the cells its tests ran and keeps
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


# vcsim's cells are committed (measured by `make compat-vcsim`); gosc's come from each run.
VCSIM_RESULTS = REPO / "tests" / "clients" / "vcsim-results"


def results_dir() -> Path:
    return Path(os.environ.get("GOSC_COMPAT_RESULTS") or REPO / ".cache" / "compat")


def _dir_for(target: str) -> Path:
    return VCSIM_RESULTS if target == "vcsim" else results_dir()


def _load_file(path: Path) -> dict[str, dict[str, Any]]:
    return dict(json.loads(path.read_text())) if path.exists() else {}


def load(client: str, directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every cell of ``client``: gosc's from ``directory`` (this run's), vcsim's committed."""
    run = _load_file((directory or results_dir()) / f"{client}.json")
    cells = {k: v for k, v in run.items() if v["target"] != "vcsim"}
    cells.update(_load_file(VCSIM_RESULTS / f"{client}.json"))
    return cells


def record(client: str, command: str, target: str, passed: bool, why: str = "") -> None:
    """Store one cell; a lock keeps concurrent pytest processes from losing each other's cells."""
    directory = _dir_for(target)
    directory.mkdir(parents=True, exist_ok=True)
    lock_dir = results_dir()  # never the committed directory
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{client}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cells = _load_file(directory / f"{client}.json")
        cells[f"{command}\t{target}"] = {"command": command, "target": target, "passed": passed, "why": why}
        tmp = directory / f"{client}.json.tmp"
        tmp.write_text(json.dumps(cells, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, directory / f"{client}.json")
