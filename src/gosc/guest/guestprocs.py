"""Programs started in a guest by guest operations (StartProgramInGuest), as VMware Tools
runs them: ``/bin/sh -c '<program path> <arguments>'`` as the authenticated account.

Every program runs in gosc.guest.sandbox, never on the host: the guest tree as ``/``, the
account's uid and gid from the guest's own ``/etc/passwd`` and its groups from
``/etc/group``, every capability dropped, ``no_new_privs``.  A tree guest gets a new, empty
network namespace and its ``/etc/hostname`` as host name; a live (netns) guest's program
is made inside the guest's own network, UTS and mount namespaces (``Place.enter``), so it
sees the guest's network as the guest's own programs do.  A non-root account's sandbox
is made by that account's own host ids (``SandboxSpec.as_ids``): the guest's ids are
the host's, so the kernel checks the tree's permission bits exactly as for the account.  Output goes nowhere, as with
VMware Tools (clients redirect it into guest files).

``Programs`` keeps one guest's programs: running ones, and ended ones for
``KEEP_SECONDS`` with their exit code and end time (what ListProcessesInGuest shows).
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import itertools
import os
import posixpath
import shlex
import signal
import stat
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..formats.rules import host_label_problem
from . import sandbox
from .guest_account import GuestAccount
from .guestpath import GuestPathError, GuestRoot, Kind

__all__ = ["KEEP_SECONDS", "MAX_RUNNING", "Place", "Program", "Programs", "check_program"]

KEEP_SECONDS = 300.0  # ended programs stay listed this long (VMware Tools: about 5 minutes)
KEEP_ENDED = 256  # and at most this many of them
MAX_RUNNING = 64  # programs running at once in one guest (each holds a sandbox and a waiting thread)
SHELL = "/bin/sh"


@dataclass(frozen=True)
class Place:
    """Where a guest's tree is: ``root`` as the sandbox's namespaces see it, ``view`` as
    this process reaches it; ``enter`` the process whose namespaces a live guest's
    sandboxes are made in (None for a tree guest)."""

    root: Path
    view: Path
    enter: int | None = None
    host_env: Mapping[str, str] = field(default_factory=dict)

    def open(self) -> GuestRoot:
        return GuestRoot(self.view)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass
class Program:
    pid: int
    name: str
    owner: str
    owner_uid: int
    cmdline: str
    start: datetime.datetime
    proc: subprocess.Popen[bytes] | None = None
    end: datetime.datetime | None = None
    exit_code: int | None = None


def _may_execute(st: os.stat_result, account: GuestAccount) -> bool:
    if account.is_root:
        return bool(st.st_mode & 0o111)
    if st.st_uid == account.uid:
        return bool(st.st_mode & 0o100)
    if st.st_gid in account.groups:
        return bool(st.st_mode & 0o010)
    return bool(st.st_mode & 0o001)


def check_program(g: GuestRoot, account: GuestAccount, program: str, cwd: str) -> None:
    """What must hold before a program starts (run with the account's ids): the guest has
    a shell, the program is a file the account may execute, ``cwd`` a directory."""
    if not g.is_file(SHELL):
        raise GuestPathError(Kind.NOT_FOUND, SHELL, "the guest has no shell to start programs with", errno.ENOENT)
    st = g.stat(program)
    if stat.S_ISDIR(st.st_mode):
        raise GuestPathError(Kind.IS_A_DIRECTORY, program, "is a directory", errno.EISDIR)
    if not _may_execute(st, account):
        raise GuestPathError(Kind.DENIED, program, f"{account.name} may not execute it", errno.EACCES)
    if not stat.S_ISDIR(g.stat(cwd).st_mode):
        raise GuestPathError(Kind.NOT_A_DIRECTORY, cwd, "is not a directory", errno.ENOTDIR)


def _tree_hostname(g: GuestRoot) -> str | None:
    """A tree guest's name as its kernel would have it after boot (/etc/hostname)."""
    with contextlib.suppress(OSError):
        first = (g.read_text("/etc/hostname") or "").strip().split(".")[0]
        if first and host_label_problem(first) is None:
            return first
    return None


class Programs:
    """The programs guest operations started in one guest."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._programs: dict[int, Program] = {}
        self._pids = itertools.count(1000 + int.from_bytes(os.urandom(1), "big"))

    def running(self) -> int:
        with self._lock:
            return sum(1 for p in self._programs.values() if p.proc is not None)

    def start(
        self,
        place: Place,
        account: GuestAccount,
        program: str,
        arguments: str,
        cwd: str,
        env: Mapping[str, str],
    ) -> Program:
        """Start ``program`` (checked by ``check_program``); SandboxError when bwrap is missing."""
        line = f"{shlex.quote(program)} {arguments}".rstrip()
        hostname = None
        if place.enter is None:
            with place.open() as g:
                hostname = _tree_hostname(g)
        spec = sandbox.SandboxSpec(
            root=place.root,
            view=place.view if place.enter is not None else None,
            cwd=cwd,
            uid=account.uid,
            gid=account.gid,
            env=dict(env),
            network=sandbox.Network.JOIN_CURRENT if place.enter is not None else sandbox.Network.NONE,
            hostname=hostname,
            enter=place.enter,
            host_env=dict(place.host_env),
            # guest root is host root in the sandbox (as for custom scripts); any other
            # account's sandbox is made by its own host ids, with its guest groups
            as_ids=not account.is_root,
            groups=account.groups,
        )
        null = subprocess.DEVNULL
        # Guest root keeps only its own groups, never the server's.
        groups = {} if spec.as_ids else {"extra_groups": list(account.groups)}
        proc = sandbox.popen(spec, [SHELL, "-c", line], stdin=null, stdout=null, stderr=null, **groups)
        with self._lock:
            pid = next(self._pids)
            p = Program(
                pid,
                posixpath.basename(program),
                account.name,
                account.uid,
                f'"{program}" {arguments}'.rstrip(),
                _now(),
                proc,
            )
            self._programs[pid] = p
        threading.Thread(target=self._wait, args=(p, proc), name=f"gosc-guest-program-{pid}", daemon=True).start()
        return p

    def _wait(self, p: Program, proc: subprocess.Popen[bytes]) -> None:
        rc = proc.wait()
        with self._lock:
            p.exit_code = 128 - rc if rc < 0 else rc  # killed by a signal: the shell's 128+N
            p.end = _now()
            p.proc = None

    def list(self, pids: Sequence[int]) -> list[Program]:
        self._prune()
        with self._lock:
            if pids:
                return [self._programs[p] for p in pids if p in self._programs]
            return sorted(self._programs.values(), key=lambda p: p.pid)

    def get(self, pid: int) -> Program | None:
        with self._lock:
            return self._programs.get(pid)

    def terminate(self, pid: int) -> bool:
        """Kill a running program's whole sandbox; False when it is not running."""
        with self._lock:
            p = self._programs.get(pid)
            proc = p.proc if p is not None else None
        if proc is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return True

    def terminate_all(self) -> None:
        with self._lock:
            running = [p.pid for p in self._programs.values() if p.proc is not None]
        for pid in running:
            self.terminate(pid)

    def _prune(self) -> None:
        horizon = _now() - datetime.timedelta(seconds=KEEP_SECONDS)
        with self._lock:
            ended = sorted((p for p in self._programs.values() if p.end is not None), key=lambda p: p.end or horizon)
            for i, p in enumerate(ended):
                if (p.end or horizon) < horizon or i < len(ended) - KEEP_ENDED:
                    del self._programs[p.pid]
