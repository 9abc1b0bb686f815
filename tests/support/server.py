"""A real gosc server in a subprocess, on a free loopback port, with its own data dir."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ADMIN = "administrator@vsphere.local"
ADMIN_PASSWORD = "Gosc-Test-1!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class GoscServer:
    def __init__(
        self, data_dir: Path, *, tls: bool = True, demo: bool = True, extra_args: list[str] | None = None
    ) -> None:
        self.data_dir = data_dir
        self.tls = tls
        self.demo = demo
        self.extra_args = extra_args or []
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> GoscServer:
        args = [
            sys.executable,
            "-m",
            "gosc.cli",
            "serve",
            "--listen",
            f"127.0.0.1:{self.port}",
            "--data-dir",
            str(self.data_dir),
            *self.extra_args,
        ]
        if self.demo:
            args.append("--demo")
        if not self.tls:
            args.append("--http")
        env = dict(os.environ, GOSC_ADMIN_PASSWORD=ADMIN_PASSWORD)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gosc exited with {self.proc.returncode}:\n{self.log()}")
            try:
                r = httpx.get(
                    f"{self.url}/sdk/vim25/9.1.0.0/ServiceInstance/ServiceInstance/content", verify=False, timeout=2
                )
                if r.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gosc did not answer within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def kill(self) -> None:
        """Die as a crash would: no shutdown code runs."""
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None
