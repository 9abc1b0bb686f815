"""The README's shell blocks, pasted in order into one shell on a fresh clone, succeed.

The clone is made from HEAD (with the working tree's README); its own `make serve` sets up
its own .venv.  Ports come in only through the README's variables ``PORT`` and ``NETNS_PORT``.
A block that starts a server in the foreground runs as a user pastes it, until its server
says it serves; then it is stopped as the user would (SIGTERM, Ctrl-C's cousin) and the next
block follows.  One block is not run, named below with the reason; the test fails if the
README's blocks change without this list following."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 1800  # seconds: the clone's set-up (a venv), three server starts, customizations, `make bench`
NOT_RUN = {"make test": "`make test` is the run this test is part of"}
# Blocks whose first command is a foreground server (it runs until stopped).
SERVERS = ("make serve ", ".venv/bin/gosc serve --guest-backend netns")
# Runs a server block in a process group of its own until its log says it serves, then stops it.
SERVE_THEN_STOP = r"""
serve_then_stop() {
  setsid bash -c "$1" >"$2" 2>&1 &
  local pid=$!
  until grep -q '^gosc: serving' "$2"; do
    if ! kill -0 "$pid" 2>/dev/null; then cat "$2"; return 1; fi
    sleep 0.2
  done
  kill -TERM -- "-$pid"
  wait "$pid" || true
  while kill -0 -- "-$pid" 2>/dev/null; do sleep 0.2; done
  grep '^gosc: serving' "$2"
}
"""


def sh_blocks(readme: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", readme, flags=re.M | re.S)


def unused_port() -> int:
    # The README's servers take port numbers; the window between this close and their bind
    # is the only one left, and only in this test.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def script_of(blocks: list[str], logs: Path) -> str:
    lines = ["set -e", SERVE_THEN_STOP]
    for i, b in enumerate(blocks):
        if b.startswith(SERVERS):
            lines.append(f"serve_then_stop {shlex.quote(b)} {shlex.quote(str(logs / f'block-{i}.log'))}")
        else:
            lines.append(b)
        lines.append(f"echo '--- block {i} done'")
    return "\n".join(lines) + "\n"


def test_readme_blocks_run_as_pasted(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    blocks = sh_blocks(readme)
    skipped = [b for b in blocks if any(b.startswith(k) for k in NOT_RUN)]
    assert len(skipped) == len(NOT_RUN), "README blocks changed: update NOT_RUN"
    run = [b for b in blocks if b not in skipped]
    assert sum(b.startswith(SERVERS) for b in run) == 2, "README blocks changed: update SERVERS"
    clone = tmp_path / "gosc"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    shutil.copy(REPO / "README.md", clone / "README.md")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "GOSC_ADMIN_PASSWORD")}
    env["PORT"], env["NETNS_PORT"] = str(unused_port()), str(unused_port())
    proc = subprocess.Popen(
        ["bash", "-c", script_of(run, tmp_path)],
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
    assert f"gosc: serving VI/JSON at https://127.0.0.1:{env['PORT']}/" in out, out[-6000:]
    assert f"gosc: serving VI/JSON at https://127.0.0.1:{env['NETNS_PORT']}/" in out, out[-6000:]
    assert '"hostName":"web01"' in out and '"ipAddress":"192.168.10.21"' in out, out[-6000:]
    assert "192.168.10.21/24" in out and "\nweb01\n" in out, out[-6000:]  # read inside the guest
    assert "customized: hostName=" in out and "ipAddress=192.168.10.22" in out, out[-6000:]
    for title in ("== engine:", "== VI/JSON reads", "== SOAP", "== netns:"):  # `make bench` printed its figures
        assert title in out, out[-6000:]


def _wait_group_gone(pgid: int) -> None:
    """The server (make, gosc) stops on SIGTERM; SIGKILL what is left after a bound."""
    for _ in range(300):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)  # a bounded wait for an exit already asked for
    os.killpg(pgid, signal.SIGKILL)
