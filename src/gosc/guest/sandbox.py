"""The sandbox every guest program runs in: Debian's bubblewrap (``bwrap``).

A guest program (a customization script, the live-guest tools agent; guest operations
later) never runs on the host.  ``SandboxSpec`` says what the program gets; ``popen``
starts it, ``run`` starts it and waits (bounded output, a timeout, a cancel event)::

    spec = SandboxSpec(root=tree, cwd="/var/run/vmware-imc/ab12", env={"PATH": "/bin"})
    done = run(spec, ["/bin/sh", "customize.sh", "precustomization"], timeout=100)

What confines it (see ``_options``):

* namespaces: mount, PID, IPC, cgroup (where the kernel has it), UTS (a new one, or the
  caller's: ``own_uts=False``), user (see below) and network: a new, empty one
  (``Network.NONE``, tree guests) or the caller's (``Network.JOIN_CURRENT``);
* ``enter=<pid>``: the sandbox is made from inside that process's network, UTS and
  mount namespaces (``nsenter``), e.g. a live guest's holder: its network is then the
  guest's, and ``root`` is a path of *that* mount namespace (``view`` is how this process
  reaches the same tree, through ``/proc/<pid>/root``, to make mount points);
* the guest tree as ``/`` (bwrap's pivot_root, bound nosuid/nodev), its own ``/proc``
  (read-only: see below), a minimal ``/dev``, a tmpfs ``/tmp`` only when the guest has none;
  ``tools_dir``: one guest directory shown as a tmpfs that holds the ``ro_binds`` under it
  and is then made read-only (the live agent's runtime, as VMware Tools lives in a guest);
  ``masks``: paths inside those binds covered by an empty read-only tmpfs;
* credentials, with a user namespace (``userns=True``, custom scripts): the guest uid/gid
  map to the *same* host ids (guest root is host uid 0) inside a new user namespace, with
  every capability dropped (effective, permitted, inheritable, ambient and bounding),
  ``no_new_privs`` (bwrap sets it) and no further user namespaces (``--disable-userns``).
  Why not an unprivileged host id: the guest's files are owned by host uid 0, and a user
  namespace cannot touch files whose owner it does not map, so guest root could not change
  its own /etc.  Why dropping capabilities is not enough on its own: the kernel lets host
  uid 0 write root-owned proc files (``/proc/sys/kernel/*``, ``/proc/sysrq-trigger``) by
  mode bits alone, without any capability, and bwrap 0.8 leaves them writable in a user
  namespace; so ``/proc`` is remounted read-only, which a program without CAP_SYS_ADMIN
  cannot undo, and a nested user namespace (which would hand back capabilities) cannot be
  created;
* ``as_ids`` (guest operations' non-root accounts): bwrap is run by the account's own host
  ids, so the sandbox uid is that host uid, not host root (see ``_as_ids``);
* without a user namespace (``userns=False``, the live agent: its network capabilities
  must act on the guest's network namespace, which the host's user namespace owns): bwrap
  run by root in its privileged mode, host uid 0, ``--cap-drop ALL`` and only
  ``capabilities`` added back (never CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_DAC_*,
  CAP_SYS_MODULE: refused here), ``no_new_privs``, the same read-only ``/proc``, and
  gosc.guest.seccomp's filter in place of ``--disable-userns`` (no user namespaces, no
  keyrings);
* lifetime: ``--die-with-parent`` (PR_SET_PDEATHSIG) plus the PID namespace: when bwrap's
  parent dies, bwrap dies, its pid 1 dies, and the kernel kills every process of the
  namespace.  The kernel's "parent" is the *thread* that forked bwrap, so every sandbox
  is forked by one launcher thread that lives as long as the process (``_Launcher``);
* a new session (no TIOCSTI into the caller's terminal), a cleared environment (only
  ``env``), the working directory ``cwd`` resolved inside the guest.

Mount points bwrap needs (``/proc``, ``/dev``, ``tools_dir``, bind targets) are made
beforehand by a walk that never follows a symlink: bwrap itself would follow a guest's
symlinked ``proc`` while it still sees the host, and create a directory there.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import enum
import os
import queue
import re
import selectors
import shutil
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from . import seccomp

__all__ = [
    "Bind",
    "Completed",
    "Network",
    "Outcome",
    "Runner",
    "SandboxError",
    "SandboxFailure",
    "SandboxSpec",
    "guest_path_of",
    "launch_count",
    "popen",
    "prepare",
    "run",
]

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
OUTPUT_LIMIT = 1 << 20  # bytes of each of stdout and stderr that ``run`` keeps
# Capabilities no guest program ever keeps: each one hands back the host.
FORBIDDEN_CAPS = frozenset(
    {
        "CAP_SYS_ADMIN",
        "CAP_SYS_PTRACE",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SETUID",
        "CAP_SETGID",
        "CAP_SETPCAP",
        "CAP_SYS_CHROOT",
        "CAP_MKNOD",
        "CAP_SYS_BOOT",
        "CAP_BPF",
        "CAP_PERFMON",
    }
)
_CAP_NAME = re.compile(r"CAP_[A-Z_]+")


class Network(enum.Enum):
    NONE = "none"  # a new network namespace with only a down loopback (tree guests)
    JOIN_CURRENT = "join-current"  # the caller's (with ``enter``: that process's) network namespace


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
    root: Path  # the guest tree (in ``enter``'s mount namespace when set): the program's /
    cwd: str = "/"  # a guest path
    uid: int = 0  # guest ids (the same ids on the host: see the module text)
    gid: int = 0
    env: Mapping[str, str] = field(default_factory=lambda: {"PATH": DEFAULT_PATH, "LANG": "C"})
    network: Network = Network.NONE
    ro_binds: tuple[Bind, ...] = ()
    hostname: str | None = None  # None: "localhost" in a tree guest, the caller's in a live one
    userns: bool = True  # False: host ids, no user namespace (bwrap run by root; the seccomp filter)
    capabilities: tuple[str, ...] = ()  # kept after --cap-drop ALL
    own_uts: bool = True  # False: the caller's (``enter``'s) UTS namespace
    enter: int | None = None  # a process whose network, UTS and mount namespaces the sandbox is made in
    view: Path | None = None  # ``root`` as this process reaches it (default: ``root``)
    tools_dir: str | None = None  # a guest directory shown as a read-only tmpfs holding the binds under it
    masks: tuple[str, ...] = ()  # guest paths covered by an empty read-only tmpfs
    host_env: Mapping[str, str] = field(default_factory=dict)  # nsenter's and bwrap's own, never the program's
    # Made by uid/gid themselves (guest operations' non-root accounts): see ``_as_ids``.
    as_ids: bool = False
    groups: tuple[int, ...] = ()  # with ``as_ids``: the supplementary groups (the guest's, host ids)

    def __post_init__(self) -> None:
        for path in (
            self.cwd,
            *(b.dest for b in self.ro_binds),
            *self.masks,
            *([self.tools_dir] if self.tools_dir else []),
        ):
            if not path.startswith("/") or "\0" in path:
                raise ValueError(f"{path!r} is not an absolute guest path")
        if any("\0" in t for t in (str(self.root), *self.env, *self.env.values(), self.hostname or "")):
            raise ValueError("NUL in a sandbox setting")
        for cap in self.capabilities:
            if not _CAP_NAME.fullmatch(cap) or cap in FORBIDDEN_CAPS:
                raise ValueError(f"a guest program never gets {cap}")
        if not self.userns and (self.uid, self.gid) != (0, 0):
            raise ValueError("without a user namespace a sandbox keeps the caller's ids")
        if self.as_ids and (not self.userns or self.uid == 0 or self.ro_binds or self.tools_dir):
            raise ValueError("as_ids is for a non-root account's plain sandbox")
        if self.hostname is not None and not self.own_uts:
            raise ValueError("a host name needs a UTS namespace of its own")

    @property
    def host_root(self) -> Path:
        return self.view or self.root


def bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxError(
            SandboxFailure.NOT_INSTALLED,
            "bubblewrap (bwrap) is not installed on the gosc host: guest programs cannot run",
        )
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


def _in_tools_dir(spec: SandboxSpec, path: str) -> bool:
    return spec.tools_dir is not None and (path + "/").startswith(spec.tools_dir.rstrip("/") + "/")


def _options(spec: SandboxSpec, tmpfs_tmp: bool, seccomp_fd: int | None) -> list[str]:
    args = ["--unshare-ipc", "--unshare-pid", "--unshare-cgroup-try"]
    if spec.own_uts:
        args.append("--unshare-uts")
    if spec.network is Network.NONE:
        args.append("--unshare-net")
    if spec.userns:
        args += ["--unshare-user", "--disable-userns", "--uid", str(spec.uid), "--gid", str(spec.gid)]
    elif seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    hostname = spec.hostname or ("localhost" if spec.network is Network.NONE and spec.own_uts else None)
    if hostname:
        args += ["--hostname", hostname]
    args += ["--cap-drop", "ALL"]
    for cap in spec.capabilities:
        args += ["--cap-add", cap]
    args += ["--die-with-parent", "--new-session", "--clearenv"]
    for key, value in spec.env.items():
        args += ["--setenv", key, value]
    root = AS_IDS_POINT if spec.as_ids else str(spec.root)
    args += ["--bind", root, "/", "--proc", "/proc", "--remount-ro", "/proc", "--dev", "/dev"]
    if tmpfs_tmp:
        args += ["--tmpfs", "/tmp"]
    if spec.tools_dir:
        args += ["--tmpfs", spec.tools_dir]
    for b in spec.ro_binds:
        args += ["--ro-bind", str(b.source), b.dest]
    for mask in spec.masks:
        args += ["--tmpfs", mask, "--remount-ro", mask]
    if spec.tools_dir:
        args += ["--remount-ro", spec.tools_dir]
    return [*args, "--chdir", spec.cwd]


def prepare(spec: SandboxSpec) -> bool:
    """Make the mount points bwrap needs inside the tree, never through a symlink.
    Returns whether ``/tmp`` gets a tmpfs (the guest had none)."""
    root = spec.host_root
    tmpfs_tmp = _needs_tmp(root)
    dirs = ["/proc", "/dev", *(["/tmp"] if tmpfs_tmp else []), *([spec.tools_dir] if spec.tools_dir else [])]
    for path in dirs:
        _make_mount_point(root, path, directory=True)
    for b in spec.ro_binds:
        if not _in_tools_dir(spec, b.dest):  # those are made by bwrap in its own tmpfs
            _make_mount_point(root, b.dest, directory=b.source.is_dir())
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
                raise SandboxError(
                    SandboxFailure.BAD_MOUNT_POINT, f"the guest's {guest_path} is not a directory ({exc.strerror})"
                ) from None
            os.close(fd)
            fd = nfd
    finally:
        os.close(fd)


def _make_file(dir_fd: int, name: str, guest_path: str) -> None:
    try:
        os.close(
            os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=dir_fd)
        )
    except FileExistsError:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode):
            raise SandboxError(
                SandboxFailure.BAD_MOUNT_POINT, f"the guest's {guest_path} is not a regular file"
            ) from None


def popen(spec: SandboxSpec, command: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """Start ``command`` in the sandbox; ``kwargs`` go to subprocess.Popen (stdio, text,
    pass_fds: e.g. the live agent's tools channel).

    The Popen is bwrap's process (or nsenter's, which becomes bwrap), in a process group of
    its own: killing it (``kill`` or ``os.killpg``) ends every process in the sandbox,
    through --die-with-parent and the PID namespace.  The options go through a pipe
    (``--args``), so that the sandbox's pid 1 does not show the host's paths to the guest."""
    for key in ("cwd", "env", "preexec_fn", "start_new_session", "process_group"):
        if key in kwargs:
            raise TypeError(f"{key} is the sandbox's to set")
    if not command:
        raise ValueError("no command")
    exe = [bwrap()]
    if spec.enter is not None:
        nsenter = shutil.which("nsenter")
        if nsenter is None:
            raise SandboxError(SandboxFailure.NOT_INSTALLED, "nsenter (util-linux) is not installed on the gosc host")
        exe = [nsenter, "-t", str(spec.enter), "-n", "-u", "-m", "--", *exe]
    if spec.as_ids:
        exe = [*exe[:-1], *_as_ids(spec), exe[-1]]
    tmpfs_tmp = prepare(spec)
    fds: list[int] = []
    try:
        filter_fd = None if spec.userns else _pipe_with(seccomp.program(), fds)
        args_fd = _pipe_with(b"".join(a.encode() + b"\0" for a in _options(spec, tmpfs_tmp, filter_fd)), fds)
        extra = tuple(kwargs.pop("pass_fds", ()))
        return _LAUNCHER.popen(
            [*exe, "--args", str(args_fd), "--", *command],
            env=dict(spec.host_env),
            start_new_session=True,
            pass_fds=(*fds, *extra),
            **kwargs,
        )
    finally:
        for fd in fds:
            os.close(fd)


AS_IDS_POINT = "/mnt"  # where an ``as_ids`` sandbox's maker sees the tree (in its own mount namespace)


def _as_ids(spec: SandboxSpec) -> list[str]:
    """The commands that make bwrap itself run as the account's host ids (``as_ids``).

    bwrap run by root maps the sandbox's uid to host uid 0 whatever ``--uid`` says, so a
    guest account's program would own every root-owned file.  Run by the account's own
    ids instead, bwrap maps the sandbox uid to that host uid, and the kernel checks the
    guest's permission bits as for the account; its supplementary groups (``groups``) are
    set before.  Such a bwrap cannot reach the tree under the server's 0700 data
    directory: a private mount namespace (nothing propagates to the host, it ends with
    the program) shows it at ``AS_IDS_POINT`` first.  Made as root: the namespace and the
    bind (util-linux ``unshare``, ``mount``); then ``setpriv`` drops to the ids, every
    capability (bounding and inheritable too) with them."""
    tools = {t: shutil.which(t) for t in ("unshare", "sh", "setpriv")}
    missing = [t for t, path in tools.items() if path is None]
    if missing:
        raise SandboxError(SandboxFailure.NOT_INSTALLED, f"{', '.join(missing)} (util-linux) missing on the gosc host")
    groups = ",".join(str(g) for g in spec.groups or (spec.gid,))
    bind = 'mount --bind -- "$1" "$2" && shift 2 && exec "$@"'
    return [
        *(str(tools["unshare"]), "-m", "--propagation", "private", "--"),
        *(str(tools["sh"]), "-c", bind, "sh", str(spec.root), AS_IDS_POINT),
        *(str(tools["setpriv"]), "--reuid", str(spec.uid), "--regid", str(spec.gid), "--groups", groups),
        *("--inh-caps=-all", "--bounding-set=-all", "--"),
    ]


def _pipe_with(data: bytes, fds: list[int]) -> int:
    """A pipe's read end holding ``data`` (a few KB: the pipe holds them, nothing blocks)."""
    r, w = os.pipe()
    fds.append(r)
    with os.fdopen(w, "wb") as f:
        f.write(data)
    return r


class Outcome(enum.Enum):
    EXITED = "exited"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Completed:
    outcome: Outcome
    returncode: int
    stdout: str  # at most OUTPUT_LIMIT bytes of each, decoded with replacement
    stderr: str


# How a guest's programs are run: ``run`` here, or (live guests) asking the host to.
Runner = Callable[[SandboxSpec, Sequence[str], float, "threading.Event | None"], Completed]


def run(spec: SandboxSpec, command: Sequence[str], timeout: float, cancel: threading.Event | None = None) -> Completed:
    """Run ``command`` to its end, ``timeout`` or ``cancel``; a Runner.  On a timeout or a
    cancel the whole sandbox is killed.  Output past OUTPUT_LIMIT is read and dropped, so a
    chatty program never grows the caller."""
    proc = popen(spec, command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    kept = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    deadline = time.monotonic() + timeout
    outcome = Outcome.EXITED
    with selectors.DefaultSelector() as sel:
        for f in (proc.stdout, proc.stderr):
            sel.register(f, selectors.EVENT_READ)
        while sel.get_map() or proc.poll() is None:
            if cancel is not None and cancel.is_set():
                outcome = Outcome.CANCELLED
            elif time.monotonic() > deadline:
                outcome = Outcome.TIMED_OUT
            if outcome is not Outcome.EXITED:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                break
            if not sel.get_map():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(0.1)
                continue
            for key, _ in sel.select(0.1):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                buf = kept[key.fd]
                buf += chunk[: max(0, OUTPUT_LIMIT - len(buf))]
    proc.stdout.close()
    proc.stderr.close()
    returncode = proc.wait()
    out, err = (bytes(kept[k]).decode(errors="replace") for k in kept)
    return Completed(outcome, returncode, out, err)


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
        self._jobs: queue.SimpleQueue[tuple[list[str], dict[str, Any], concurrent.futures.Future[Any]]] = (
            queue.SimpleQueue()
        )
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
            except BaseException as exc:
                done.set_exception(exc)
            else:
                self.count += 1
                done.set_result(proc)


# One per process by nature: it stands for the process's own lifetime (see _Launcher).
_LAUNCHER = _Launcher()
