"""Guest file operations (what VMware Tools' vix plugin does for the FileManager).

Every function takes an open ``GuestRoot`` and acts only through it (gosc.guest.guestpath:
each path resolved inside the tree, a final symlink never followed by anything that
changes the tree).  The caller runs them in a gosc.guest.fscreds thread that carries the
guest account's ids, so the kernel checks the guest's permission bits.  Failures are
``GuestPathError`` with a ``Kind`` (the server turns them into vSphere's file faults).

Paths are absolute guest paths.  A Windows tree (the C: drive) takes ``C:\\dir\\file`` or
``/dir/file``; ``guest_path`` makes the tree path, ``display_path`` the Windows form back.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import re
import secrets
import stat
from dataclasses import dataclass

from .guestpath import GuestPathError, GuestRoot, Kind

__all__ = [
    "Entry",
    "Incoming",
    "change_attributes",
    "delete_directory",
    "delete_file",
    "display_path",
    "entries",
    "guest_path",
    "make_directory",
    "make_temporary",
    "move_directory",
    "move_file",
    "open_read",
]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY


def _invalid(path: str, why: str) -> GuestPathError:
    return GuestPathError(Kind.INVALID, path, why, errno.EINVAL)


def guest_path(text: str, windows: bool) -> str:
    """The tree path a client's guest path names."""
    if "\0" in text or not text:
        raise _invalid(text, "not a usable guest path")
    if windows:
        drive = re.match(r"^([A-Za-z]):", text)
        if drive and drive.group(1).upper() != "C":
            raise GuestPathError(Kind.NOT_FOUND, text, "only the C: drive exists", errno.ENOENT)
        text = text[2:] if drive else text
        text = text.replace("\\", "/")
    if not text.startswith("/"):
        raise _invalid(text, "a guest path must be absolute")
    return posixpath.normpath(text) if text != "/" else "/"


def display_path(path: str, windows: bool) -> str:
    return "C:" + path.replace("/", "\\") if windows else path


def _split(path: str) -> tuple[str, str]:
    parent, name = posixpath.split(path.rstrip("/"))
    if not name or name in (".", ".."):
        raise _invalid(path, "names no file")
    return parent or "/", name


def _open_parent(g: GuestRoot, path: str) -> tuple[int, str]:
    parent, name = _split(path)
    return g.open(parent, _DIR_FLAGS), name


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str  # "file", "directory", "symlink" (vSphere's GuestFileType)
    size: int
    mtime: float
    atime: float
    ctime: float
    uid: int
    gid: int
    mode: int  # permission bits
    target: str | None


def _entry(name: str, st: os.stat_result, target: str | None) -> Entry:
    if stat.S_ISDIR(st.st_mode):
        kind = "directory"
    elif stat.S_ISLNK(st.st_mode):
        kind = "symlink"
    else:
        kind = "file"
    return Entry(
        name, kind, st.st_size, st.st_mtime, st.st_atime, st.st_ctime, st.st_uid, st.st_gid, st.st_mode & 0o7777, target
    )


def entries(g: GuestRoot, path: str, pattern: re.Pattern[str] | None) -> list[Entry]:
    """A directory's entries (without ``.`` and ``..``) matching ``pattern``, by name; the
    file itself when ``path`` is not a directory."""
    if not stat.S_ISDIR(g.stat(path).st_mode):
        st = g.lstat(path)
        target = g.readlink(path) if stat.S_ISLNK(st.st_mode) else None
        return [_entry(posixpath.basename(path), st, target)]
    fd = g.open(path, _DIR_FLAGS)
    try:
        out = []
        for name in sorted(os.listdir(fd)):
            if pattern is not None and not pattern.search(name):
                continue
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                target = os.readlink(name, dir_fd=fd) if stat.S_ISLNK(st.st_mode) else None
            except FileNotFoundError:
                continue  # removed while listed
            out.append(_entry(name, st, target))
        return out
    except OSError as e:
        raise GuestPathError.from_os(e, path) from None
    finally:
        os.close(fd)


def make_directory(g: GuestRoot, path: str, parents: bool) -> None:
    _split(path)
    if g.lexists(path):
        raise GuestPathError(Kind.EXISTS, path, "already exists", errno.EEXIST)
    g.mkdir(path, 0o755, parents=parents)


def delete_file(g: GuestRoot, path: str) -> None:
    if stat.S_ISDIR(g.lstat(path).st_mode):
        raise GuestPathError(Kind.IS_A_DIRECTORY, path, "is a directory", errno.EISDIR)
    g.unlink(path)


def delete_directory(g: GuestRoot, path: str, recursive: bool) -> None:
    if not stat.S_ISDIR(g.lstat(path).st_mode):
        raise GuestPathError(Kind.NOT_A_DIRECTORY, path, "is not a directory", errno.ENOTDIR)
    if recursive:
        g.rmtree(path, missing_ok=False)
        return
    pfd, name = _open_parent(g, path)
    try:
        os.rmdir(name, dir_fd=pfd)
    except OSError as e:
        raise GuestPathError.from_os(e, path) from None
    finally:
        os.close(pfd)


def move_file(g: GuestRoot, src: str, dst: str, overwrite: bool) -> None:
    if stat.S_ISDIR(g.lstat(src).st_mode):
        raise GuestPathError(Kind.IS_A_DIRECTORY, src, "is a directory", errno.EISDIR)
    _split(dst)
    if g.lexists(dst):
        if stat.S_ISDIR(g.lstat(dst).st_mode):
            raise GuestPathError(Kind.IS_A_DIRECTORY, dst, "is a directory", errno.EISDIR)
        if not overwrite:
            raise GuestPathError(Kind.EXISTS, dst, "already exists", errno.EEXIST)
    g.rename(src, dst)


def move_directory(g: GuestRoot, src: str, dst: str) -> None:
    if not stat.S_ISDIR(g.lstat(src).st_mode):
        raise GuestPathError(Kind.NOT_A_DIRECTORY, src, "is not a directory", errno.ENOTDIR)
    _split(dst)
    if g.lexists(dst):
        raise GuestPathError(Kind.EXISTS, dst, "already exists", errno.EEXIST)
    g.rename(src, dst)


def make_temporary(g: GuestRoot, prefix: str, suffix: str, directory: str, is_dir: bool) -> str:
    """A new file (0600) or directory (0700) named prefix + random + suffix in ``directory``."""
    if "/" in prefix + suffix or "\0" in prefix + suffix:
        raise _invalid(prefix + suffix, "a prefix or suffix must not hold '/'")
    if not stat.S_ISDIR(g.stat(directory).st_mode):
        raise GuestPathError(Kind.NOT_A_DIRECTORY, directory, "is not a directory", errno.ENOTDIR)
    for _ in range(16):
        path = posixpath.join(directory, f"{prefix}{secrets.token_hex(5)}{suffix}")
        try:
            if is_dir:
                g.mkdir(path, 0o700)
            else:
                os.close(g.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return path
        except GuestPathError as e:
            if e.kind is not Kind.EXISTS:
                raise
    raise GuestPathError(Kind.EXISTS, directory, "no free temporary name", errno.EEXIST)


def change_attributes(
    g: GuestRoot,
    path: str,
    *,
    mode: int | None = None,
    uid: int | None = None,
    gid: int | None = None,
    atime: float | None = None,
    mtime: float | None = None,
) -> None:
    """chown, chmod and times of ``path`` itself (a final symlink is never followed)."""
    st = g.lstat(path)
    pfd, name = _open_parent(g, path)
    try:
        if uid is not None or gid is not None:
            os.chown(name, -1 if uid is None else uid, -1 if gid is None else gid, dir_fd=pfd, follow_symlinks=False)
        if atime is not None or mtime is not None:
            times = (st.st_atime if atime is None else atime, st.st_mtime if mtime is None else mtime)
            os.utime(name, times, dir_fd=pfd, follow_symlinks=False)
    except OSError as e:
        raise GuestPathError.from_os(e, path) from None
    finally:
        os.close(pfd)
    if mode is not None:
        g.chmod(path, mode & 0o7777)


def open_read(g: GuestRoot, path: str) -> tuple[int, int]:
    """(an fd, the size) of a regular file to send; a directory or device is refused."""
    fd = g.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        if stat.S_ISDIR(st.st_mode):
            raise GuestPathError(Kind.IS_A_DIRECTORY, path, "is a directory", errno.EISDIR)
        raise _invalid(path, "is not a regular file")
    return fd, st.st_size


class Incoming:
    """An upload: a temporary file beside ``path``, renamed into place by ``commit``.

    ``begin`` (with the account's ids) checks and creates; ``write`` streams in any
    thread (the fd is open); ``commit`` and ``discard`` run with the account's ids again."""

    def __init__(self, path: str, dir_fd: int, name: str, tmp: str, fd: int, overwrite: bool, mode: int) -> None:
        self.path, self.dir_fd, self.name, self.tmp, self.fd = path, dir_fd, name, tmp, fd
        self.overwrite, self.mode = overwrite, mode
        self.written = 0

    @classmethod
    def begin(cls, g: GuestRoot, path: str, overwrite: bool) -> Incoming:
        mode = 0o644
        if g.lexists(path):
            st = g.lstat(path)
            if stat.S_ISDIR(st.st_mode):
                raise GuestPathError(Kind.IS_A_DIRECTORY, path, "is a directory", errno.EISDIR)
            if not overwrite:
                raise GuestPathError(Kind.EXISTS, path, "already exists", errno.EEXIST)
            mode = st.st_mode & 0o7777 if stat.S_ISREG(st.st_mode) else mode
        pfd, name = _open_parent(g, path)
        tmp = f".{name}.{secrets.token_hex(6)}.gosc-upload"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=pfd)
        except OSError as e:
            os.close(pfd)
            raise GuestPathError.from_os(e, path) from None
        return cls(path, pfd, name, tmp, fd, overwrite, mode)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        self.written += len(data)

    def commit(self, mode: int | None, uid: int | None, gid: int | None) -> None:
        try:
            os.fchmod(self.fd, self.mode if mode is None else mode & 0o7777)
            if uid is not None or gid is not None:
                os.fchown(self.fd, -1 if uid is None else uid, -1 if gid is None else gid)
            os.fsync(self.fd)
            if not self.overwrite and _exists(self.name, self.dir_fd):
                raise GuestPathError(Kind.EXISTS, self.path, "already exists", errno.EEXIST)
            os.rename(self.tmp, self.name, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)
        except OSError as e:
            self.discard()
            raise GuestPathError.from_os(e, self.path) from None
        self._close()

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.tmp, dir_fd=self.dir_fd)
        self._close()

    def _close(self) -> None:
        for fd in (self.fd, self.dir_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fd = self.dir_fd = -1


def _exists(name: str, dir_fd: int) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True
