"""The two servers the client tests drive: gosc (the system under test) and vcsim 0.24 (for
comparison), each with the names of its inventory, so one test body runs against both."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from tests.clients.results import REPO

BIN = REPO / ".cache" / "bin"
GOVC = BIN / "govc"
VCSIM = BIN / "vcsim"
SETUP_HINT = "build it with `scripts/setup --with-debs` (scripts/build-govmomi-tools)"
T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    name: str  # "gosc" or "vcsim": the column of docs/compatibility.md
    host: str
    port: int
    user: str
    password: str
    datacenter: str
    esx: str  # the one host
    vm: str  # a powered-on VM (with running tools on gosc) that tests may change
    power_vm: str  # a powered-on VM (with running tools on gosc) the power tests drive through every state
    doomed_vm: str  # a powered-on VM vm.destroy removes
    network: str  # the standard network in the network folder
    vm_network: str  # the network of the VM's NIC
    log: Path | None = None  # the server's log (vcsim's panics are there)

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}/sdk"

    def govc_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOVC_")}
        env.update(GOVC_URL=self.url, GOVC_USERNAME=self.user, GOVC_PASSWORD=self.password, GOVC_INSECURE="1")
        return env


def gosc_target(host: str, port: int, user: str, password: str, log: Path) -> Target:
    return Target(
        name="gosc",
        host=host,
        port=port,
        user=user,
        password=password,
        datacenter="DC0",
        esx="esx-01.gosc.local",
        vm="demo-ubuntu",
        power_vm="demo-debian",
        doomed_vm="demo-photon",
        network="VM Network",
        vm_network="VM Network",
        log=log,
    )


class Vcsim:
    """vcsim 0.24 on a free loopback port: one datacenter, one standalone host, three VMs."""

    def __init__(self, log: Path) -> None:
        if not VCSIM.exists():
            pytest.fail(f"the client tests need {VCSIM}; {SETUP_HINT}", pytrace=False)
        with open(log, "wb") as err:  # the child has its own descriptor
            self.proc = subprocess.Popen(
                [str(VCSIM), "-l", "127.0.0.1:0", "-cluster", "0", "-vm", "3"],
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                start_new_session=True,
            )
        assert self.proc.stdout is not None
        # Its first line, once it listens: export GOVC_URL=https://user:pass@127.0.0.1:PORT/sdk GOVC_SIM_PID=...
        line = self.proc.stdout.readline()
        m = re.search(r"GOVC_URL=https://([^:]+):([^@]+)@127\.0\.0\.1:(\d+)/sdk", line)
        if m is None:
            self.stop()
            pytest.fail(f"vcsim did not print its URL: {line!r}", pytrace=False)
        self.target = Target(
            "vcsim",
            "127.0.0.1",
            int(m[3]),
            m[1],
            m[2],
            "DC0",
            "DC0_H0",
            "DC0_H0_VM0",
            "DC0_H0_VM1",
            "DC0_H0_VM2",
            "VM Network",
            "DC0_DVPG0",
            log,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def wait_for(probe: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    """Poll ``probe`` until it answers something; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s", pytrace=False)
        time.sleep(0.25)


def server_panic(target: Target) -> str:
    """The last panic in the server's log (vcsim logs a handler's panic and drops the connection),
    with its first frame in the simulator's code, or ''."""
    text = target.log.read_text(errors="replace") if target.log and target.log.exists() else ""
    at = text.rfind("http: panic serving")
    if at < 0:
        return ""
    tail = text[at:].splitlines()
    frame = next((m[1] for line in tail if (m := re.search(r"/(simulator/[\w/]+\.go:\d+)", line))), "?")
    return f"{tail[0].split(': ', 2)[-1]} at {frame}"


def require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"the client tests need {path}; {SETUP_HINT}", pytrace=False)
    return path
