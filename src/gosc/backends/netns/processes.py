"""Processes and namespaces the netns backend starts, and how it finds and ends them.

Every process carries ``GOSC_NETNS_OWNER=<prefix>`` in its environment, and every
namespace is named with the prefix, so that ``owned_pids``/``owned_netns`` find what an
earlier server left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

OWNER_ENV = "GOSC_NETNS_OWNER"
NETNS_DIR = Path("/run/netns")


def owned_pids(prefix: str) -> list[int]:
    """Processes whose environment says a gosc netns backend with this prefix started them."""
    marker = f"{OWNER_ENV}={prefix}".encode()
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            env = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        if marker in env.split(b"\0"):
            out.append(int(entry))
    return out


def owned_netns(prefix: str) -> list[str]:
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix + "-"))


def run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])}: {proc.stderr.strip()}")


async def run_async(args: list[str], check: bool = True, stdin: bytes | None = None) -> None:
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, err = await proc.communicate(stdin)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])}: {err.decode(errors='replace').strip()}")


async def ip_batch(lines: list[str], netns: str, check: bool = True) -> None:
    if lines:
        await run_async(
            ["ip", "-n", netns, "-force", "-batch", "-"], check=check, stdin=("\n".join(lines) + "\n").encode()
        )


async def kill(proc: asyncio.subprocess.Process, sig: int = signal.SIGKILL) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            await asyncio.wait_for(proc.wait(), 3)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


async def wait_popen(proc: subprocess.Popen[Any], timeout: float | None = None) -> int:
    """Await a subprocess.Popen's end on the loop (a pidfd), without a thread per process."""
    if proc.poll() is not None:
        return proc.returncode
    fd = os.pidfd_open(proc.pid)
    try:
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            if not ended.done():
                ended.set_result(None)

        loop.add_reader(fd, readable)
        try:
            await asyncio.wait_for(ended, timeout)
        finally:
            loop.remove_reader(fd)
    finally:
        os.close(fd)
    return proc.wait()


async def kill_popen(proc: subprocess.Popen[Any]) -> None:
    """Kill a sandbox: its bwrap's process group; --die-with-parent and its PID namespace
    take every process inside."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    await wait_popen(proc, 3)
