"""The sandbox every guest program runs in: Debian's bubblewrap (``bwrap``).

A guest program (a customization script today; guest operations and the live-guest
agent use the same API) never runs on the host.  ``SandboxSpec`` says what the program
gets; ``popen`` starts it::

    spec = SandboxSpec(root=tree, cwd="/var/run/vmware-imc/ab12", env={"PATH": "/bin"})
    proc = popen(spec, ["/bin/sh", "customize.sh", "precustomization"], stdout=PIPE)

What confines it (see ``argv``):

* namespaces: user, mount, PID, IPC, UTS, cgroup (where the kernel has it) and network:
  a new, empty one (``Network.NONE``, tree guests) or the caller's (``Network.JOIN_CURRENT``:
  the live-guest agent runs in the guest's network namespace, so its programs share it);
* the guest tree as ``/`` (bwrap's pivot_root, bound nosuid/nodev), its own ``/proc``
  (read-only: see below), a minimal ``/dev``, a tmpfs ``/tmp`` only when the guest has none;
* credentials: the guest uid/gid map to the *same* host ids (guest root is host uid 0)
  inside a new user namespace, with every capability dropped (effective, permitted,
  inheritable, ambient and bounding), ``no_new_privs`` (bwrap sets it) and no further user
  namespaces (``--disable-userns``).  Why not an unprivileged host id: the guest's files
  are owned by host uid 0, and a user namespace cannot touch files whose owner it does not
  map, so guest root could not change its own /etc.  Why dropping capabilities is not
  enough on its own: the kernel lets host uid 0 write root-owned proc files
  (``/proc/sys/kernel/*``, ``/proc/sysrq-trigger``) by mode bits alone, without any
  capability, and bwrap 0.8 leaves them writable in a user namespace; so ``/proc`` is
  remounted read-only, which a program without CAP_SYS_ADMIN cannot undo, and a nested
  user namespace (which would hand back capabilities) cannot be created;
* lifetime: ``--die-with-parent`` (PR_SET_PDEATHSIG) plus the PID namespace: when bwrap's
  parent dies, bwrap dies, its pid 1 dies, and the kernel kills every process of the
  namespace.  The kernel's "parent" is the *thread* that forked bwrap, so every sandbox
  is forked by one launcher thread that lives as long as the process (``_Launcher``);
* a new session (no TIOCSTI into the caller's terminal), a cleared environment (only
  ``env``), the working directory ``cwd`` resolved inside the guest.

Mount points bwrap needs (``/proc``, ``/dev``, bind targets) are made beforehand by a
walk that never follows a symlink: bwrap itself would follow a guest's symlinked
``proc`` while it still sees the host, and create a directory there.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import enum
import os
import queue
import shutil
import stat
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = ["Bind", "Network", "SandboxError", "SandboxFailure", "SandboxSpec", "argv", "guest_path_of",
           "launch_count", "popen", "prepare"]  # fmt: skip

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Network(enum.Enum):
    NONE = "none"  # a new network namespace with only a down loopback (tree guests)
    JOIN_CURRENT = "join-current"  # the caller's network namespace (the live guest's, for its agent)


class SandboxFailure(enum.Enum):
    NOT_INSTALLED = "not_installed"  # no bwrap on this machine
    OUTSIDE_ROOT = "outside_root"  # a path that should lie in the guest tree does not
    BAD_MOUNT_POINT = "bad_mount_point"  # the guest's /proc, /dev or a bind target is a symlink or a file


class SandboxError(Exception):
    def __init__(self, kind: SandboxFailure, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Bind:
    """A host path shown read-only at a guest path (the live agent's own runtime)."""

    source: Path
    dest: str


@dataclass(frozen=True)
class SandboxSpec:
    root: Path  # the guest tree on the host: the program's /
    cwd: str = "/"  # a guest path
    uid: int = 0  # guest ids (the same ids on the host: see the module text)
    gid: int = 0
    env: Mapping[str, str] = field(default_factory=lambda: {"PATH": DEFAULT_PATH, "LANG": "C"})
    network: Network = Network.NONE
    ro_binds: tuple[Bind, ...] = ()
    hostname: str | None = None  # None: "localhost" in a tree guest, the caller's in a live one

    def __post_init__(self) -> None:
        for path in (self.cwd, *(b.dest for b in self.ro_binds)):
            if not path.startswith("/") or "\0" in path:
                raise ValueError(f"{path!r} is not an absolute guest path")
        if any("\0" in t for t in (str(self.root), *self.env, *self.env.values(), self.hostname or "")):
            raise ValueError("NUL in a sandbox setting")


def bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxError(SandboxFailure.NOT_INSTALLED,
                           "bubblewrap (bwrap) is not installed on the gosc host: guest programs cannot run")  # fmt: skip
    return path


def guest_path_of(root: Path, host_path: Path) -> str:
    """The guest path of a host path inside the tree, lexically (the guest's kernel, not the
    host's, resolves its symlinks: a guest's ``var/run -> /run`` is the guest's ``/run``)."""
    rel = os.path.relpath(os.path.abspath(host_path), os.path.abspath(root))
    if rel == ".." or rel.startswith("../") or os.path.isabs(rel):
        raise SandboxError(SandboxFailure.OUTSIDE_ROOT, f"{host_path} is not inside the guest tree {root}")
    return "/" if rel == "." else "/" + rel


def _needs_tmp(root: Path) -> bool:
    """A guest without /tmp gets a tmpfs there.  Its mount point stays behind as an empty
    directory, which later sandboxes use as the guest's own /tmp (as an installer would
    have left it); a symlinked /tmp (-> var/tmp) is the guest's own, resolved inside it."""
    return not os.path.lexists(root / "tmp")


def _options(spec: SandboxSpec, tmpfs_tmp: bool) -> list[str]:
    args = ["--unshare-all", "--unshare-user", "--disable-userns"]
    if spec.network is Network.JOIN_CURRENT:
        args.append("--share-net")
    hostname = spec.hostname or ("localhost" if spec.network is Network.NONE else None)
    if hostname:
        args += ["--hostname", hostname]
    args += ["--uid", str(spec.uid), "--gid", str(spec.gid), "--cap-drop", "ALL",
             "--die-with-parent", "--new-session", "--clearenv"]  # fmt: skip
    for key, value in spec.env.items():
        args += ["--setenv", key, value]
    args += ["--bind", str(spec.root), "/", "--proc", "/proc", "--remount-ro", "/proc", "--dev", "/dev"]
    if tmpfs_tmp:
        args += ["--tmpfs", "/tmp"]
    for b in spec.ro_binds:
        args += ["--ro-bind", str(b.source), b.dest]
    return [*args, "--chdir", spec.cwd]


def argv(spec: SandboxSpec, command: Sequence[str]) -> list[str]:
    """The bwrap command line that runs ``command`` (a guest path and its arguments).
    ``popen`` passes the same options through a pipe instead (``--args``), so that the
    sandbox's pid 1 does not show the host's paths to the guest."""
    if not command:
        raise ValueError("no command")
    return [bwrap(), *_options(spec, _needs_tmp(spec.root)), "--", *command]


def prepare(spec: SandboxSpec) -> bool:
    """Make the mount points bwrap needs inside the tree, never through a symlink.
    Returns whether ``/tmp`` gets a tmpfs (the guest had none)."""
    tmpfs_tmp = _needs_tmp(spec.root)
    dirs = ["/proc", "/dev", *(["/tmp"] if tmpfs_tmp else [])]
    for path in dirs:
        _make_mount_point(spec.root, path, directory=True)
    for b in spec.ro_binds:
        _make_mount_point(spec.root, b.dest, directory=b.source.is_dir())
    return tmpfs_tmp


def _make_mount_point(root: Path, guest_path: str, *, directory: bool) -> None:
    parts = [p for p in PurePosixPath(guest_path).parts[1:] if p not in ("", ".")]
    if ".." in parts or not parts:
        raise SandboxError(SandboxFailure.BAD_MOUNT_POINT, f"{guest_path}: not a usable mount point")
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(root, flags)
    try:
        for i, name in enumerate(parts):
            last = i == len(parts) - 1
            if last and not directory:
                _make_file(fd, name, guest_path)
                return
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o755, dir_fd=fd)
            try:
                nfd = os.open(name, flags, dir_fd=fd)
            except OSError as exc:  # ELOOP (a symlink) or ENOTDIR (a file)
                raise SandboxError(SandboxFailure.BAD_MOUNT_POINT,
                                   f"the guest's {guest_path} is not a directory ({exc.strerror})") from None  # fmt: skip
            os.close(fd)
            fd = nfd
    finally:
        os.close(fd)


def _make_file(dir_fd: int, name: str, guest_path: str) -> None:
    try:
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=dir_fd))
    except FileExistsError:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode):
            raise SandboxError(SandboxFailure.BAD_MOUNT_POINT, f"the guest's {guest_path} is not a regular file") from None


def popen(spec: SandboxSpec, command: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """Start ``command`` in the sandbox; ``kwargs`` go to subprocess.Popen (stdio, text).

    The Popen is bwrap's process, in a process group of its own: killing it (``kill`` or
    ``os.killpg``) ends every process in the sandbox, through --die-with-parent and the
    PID namespace."""
    for key in ("cwd", "env", "preexec_fn", "start_new_session", "process_group"):
        if key in kwargs:
            raise TypeError(f"{key} is the sandbox's to set")
    if not command:
        raise ValueError("no command")
    exe = bwrap()
    options = _options(spec, prepare(spec))
    r, w = os.pipe()
    try:
        with os.fdopen(w, "wb") as f:  # a few KB: the pipe holds them, nothing blocks
            w = -1
            f.write(b"".join(a.encode() + b"\0" for a in options))
        return _LAUNCHER.popen([exe, "--args", str(r), "--", *command], env={}, start_new_session=True,
                               pass_fds=(r,), **kwargs)  # fmt: skip
    finally:
        os.close(r)
        if w != -1:
            os.close(w)


def launch_count() -> int:
    """How many sandboxes this process has started (the bench and tests read it)."""
    return _LAUNCHER.count


class _Launcher:
    """Forks every sandbox from one thread that lives as long as the process.

    PR_SET_PDEATHSIG fires when the thread that forked the child exits, not the process:
    a sandbox forked by a short-lived worker thread would be killed when that worker
    ends, or, if the worker outlived its use, would still die with the process.  One
    long-lived thread gives exactly "dies with the server", kill -9 included."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[list[str], dict[str, Any], concurrent.futures.Future[Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.count = 0

    def popen(self, args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="gosc-sandbox-launcher", daemon=True)
                self._thread.start()
        done: concurrent.futures.Future[subprocess.Popen[Any]] = concurrent.futures.Future()
        self._jobs.put((args, kwargs, done))
        return done.result()

    def _serve(self) -> None:
        while True:
            args, kwargs, done = self._jobs.get()
            try:
                proc = subprocess.Popen(args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                done.set_exception(exc)
            else:
                self.count += 1
                done.set_result(proc)


# One per process by nature: it stands for the process's own lifetime (see _Launcher).
_LAUNCHER = _Launcher()
