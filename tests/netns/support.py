"""Helpers for live-guest tests: a gosc server with the netns backend, and ways to look
into its namespaces from outside (ip netns exec, nsenter), as an operator would."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import write_users
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer
from tests.support.vijson import ViClient

GCM = ("VirtualMachineGuestCustomizationManager", "GuestCustomizationManager")
OWNER_ENV = b"GOSC_NETNS_OWNER="


def netns_server(data: Path, prefix: str, *, demo: bool = True) -> GoscServer:
    write_users(data)
    return GoscServer(data, demo=demo, extra_args=["--guest-backend", "netns", "--netns-prefix", prefix])


def login(server: GoscServer) -> ViClient:
    vi = ViClient(server.url)
    vi.login(ADMIN, ADMIN_PASSWORD)
    return vi


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=30)


def ping(host_ns: str, ip: str, tries: int = 3) -> bool:
    for _ in range(tries):
        if sh("ip", "netns", "exec", host_ns, "ping", "-c1", "-W1", ip, check=False).returncode == 0:
            return True
    return False


def guest_pids(prefix: str, vm: dict[str, str]) -> list[int]:
    out = sh("ip", "netns", "pids", f"{prefix}-{vm['value']}", check=False).stdout
    return [int(p) for p in out.split()]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # a short-lived process in the guest (the agent runs `ip`) is gone meanwhile
        return b""


def holder_pid(prefix: str, vm: dict[str, str]) -> int:
    for pid in guest_pids(prefix, vm):
        if _cmdline(pid).startswith(b"sleep\0"):
            return pid
    raise AssertionError(f"no namespace holder for {vm['value']}")


TOOLS_LOADER = b"/usr/lib/gosc-tools/lib/ld-linux"


def agent_pid(prefix: str, vm: dict[str, str]) -> int:
    """The agent itself (the interpreter started through the runtime's loader), not the
    bwrap processes of its sandbox, whose command lines name it too."""
    for pid in guest_pids(prefix, vm):
        cmd = _cmdline(pid)
        if cmd.startswith(TOOLS_LOADER) and b"gosc.guest.agent_process" in cmd:
            return pid
    raise AssertionError(f"no agent for {vm['value']}")


def guest_hostname(prefix: str, vm: dict[str, str]) -> str:
    """The host name inside the guest's UTS namespace."""
    return sh("nsenter", "-t", str(holder_pid(prefix, vm)), "-u", "hostname").stdout.strip()


def guest_file(server: GoscServer, vi: ViClient, prefix: str, vm: dict[str, str], rel: str) -> Path:
    """A file of the guest tree as the guest sees it (through its mount namespace)."""
    uuid = vi.get("VirtualMachine", vm["value"], "config")["instanceUuid"]
    return (
        Path(f"/proc/{holder_pid(prefix, vm)}/root") / str(server.data_dir).lstrip("/") / "guests" / uuid / "root" / rel
    )


# ---------------------------------------------------------------- leftovers


def owned_pids(prefix: str) -> list[int]:
    marker = OWNER_ENV + prefix.encode()
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                    out.append(int(entry))
            except OSError:
                pass
    return out


def leftovers(prefix: str, data: Path, machine_links: set[str]) -> dict[str, Any]:
    """What a stopped server with this prefix left behind: should be all empty."""
    netns = sorted(p.name for p in Path("/run/netns").glob(f"{prefix}-*")) if Path("/run/netns").is_dir() else []
    mounts = [m for m in Path("/proc/self/mountinfo").read_text().splitlines() if str(data) in m or f"/{prefix}-" in m]
    links = set(sh("ip", "-o", "link", "show").stdout.splitlines())
    names = {line.split(":")[1].strip().split("@")[0] for line in links} - machine_links
    return {"netns": netns, "processes": owned_pids(prefix), "mounts": mounts, "links": sorted(names)}


def machine_links() -> set[str]:
    return {line.split(":")[1].strip().split("@")[0] for line in sh("ip", "-o", "link", "show").stdout.splitlines()}


def sweep(prefix: str) -> None:
    """Remove whatever a server with this prefix left (the backend's own recovery pass)."""
    from gosc.backends.netns import NetnsBackend

    NetnsBackend(Path("/nonexistent"), Path("/nonexistent"), prefix=prefix).recover()
