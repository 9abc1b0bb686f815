"""The golden cases pass on a clone made under umask 0002 (files checked out 0664) and run
under that umask: guest modes come from explicit modes, never from the checkout's or the
process's umask."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_golden_cases_under_umask_0002(tmp_path: Path) -> None:
    clone = tmp_path / "gosc"

    def umask_0002() -> None:
        os.umask(0o002)

    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120, preexec_fn=umask_0002)
    skeleton_file = next(p for p in (clone / "src/gosc/guest/skeletons").rglob("*") if p.is_file())
    assert skeleton_file.stat().st_mode & 0o020, "the clone was not checked out group-writable"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = f"{clone / 'src'}:{clone}"
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/guest/test_engine_golden.py"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=umask_0002,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and "failed" not in r.stdout
