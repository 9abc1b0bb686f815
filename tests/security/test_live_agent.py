"""The tools agent of a live guest is a guest program: it runs in a sandbox (gosc.guest.runtime
``agent_spec``) with the guest tree as ``/`` and only network capabilities.

Before, it ran as ``nsenter -n -u -m python -m gosc.guest.agent_process``: host uid 0 with
every capability, the host's filesystem visible in its mount namespace.  These tests look at
the running agent from outside (/proc/<pid>) and run probes in the very same sandbox; each
failed then (no agent started through the runtime's loader, the host's files visible, all
capabilities).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gosc.guest import sandbox
from gosc.guest.runtime import AGENT_EXTENSIONS, TOOLS_DIR, ToolsRuntime, agent_spec, tool_argv
from gosc.guest.vmx import ScriptRequest, ToolsConnection
from tests.netns.support import agent_pid, guest_file, guest_hostname, holder_pid, login, netns_server, sweep
from tests.support.server import GoscServer
from tests.support.specs import customize_body, instant_clone_body, linux_spec
from tests.support.vijson import ViClient

PREFIX = f"gl{os.getpid() % 100000}"
GCM = ("VirtualMachineGuestCustomizationManager", "GuestCustomizationManager")
NET_CAPS = f"{(1 << 10) | (1 << 12) | (1 << 13):016x}"  # CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW
CANARY_TEXT = "host-canary-7c1e"


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("host-canary")
    (d / "secret").write_text(CANARY_TEXT + "\n")
    return d


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GoscServer, ViClient]]:
    if os.geteuid() != 0:
        pytest.fail("live guests need root; CI runs as root")
    server = netns_server(tmp_path_factory.mktemp("liveagent") / "data", PREFIX).start()
    vi = login(server)
    try:
        yield server, vi
    finally:
        vi.http.close()
        server.stop()
        sweep(PREFIX)


def status_of(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


def mount_points(pid: int) -> list[tuple[str, str]]:
    """(mount point, options) of every mount the process sees."""
    out = []
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        fields = line.split()
        out.append((fields[4], fields[5]))
    return out


def test_the_running_agent_sees_only_the_guest_and_its_runtime(live: tuple[GoscServer, ViClient], canary: Path) -> None:
    server, vi = live
    vm = vi.find("DC0/vm/demo-ubuntu")
    pid, holder = agent_pid(PREFIX, vm), holder_pid(PREFIX, vm)
    root = Path(f"/proc/{pid}/root")
    # Its / is the guest tree: the guest's files, no host file (the canary, the data dir, gosc's source).
    assert "Ubuntu" in (root / "etc/os-release").read_text()
    assert not (root / str(canary).lstrip("/")).exists()
    assert not (root / str(server.data_dir).lstrip("/")).exists()
    assert not (root / str(Path(__file__).resolve()).lstrip("/")).exists()
    assert sorted(os.listdir(root / TOOLS_DIR.lstrip("/"))) == ["bin", "lib", "site"]
    assert sorted(os.listdir(root / TOOLS_DIR.lstrip("/") / "site")) == ["gosc", "yaml"]  # no pyVmomi
    # Every mount it sees is the guest's /, its own /proc and /dev, or the read-only runtime.
    mounts = mount_points(pid)
    allowed = ("/proc", "/dev", "/tmp", TOOLS_DIR)
    assert [m for m, _ in mounts if m != "/" and not any(m == a or m.startswith(a + "/") for a in allowed)] == []
    assert all(o.startswith("ro") for m, o in mounts if m == "/proc" or m.startswith(TOOLS_DIR))
    # Credentials: exactly the three network capabilities, no_new_privs, the seccomp filter.
    st = status_of(pid)
    assert (st["CapEff"], st["CapPrm"], st["CapInh"], st["CapAmb"]) == (NET_CAPS,) * 4
    assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2" and st["Uid"].split()[0] == "0"
    # Namespaces: the guest's network and UTS; its own mount, PID and IPC.
    ns = {n: os.readlink(f"/proc/{pid}/ns/{n}") for n in ("net", "uts", "mnt", "pid", "ipc")}
    theirs = {n: os.readlink(f"/proc/{holder}/ns/{n}") for n in ns}
    assert ns["net"] == theirs["net"] and ns["uts"] == theirs["uts"]
    assert all(ns[n] != theirs[n] for n in ("mnt", "pid", "ipc"))
    assert len(st["NSpid"].split()) == 2


PROBE = r"""
import ctypes, errno, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
def attempt(name, fn):
    try:
        fn()
        print(name, "DONE")
    except OSError as e:
        print(name, "refused", e.errno)
def call(rc):
    if rc != 0:
        raise OSError(ctypes.get_errno(), "")
def write(path, text):
    with open(path, "w") as f:
        f.write(text)
attempt("read-canary", lambda: open(sys.argv[1]).read())
attempt("userns", lambda: call(libc.unshare(0x10000000)))
attempt("mountns", lambda: call(libc.unshare(0x00020000)))
attempt("mount-proc", lambda: call(libc.mount(b"proc", b"/tmp", b"proc", 0, None)))
attempt("sysctl", lambda: write("/proc/sys/kernel/core_pattern", "|/evil"))
attempt("sysrq", lambda: write("/proc/sysrq-trigger", "h"))
attempt("hostname", lambda: socket.sethostname("evil"))
attempt("tools-dir", lambda: write("/usr/lib/gosc-tools/bin/evil", "x"))
attempt("keyring", lambda: call(libc.syscall(248, b"user", b"k", b"v", 1, ctypes.c_int(-4))))
attempt("chroot", lambda: os.chroot("/tmp"))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
attempt("bind-68", lambda: s.bind(("0.0.0.0", 68)))
print("root-files", sorted(os.listdir("/")))
"""


def test_escape_attempts_in_the_agents_sandbox_fail(live: tuple[GoscServer, ViClient], canary: Path) -> None:
    """The same sandbox as the agent's, with a probe in place of the agent."""
    server, vi = live
    vm = vi.find("DC0/vm/demo-ubuntu")
    uuid = vi.get("VirtualMachine", vm["value"], "config")["instanceUuid"]
    runtime = ToolsRuntime.discover()
    spec = agent_spec(
        runtime, holder_pid(PREFIX, vm), server.data_dir / "guests" / uuid / "root", {"GOSC_NETNS_OWNER": PREFIX}
    )
    probe = tool_argv(runtime.loader, "python3", "-B", "-S", "-c", PROBE, str(canary / "secret"))
    done = sandbox.run(spec, probe, timeout=60)
    assert done.outcome is sandbox.Outcome.EXITED and done.returncode == 0, done.stderr
    result = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert result.pop("bind-68") == "DONE"  # what it needs: DHCP's port
    assert "'usr'" in result.pop("root-files")
    assert {k: v.split()[0] for k, v in result.items()} == dict.fromkeys(result, "refused"), result
    assert CANARY_TEXT not in done.stdout + done.stderr
    assert (canary / "secret").read_text() == CANARY_TEXT + "\n"


def test_the_agents_extension_modules_are_listed() -> None:
    """Every extension module the agent's code loads has its libraries in the runtime: a
    fresh interpreter importing what the agent imports loads no other."""
    code = (
        "import sys, gosc.guest.agent_process, gosc.guest.deploy, gosc.guest.engine, gosc.guest.accounts, "
        "gosc.formats.deploypkg, yaml; "
        "print(sorted({m.__name__ for m in list(sys.modules.values()) if (getattr(m, '__file__', '') or '')"
        ".endswith('.so') and 'lib-dynload' in m.__file__}))"
    )
    import yaml

    path = f"{Path(sandbox.__file__).parents[2]}:{Path(yaml.__file__).parents[1]}"  # gosc and yaml, as the runtime has them
    out = subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": path},
    ).stdout
    loaded = eval(out)
    assert set(loaded) <= set(AGENT_EXTENSIONS), set(loaded) - set(AGENT_EXTENSIONS)
    assert "pyVmomi" not in out


SCRIPT = r"""#!/bin/sh
{ echo "$1"; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; cat /proc/net/dev; hostname; } >> /etc/gosc-live-proof 2>&1
exit 0
"""


def test_a_custom_script_in_a_live_guest_runs_with_the_guests_network_and_no_capability(
    live: tuple[GoscServer, ViClient],
) -> None:
    server, vi = live
    src = vi.find("DC0/vm/demo-ubuntu")
    info = vi.wait_task(vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body("la-script")))
    vm: dict[str, Any] = info["result"]
    guest_file(server, vi, PREFIX, vm, "etc/vmware-tools/tools.conf").write_text(
        "[deployPkg]\nenable-custom-scripts = true\n"
    )
    done = vi.wait_task(
        vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, linux_spec("lascript", script=SCRIPT, tz=None)))
    )
    assert done["state"] == "success", done.get("error")
    proof = guest_file(server, vi, PREFIX, vm, "etc/gosc-live-proof").read_text()
    assert "precustomization" in proof and "postcustomization" in proof
    assert "ens192" in proof  # the guest's own NIC: its network namespace
    assert proof.count("CapEff:\t0000000000000000") == 2 and proof.count("CapBnd:\t0000000000000000") == 2
    assert "NoNewPrivs:\t1" in proof
    assert proof.count("\nubuntu\n") == 2  # the guest's host name (a UTS namespace copied from the guest's)
    # ... which the host then set, on the agent's request, in the guest's UTS namespace.
    assert guest_hostname(PREFIX, vm) == "lascript"


class _RecordingHost:
    """The backend's side, recording what a checked request would do."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    async def set_hostname(self, name: str) -> None:
        self.calls.append(name)

    async def run_script(self, request: ScriptRequest, cancel: Any) -> sandbox.Completed:
        self.calls.append(request)
        return sandbox.Completed(sandbox.Outcome.EXITED, 0, "", "")


def test_the_host_checks_what_a_sandboxed_agent_asks() -> None:
    """The agent is a guest program: its requests are checked before the host acts."""
    host = _RecordingHost()
    tools = ToolsConnection(handler=None)  # type: ignore[arg-type]
    assert asyncio.run(tools.handle("guest.sethostname", b"x")).startswith(b"0 Unknown")  # a tree guest: no such RPCI
    tools.guest_host = host
    for bad in ["", "a.b", "-x", "x-", "x" * 64, "a b", "a\nb", "../x", "a\0b"]:
        refused = asyncio.run(tools.handle("guest.sethostname", bad.encode()))
        assert refused == b"0 a host name is one DNS label: letters, digits and '-', at most 63", (bad, refused)
    for bad in [
        "[]",
        "{}",
        '{"cwd": "rel", "env": {}, "command": ["/bin/sh"], "timeout": 5}',
        '{"cwd": "/", "env": {}, "command": [], "timeout": 5}',
        '{"cwd": "/", "env": {}, "command": ["a\\u0000"], "timeout": 5}',
        '{"cwd": "/", "env": {"A": 1}, "command": ["/bin/sh"], "timeout": 5}',
        '{"cwd": "/", "env": {}, "command": ["/bin/sh"], "timeout": 100000}',
    ]:
        assert asyncio.run(tools.handle("guest.script.run", bad.encode())).startswith(b"0 "), bad
    assert host.calls == []
    assert asyncio.run(tools.handle("guest.sethostname", b"web-01")) == b"1 "
    ok = '{"cwd": "/var/run/vmware-imc/x", "env": {"PATH": "/bin"}, "command": ["/bin/sh", "-c", ":"], "timeout": 5}'
    assert asyncio.run(tools.handle("guest.script.run", ok.encode())).startswith(b"1 {")
    assert host.calls[0] == "web-01" and host.calls[1].command == ["/bin/sh", "-c", ":"]
