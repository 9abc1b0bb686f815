"""The README's shell blocks, pasted in order into one shell on a fresh clone, succeed.

The clone is made from HEAD (with the working tree's README); its own `make serve` sets up
its own .venv.  The port comes in only through the README's variable ``PORT``.  Blocks that
cannot run inside a test are named below with the reason, and the test fails if the README's
blocks change without this list following."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 900  # seconds for the clone's set-up (a venv), a server start, a clone and two customizations
# First line of each block not run here, and why.
NOT_RUN = {
    "make serve   # the server": "the set-up block: its `make serve` is what the walk-through runs, its `make test` is this run",
    "sudo .venv/bin/gosc serve --guest-backend netns": "a foreground live-guest server (tests/netns runs that backend)",
    "make bench": "the benchmarks take minutes (run by `make bench`)",
}


def sh_blocks(readme: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", readme, flags=re.M | re.S)


def unused_port() -> int:
    # The README's server takes a port number; the window between this close and its bind
    # is the only one left, and only in this test.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_readme_blocks_run_as_pasted(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    blocks = sh_blocks(readme)
    skipped = [b for b in blocks if any(b.startswith(k) for k in NOT_RUN)]
    assert len(skipped) == len(NOT_RUN), "README blocks changed: update NOT_RUN"
    run = [b for b in blocks if b not in skipped]
    assert len(run) >= 2
    clone = tmp_path / "gosc"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    shutil.copy(REPO / "README.md", clone / "README.md")
    script = "set -e\n" + "".join(f"{b}\necho '--- block {i} done'\n" for i, b in enumerate(run))
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "GOSC_ADMIN_PASSWORD")}
    env["PORT"] = str(unused_port())
    proc = subprocess.Popen(
        ["bash", "-c", script],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the server it starts is in this group: killed below
    )
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        proc.wait(30)
        _wait_group_gone(proc.pid)
    assert proc.returncode == 0, out[-6000:]
    for i in range(len(run)):
        assert f"--- block {i} done" in out, out[-6000:]
    assert '"hostName":"web01"' in out and '"ipAddress":"192.168.10.21"' in out, out[-6000:]
    assert "customized: hostName=" in out and "ipAddress=192.168.10.22" in out, out[-6000:]


def _wait_group_gone(pgid: int) -> None:
    """The server (make, gosc) stops on SIGTERM; SIGKILL what is left after a bound."""
    for _ in range(300):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)  # a bounded wait for an exit already asked for
    os.killpg(pgid, signal.SIGKILL)
