"""What the operator must fix before the server can start is one line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.server import ADMIN_PASSWORD


def serve_argv(data: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gosc.cli",
        "serve",
        "--http",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        str(data),
        *args,
    ]


def serve(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """gosc serve, which must exit by itself (a start-up error) well before the timeout."""
    env = dict(os.environ, GOSC_ADMIN_PASSWORD=ADMIN_PASSWORD)
    return subprocess.run(
        serve_argv(data, *args),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def gosc_errors(stderr: str) -> list[str]:
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if "gosc: " in line and "serving" not in line]


def test_bad_users_file_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    users = data / "users.toml"
    for text, expected in [
        ('[[users]]\nname = "a@vsphere.local"\npassword_hash = "x"\nrole = "Nope"\n', "unknown role 'Nope'"),
        ("not toml [", "Expected '='"),
        ("[lockout]\nmax_failures = -1\n", "max_failures must be a positive integer"),
    ]:
        users.write_text(text)
        r = serve(data)
        assert r.returncode != 0
        assert [line.split("gosc: ", 1)[1].startswith(f"{users}: ") for line in gosc_errors(r.stderr)] == [True], (
            r.stderr
        )
        assert expected in r.stderr


def start_lines(data: Path, *args: str) -> list[str]:
    """The server's standard error up to uvicorn's line that the start (demo inventory
    included) is complete, or to its end; the server is stopped then."""
    proc = subprocess.Popen(
        serve_argv(data, *args),
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, GOSC_ADMIN_PASSWORD=ADMIN_PASSWORD),
    )
    seen: list[str] = []
    with proc:  # closes the stderr pipe too
        assert proc.stderr is not None
        try:
            for line in proc.stderr:
                seen.append(line)
                if "Application startup complete" in line:
                    break
        finally:
            proc.terminate()
            proc.wait(30)
    assert any("Application startup complete" in line for line in seen), "".join(seen)
    return seen


def test_a_data_dir_keeps_its_guest_backend(tmp_path: Path) -> None:
    data = tmp_path / "data"
    start_lines(data, "--demo", "--log-level", "info")  # made for directory-tree guests
    r = serve(data, "--guest-backend", "netns")
    assert r.returncode != 0
    assert gosc_errors(r.stderr) == [
        f"ERROR:    gosc: {data} holds rootfs guests; start it with --guest-backend rootfs"
        f" or use another --data-dir for --guest-backend netns"
    ], r.stderr


def test_log_level_debug_reaches_goscs_own_loggers(tmp_path: Path) -> None:
    """--log-level is for gosc's loggers too, not only uvicorn's (main() sets WARNING)."""
    seen = start_lines(tmp_path / "data", "--log-level", "debug")
    assert any(" DEBUG gosc.server.app: inventory ready: " in line for line in seen), "".join(seen)


def test_a_stop_does_not_wait_for_an_idle_client(tmp_path: Path) -> None:
    """An idle kept-alive TLS connection (a pyVmomi client between calls) is dropped at once
    when the server stops, not waited for until the graceful-shutdown timeout."""
    from pyVim.connect import SmartConnect

    from tests.support.server import ADMIN, GoscServer

    server = GoscServer(tmp_path / "data").start()
    try:
        si = SmartConnect(
            host="127.0.0.1", port=server.port, user=ADMIN, pwd=ADMIN_PASSWORD, disableSslCertValidation=True
        )
        assert si.CurrentTime()
    finally:
        server.stop()
    log = server.log()
    assert "timeout graceful shutdown exceeded" not in log, log[-2000:]
    del si  # its connection went with the server
