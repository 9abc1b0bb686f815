"""The examples in examples/ run as files, as a user runs them, against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.server import ADMIN_PASSWORD, GoscServer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(server: GoscServer, *args: str, password: str = ADMIN_PASSWORD) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, GOSC_ADMIN_PASSWORD=password)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / "customize_clone.py"), "--port", str(server.port), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_customize_clone_example_customizes_a_clone(server: GoscServer) -> None:
    r = _run(server, "--name", "example-web", "--ip", "192.168.10.51")
    assert r.returncode == 0, r.stderr
    assert "customized: hostName=example-web ipAddress=192.168.10.51" in r.stdout


def test_customize_clone_example_prints_faults_as_one_line(server: GoscServer) -> None:
    bad_ip = _run(server, "--name", "example-bad", "--ip", "192.168.10.300")
    assert bad_ip.returncode == 1
    assert "spec.nicSettingMap[0].adapter.ip.ipAddress" in bad_ip.stderr and bad_ip.stderr.count("\n") == 1
    assert bad_ip.stderr.startswith("vSphere fault: InvalidArgument:"), bad_ip.stderr

    wrong = _run(server, "--name", "example-x", password="not-the-password")
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("login refused for administrator@vsphere.local"), wrong.stderr
