"""Every file-system operation inside a guest tree, resolved as the guest's kernel would.

A guest tree is untrusted data: any name in it may be a symlink, and an absolute
symlink (``var/run -> /run``) means the GUEST's ``/run``, never the host's.  A
``GuestRoot`` holds a file descriptor on the tree's root; every path is resolved from it:

* absolute symlinks restart at the guest root, ``..`` stops at it, symlink loops are
  refused (``Kind.LOOP``), magic links (``/proc/<pid>/root`` in a live guest) too;
* with ``openat2(2)`` and ``RESOLVE_IN_ROOT`` where the kernel has it (Linux 5.6+),
  else by a walk one component at a time (``O_PATH|O_NOFOLLOW``, ``readlinkat`` on each
  symlink, restart at the root fd for absolute targets, at most 40 hops, as the kernel);
* a write, unlink, rename, mkdir, symlink or chmod acts on a NAME inside a resolved
  parent directory fd, so a symlink swapped in by a race cannot redirect it to the host,
  and its final component is never followed (a symlink there is replaced or refused).

Paths are guest paths, absolute or not (``/etc/hosts`` and ``etc/hosts`` are the same).
Failures raise ``GuestPathError`` (an ``OSError`` with an errno and a ``Kind``).
``host_path`` gives the host name of a resolved location for programs that need a path
(a script's working directory, a log location to report); it is never used to act.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import shutil
import stat
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .openat2 import RESOLVE_IN_ROOT as _RESOLVE_IN_ROOT
from .openat2 import RESOLVE_NO_MAGICLINKS as _RESOLVE_NO_MAGICLINKS
from .openat2 import openat2 as _openat2

__all__ = ["MAX_HOPS", "GuestPathError", "GuestRoot", "Kind", "Staged", "opened"]

MAX_HOPS = 40  # the kernel's limit of symlinks followed in one lookup
READ_LIMIT = 64 * 1024 * 1024  # no guest file the tools read is near this; a bigger one is hostile


class Kind(enum.Enum):
    NOT_FOUND = "not-found"
    LOOP = "loop"  # too many symlinks on the way (a cycle)
    SYMLINK = "symlink"  # the final component is a symlink, which this operation never follows
    OUTSIDE = "outside"  # a magic link or a mount crossing that leads out of the root
    NOT_A_DIRECTORY = "not-a-directory"
    IS_A_DIRECTORY = "is-a-directory"
    EXISTS = "exists"
    NOT_EMPTY = "not-empty"
    INVALID = "invalid"  # not a usable guest path (NUL byte, no final name)
    TOO_LARGE = "too-large"
    DENIED = "denied"
    OTHER = "other"


_KIND_OF_ERRNO = {
    errno.ENOENT: Kind.NOT_FOUND,
    errno.ELOOP: Kind.LOOP,
    errno.EXDEV: Kind.OUTSIDE,
    errno.ENOTDIR: Kind.NOT_A_DIRECTORY,
    errno.EISDIR: Kind.IS_A_DIRECTORY,
    errno.EEXIST: Kind.EXISTS,
    errno.ENOTEMPTY: Kind.NOT_EMPTY,
    errno.EACCES: Kind.DENIED,
    errno.EPERM: Kind.DENIED,
    errno.EFBIG: Kind.TOO_LARGE,
    errno.EINVAL: Kind.INVALID,
}


class GuestPathError(OSError):
    """A guest path could not be used.  ``kind`` says why, ``path`` is the guest path."""

    def __init__(self, kind: Kind, path: str, detail: str, err: int = 0) -> None:
        super().__init__(err or errno.EINVAL, f"{detail}: {path}")
        self.kind, self.path = kind, path

    @classmethod
    def from_os(cls, exc: OSError, path: str, *, final_nofollow: bool = False) -> GuestPathError:
        if isinstance(exc, GuestPathError):
            return exc
        err = exc.errno or 0
        kind = _KIND_OF_ERRNO.get(err, Kind.OTHER)
        if kind is Kind.LOOP and final_nofollow:
            kind = Kind.SYMLINK
        detail = {
            Kind.LOOP: "too many levels of symbolic links",
            Kind.OUTSIDE: "leads outside the guest root",
            Kind.SYMLINK: "is a symbolic link, which is not followed here",
        }.get(kind, os.strerror(err))
        return cls(kind, path, detail, err)


def _components(path: str) -> list[str]:
    if "\0" in path:
        raise GuestPathError(Kind.INVALID, path.replace("\0", "\\0"), "NUL byte in a guest path")
    return [p for p in path.split("/") if p not in ("", ".")]


def _split_final(path: str) -> tuple[str, str]:
    """(parent, name) of a path whose final component names an entry (not / . or ..)."""
    parts = _components(path)
    if not parts or parts[-1] == "..":
        raise GuestPathError(Kind.INVALID, path, "names no entry of a directory")
    return "/".join(parts[:-1]), parts[-1]


@contextlib.contextmanager
def _tolerating_missing(missing_ok: bool) -> Iterator[None]:
    """Swallow a NOT_FOUND GuestPathError (on the way or at the end) when ``missing_ok``."""
    try:
        yield
    except GuestPathError as exc:
        if not (missing_ok and exc.kind is Kind.NOT_FOUND):
            raise


class GuestRoot:
    """A guest tree opened once: every operation resolves inside it (see the module doc).

    ``use_openat2`` None probes the kernel; False forces the component walk (tests)."""

    def __init__(self, path: Path | str, *, use_openat2: bool | None = None, _fd: int | None = None) -> None:
        self.path = Path(path)  # the host name of the root, for messages and host_path only
        self._fd = _fd if _fd is not None else os.open(self.path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        self._close = weakref.finalize(self, os.close, self._fd)  # an fd is never leaked, even unclosed
        self.uses_openat2 = self._probe() if use_openat2 is None else use_openat2

    def _probe(self) -> bool:
        try:
            os.close(_openat2(self._fd, ".", os.O_PATH, 0, _RESOLVE_IN_ROOT | _RESOLVE_NO_MAGICLINKS))
            return True
        except OSError:  # ENOSYS (old kernel), EPERM (seccomp), E2BIG/EINVAL (unknown struct)
            return False

    def close(self) -> None:
        self._close()

    def __enter__(self) -> GuestRoot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"GuestRoot({str(self.path)!r}, use_openat2={self.uses_openat2})"

    # ------------------------------------------------------------ resolution

    def _resolve(self, path: str, flags: int, mode: int = 0, *, follow: bool = True) -> int:
        """An fd for ``path`` opened with ``flags``; the final component followed or not."""
        if not follow:
            flags |= os.O_NOFOLLOW
        try:
            if self.uses_openat2:
                rel = "/".join(_components(path)) or "."
                for _ in range(16):  # EAGAIN: a rename raced with a ".." lookup; retry
                    try:
                        return _openat2(self._fd, rel, flags, mode, _RESOLVE_IN_ROOT | _RESOLVE_NO_MAGICLINKS)
                    except BlockingIOError:
                        continue
                raise OSError(errno.EAGAIN, "guest tree keeps changing under the lookup")
            parent, name = self._walk(path, follow)
            try:
                return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=parent)
            finally:
                os.close(parent)
        except OSError as exc:
            raise GuestPathError.from_os(exc, path, final_nofollow=not follow) from None

    def _walk(self, path: str, follow_last: bool) -> tuple[int, str]:
        """The fallback lookup: (an fd of the parent directory, the final name), with every
        symlink before the final name (and the final one if ``follow_last``) resolved
        inside the root.  The name is "." when the path ends at a directory (``/``, ``a/..``)."""
        pending = _components(path)
        stack = [os.dup(self._fd)]  # directories from the root down; ".." pops, never past [0]
        hops = 0
        try:
            while pending:
                name = pending.pop(0)
                if name == "..":
                    if len(stack) > 1:
                        os.close(stack.pop())
                    continue
                if not pending and not follow_last:
                    return stack.pop(), name
                try:
                    st = os.stat(name, dir_fd=stack[-1], follow_symlinks=False)
                except FileNotFoundError:
                    if pending:
                        raise
                    return stack.pop(), name
                if stat.S_ISLNK(st.st_mode):
                    hops += 1
                    if hops > MAX_HOPS:
                        raise OSError(errno.ELOOP, "too many levels of symbolic links")
                    target = os.readlink(name, dir_fd=stack[-1])
                    if target.startswith("/"):
                        while len(stack) > 1:
                            os.close(stack.pop())
                    pending = _components(target) + pending
                    continue
                if not pending:
                    return stack.pop(), name
                # O_NOFOLLOW|O_DIRECTORY: a symlink swapped in since the stat fails, not followed
                stack.append(os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=stack[-1]))
            return stack.pop(), "."
        finally:
            for fd in stack:
                os.close(fd)

    @contextlib.contextmanager
    def _parent(self, path: str, *, create: bool = False) -> Iterator[tuple[int, str]]:
        """(a readable fd of the resolved parent directory, the final name); the name is
        never followed."""
        parent, name = _split_final(path)
        if create and parent:
            self.mkdir(parent, parents=True, exist_ok=True)
        fd = self._resolve(parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            yield fd, name
        finally:
            os.close(fd)

    def _guest_path_of(self, fd: int) -> str:
        here = os.readlink(f"/proc/self/fd/{fd}")
        base = os.readlink(f"/proc/self/fd/{self._fd}").rstrip("/")
        if here == base or (here == "/" and not base):
            return "/"
        if not here.startswith(base + "/"):
            raise GuestPathError(Kind.OUTSIDE, here, "leads outside the guest root")
        return here[len(base) :]

    def realpath(self, path: str) -> str:
        """The guest-absolute path ``path`` resolves to, symlinks resolved inside the root;
        what does not exist is kept as named (as os.path.realpath, not strict)."""
        try:
            fd = self._resolve(path, os.O_PATH)
        except GuestPathError as exc:
            if exc.kind is not Kind.NOT_FOUND:
                raise
            parent, name = _split_final(path)
            return os.path.join(self.realpath(parent), name)
        try:
            return self._guest_path_of(fd)
        finally:
            os.close(fd)

    def host_path(self, path: str) -> Path:
        """The host's name for where ``path`` resolves: to hand to a program or report,
        never to open (use this object's methods for that)."""
        return self.path / self.realpath(path).lstrip("/")

    def subroot(self, path: str) -> GuestRoot:
        """A directory of this tree as a root of its own (an extracted deploy package)."""
        fd = self._resolve(path, os.O_PATH | os.O_DIRECTORY)
        return GuestRoot(self.host_path(path), use_openat2=self.uses_openat2, _fd=fd)

    # ------------------------------------------------------------ queries

    def stat(self, path: str, *, follow: bool = True) -> os.stat_result:
        fd = self._resolve(path, os.O_PATH, follow=follow)  # O_PATH|O_NOFOLLOW: the link itself
        try:
            return os.fstat(fd)
        finally:
            os.close(fd)

    def lstat(self, path: str) -> os.stat_result:
        return self.stat(path, follow=False)

    def _mode(self, path: str, follow: bool) -> int | None:
        try:
            return self.stat(path, follow=follow).st_mode
        except GuestPathError as exc:
            if exc.kind in (Kind.NOT_FOUND, Kind.NOT_A_DIRECTORY, Kind.LOOP):
                return None
            raise

    def exists(self, path: str) -> bool:
        return self._mode(path, True) is not None

    def lexists(self, path: str) -> bool:
        return self._mode(path, False) is not None

    def is_file(self, path: str) -> bool:
        return stat.S_ISREG(self._mode(path, True) or 0)

    def is_dir(self, path: str) -> bool:
        return stat.S_ISDIR(self._mode(path, True) or 0)

    def is_symlink(self, path: str) -> bool:
        return stat.S_ISLNK(self._mode(path, False) or 0)

    def listdir(self, path: str) -> list[str]:
        """Names in a directory, sorted; [] when it does not exist."""
        try:
            fd = self._resolve(path, os.O_RDONLY | os.O_DIRECTORY)
        except GuestPathError as exc:
            if exc.kind in (Kind.NOT_FOUND, Kind.NOT_A_DIRECTORY):
                return []
            raise
        try:
            return sorted(os.listdir(fd))
        finally:
            os.close(fd)

    def readlink(self, path: str) -> str:
        with self._parent(path) as (pfd, name):
            try:
                return os.readlink(name, dir_fd=pfd)
            except OSError as exc:
                raise GuestPathError.from_os(exc, path) from None

    # ------------------------------------------------------------ reading

    def open(self, path: str, flags: int = os.O_RDONLY, mode: int = 0o644) -> int:
        """An fd.  Reading follows a final symlink (inside the root); anything that may
        write or create never follows it (ELOOP -> ``Kind.SYMLINK``)."""
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND):
            with self._parent(path) as (pfd, name):
                try:
                    return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=pfd)
                except OSError as exc:
                    raise GuestPathError.from_os(exc, path, final_nofollow=True) from None
        return self._resolve(path, flags)

    def read_bytes(self, path: str, *, follow: bool = True, limit: int = READ_LIMIT) -> bytes | None:
        """A regular file's content; None when it is missing or not a regular file (with
        ``follow=False``, a symlink is not a regular file)."""
        try:
            fd = self._resolve(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY, follow=follow)
        except GuestPathError as exc:
            if exc.kind in (Kind.NOT_FOUND, Kind.NOT_A_DIRECTORY, Kind.SYMLINK, Kind.IS_A_DIRECTORY):
                return None
            raise
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None  # a directory, FIFO or device (a guest's /dev/zero) is never read
            chunks, size = [], 0
            while size <= limit and (chunk := os.read(fd, min(1 << 20, limit + 1 - size))):
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks)
        finally:
            os.close(fd)
        if len(data) > limit:
            raise GuestPathError(Kind.TOO_LARGE, path, f"larger than {limit} bytes", errno.EFBIG)
        return data

    def read_text(self, path: str, *, follow: bool = True, errors: str = "replace") -> str | None:
        data = self.read_bytes(path, follow=follow)
        return None if data is None else data.decode("utf-8", errors=errors)

    # ------------------------------------------------------------ writing

    def mkdir(self, path: str, mode: int = 0o755, *, parents: bool = False, exist_ok: bool = False) -> None:
        try:
            with self._parent(path, create=parents) as (pfd, name):
                try:
                    os.mkdir(name, mode, dir_fd=pfd)
                except FileExistsError:
                    # a link there is followed (inside the root): a loop says so, not "exists"
                    if not (exist_ok and stat.S_ISDIR(self.stat(path).st_mode)):
                        raise
        except GuestPathError as exc:
            if not (exc.kind is Kind.INVALID and exist_ok):  # "/" exists
                raise
        except OSError as exc:
            raise GuestPathError.from_os(exc, path) from None

    def stage(self, path: str, data: bytes, mode: int = 0o644, *, parents: bool = True, durable: bool = True) -> Staged:
        """A complete, fsync'd temporary file beside ``path``; ``commit()`` renames it into
        place (replacing a symlink there, never following it).  ``durable=False``: nothing
        fsync'd (a file as short-lived as a deploy package's: a crash loses it anyway)."""
        with self._parent(path, create=parents) as (pfd, name):
            dfd = os.dup(pfd)  # the rename must happen in this very directory
        tmp = f".{name}.{os.urandom(6).hex()}.gosc-tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dfd)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fchmod(fd, mode)
                if durable:
                    os.fsync(fd)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)
            os.close(dfd)
            if isinstance(exc, OSError):
                raise GuestPathError.from_os(exc, path) from None
            raise
        return Staged(path, dfd, tmp, name, durable)

    def stage_symlink(self, path: str, target: str, *, parents: bool = True) -> Staged:
        """Like ``stage``, for a symlink (``/etc/localtime``)."""
        with self._parent(path, create=parents) as (pfd, name):
            dfd = os.dup(pfd)
        tmp = f".{name}.{os.urandom(6).hex()}.gosc-tmp"
        try:
            os.symlink(target, tmp, dir_fd=dfd)
        except OSError as exc:
            os.close(dfd)
            raise GuestPathError.from_os(exc, path) from None
        return Staged(path, dfd, tmp, name)

    def write_atomic(
        self, path: str, data: bytes, mode: int = 0o644, *, parents: bool = True, durable: bool = True
    ) -> None:
        self.stage(path, data, mode, parents=parents, durable=durable).commit()

    def unlink(self, path: str, *, missing_ok: bool = False) -> None:
        with _tolerating_missing(missing_ok), self._parent(path) as (pfd, name):
            try:
                os.unlink(name, dir_fd=pfd)
            except OSError as exc:
                raise GuestPathError.from_os(exc, path) from None

    def rename(self, src: str, dst: str) -> None:
        with self._parent(src) as (sfd, sname), self._parent(dst) as (dfd, dname):
            try:
                os.rename(sname, dname, src_dir_fd=sfd, dst_dir_fd=dfd)
            except OSError as exc:
                raise GuestPathError.from_os(exc, src) from None

    def symlink(self, path: str, target: str) -> None:
        with self._parent(path) as (pfd, name):
            try:
                os.symlink(target, name, dir_fd=pfd)
            except OSError as exc:
                raise GuestPathError.from_os(exc, path) from None

    def chmod(self, path: str, mode: int) -> None:
        """Never follows a final symlink (Linux cannot chmod a link: Kind.SYMLINK)."""
        with self._parent(path) as (pfd, name):
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC, dir_fd=pfd)
            except OSError as exc:
                raise GuestPathError.from_os(exc, path, final_nofollow=True) from None
            try:
                os.fchmod(fd, mode)
            finally:
                os.close(fd)

    def rmtree(self, path: str, *, missing_ok: bool = True) -> None:
        """Remove a directory tree (fd-based, never following a symlink anywhere in it);
        a symlink or file at ``path`` is unlinked, the place it points at is not touched."""
        with _tolerating_missing(missing_ok), self._parent(path) as (pfd, name):
            try:
                if stat.S_ISDIR(os.stat(name, dir_fd=pfd, follow_symlinks=False).st_mode):
                    shutil.rmtree(name, dir_fd=pfd)  # fd-based: shutil.rmtree.avoids_symlink_attacks
                else:
                    os.unlink(name, dir_fd=pfd)
            except OSError as exc:
                raise GuestPathError.from_os(exc, path) from None


@dataclass
class Staged:
    """A temporary file (or symlink) written in the directory of ``path``, held by fd."""

    path: str
    dir_fd: int
    tmp: str
    name: str
    durable: bool = True

    def commit(self) -> None:
        try:
            os.rename(self.tmp, self.name, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)
            if self.durable:
                os.fsync(self.dir_fd)  # the rename itself is durable
        except OSError as exc:
            self.discard()
            raise GuestPathError.from_os(exc, self.path) from None
        self._close()

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.tmp, dir_fd=self.dir_fd)
        self._close()

    def _close(self) -> None:
        if self.dir_fd >= 0:
            os.close(self.dir_fd)
            self.dir_fd = -1


@contextlib.contextmanager
def opened(root: Path | str | GuestRoot) -> Iterator[GuestRoot]:
    """``root`` as a GuestRoot: one passed in stays open, a path is opened and closed."""
    if isinstance(root, GuestRoot):
        yield root
        return
    with GuestRoot(root) as guest:
        yield guest
