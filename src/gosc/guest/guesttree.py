"""Whole copies of a guest tree (snapshots, reverts, clones from a snapshot), made the way
gosc.guest.guestpath acts on single paths: the tree is untrusted data.

The copy never resolves a path: the source root is opened through ``GuestRoot``, and every
name below it is opened relative to its parent directory's fd with ``O_NOFOLLOW``, so a
symlink in the tree is copied as a symlink (its target text, unread) and a symlink or
directory swapped in by a running guest during the walk fails the open instead of leading
the copy out of the tree.  What is copied: the tree's shape, regular files' bytes, symlinks,
device nodes, fifos and sockets, hard links inside the tree, owner, mode, times and
extended attributes, so that a restore gives the guest its tree back byte for byte.

Copy-on-write, where the file system allows it:

* a regular file is cloned with ``FICLONE`` (btrfs, XFS: the copy shares blocks until
  either side writes); elsewhere its bytes are copied;
* a snapshot store is never written once made, so a new snapshot hard-links every file that
  is unchanged since an earlier snapshot (``link_from``) instead of storing it again.  A
  live guest tree is never hard-linked to anything: a guest writing a file in place would
  change the snapshot through the shared inode.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
from pathlib import Path

from .guestpath import GuestRoot

__all__ = ["copy_tree", "remove_tree"]

FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_CHUNK = 1 << 20


def copy_tree(src: Path, dst: Path, *, link_from: Path | None = None) -> None:
    """Copy the guest tree ``src`` to ``dst`` (which must not exist yet); on any failure
    nothing is left at ``dst``.  ``link_from``: a read-only earlier copy whose identical
    files ``dst`` may share (hard links); it must never be written afterwards."""
    with GuestRoot(src) as guest:
        src_fd = guest.open("/", os.O_RDONLY | os.O_DIRECTORY)
    try:
        dst.mkdir(mode=0o700)
        try:
            dst_fd = os.open(dst, _DIR)
            try:
                link_fd = _open_dir(None, str(link_from)) if link_from is not None else None
                try:
                    _Copier(dst_fd).copy_dir(src_fd, dst_fd, link_fd, "")
                finally:
                    if link_fd is not None:
                        os.close(link_fd)
                _copy_meta(src_fd, dst_fd, os.fstat(src_fd))
            finally:
                os.close(dst_fd)
        except BaseException:
            remove_tree(dst)
            raise
    finally:
        os.close(src_fd)


def remove_tree(path: Path) -> None:
    """Remove a copy (shutil's fd-based rmtree: it never follows a symlink in the tree)."""
    shutil.rmtree(path, ignore_errors=True)


def _open_dir(dir_fd: int | None, name: str) -> int | None:
    """An fd of directory ``name`` (never through a symlink), or None when it is none."""
    try:
        return os.open(name, _DIR, dir_fd=dir_fd)
    except OSError:
        return None


class _Copier:
    def __init__(self, dst_root: int) -> None:
        self.dst_root = dst_root
        # (st_dev, st_ino) of a source file with several links -> the path of its first copy
        # under dst_root (a tree this copy made: nothing else writes to it)
        self.linked: dict[tuple[int, int], str] = {}

    def copy_dir(self, src_fd: int, dst_fd: int, link_fd: int | None, rel: str) -> None:
        for name in sorted(os.listdir(src_fd)):
            st = os.stat(name, dir_fd=src_fd, follow_symlinks=False)
            mode = st.st_mode
            if stat.S_ISDIR(mode):
                self._copy_subdir(src_fd, dst_fd, link_fd, name, st, f"{rel}{name}/")
            elif stat.S_ISREG(mode):
                self._copy_file(src_fd, dst_fd, link_fd, name, st, f"{rel}{name}")
            elif stat.S_ISLNK(mode):
                os.symlink(os.readlink(name, dir_fd=src_fd), name, dir_fd=dst_fd)
                os.chown(name, st.st_uid, st.st_gid, dir_fd=dst_fd, follow_symlinks=False)
                os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=dst_fd, follow_symlinks=False)
            else:  # a device node, fifo or socket: the node itself, never opened
                os.mknod(name, mode, st.st_rdev, dir_fd=dst_fd)
                os.chown(name, st.st_uid, st.st_gid, dir_fd=dst_fd, follow_symlinks=False)
                os.chmod(name, stat.S_IMODE(mode), dir_fd=dst_fd)
                os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=dst_fd, follow_symlinks=False)

    def _copy_subdir(
        self, src_fd: int, dst_fd: int, link_fd: int | None, name: str, st: os.stat_result, rel: str
    ) -> None:
        sub_src = os.open(name, _DIR, dir_fd=src_fd)  # a symlink swapped in since the stat fails here
        try:
            if (os.fstat(sub_src).st_dev, os.fstat(sub_src).st_ino) != (st.st_dev, st.st_ino):
                raise OSError(f"{name}: the guest tree changed during the copy")
            os.mkdir(name, 0o700, dir_fd=dst_fd)
            sub_dst = os.open(name, _DIR, dir_fd=dst_fd)
            sub_link = _open_dir(link_fd, name) if link_fd is not None else None
            try:
                self.copy_dir(sub_src, sub_dst, sub_link, rel)
                _copy_meta(sub_src, sub_dst, st)
            finally:
                if sub_link is not None:
                    os.close(sub_link)
                os.close(sub_dst)
        finally:
            os.close(sub_src)

    def _copy_file(
        self, src_fd: int, dst_fd: int, link_fd: int | None, name: str, st: os.stat_result, rel: str
    ) -> None:
        key = (st.st_dev, st.st_ino)
        if st.st_nlink > 1 and key in self.linked:
            os.link(self.linked[key], name, src_dir_fd=self.dst_root, dst_dir_fd=dst_fd, follow_symlinks=False)
            return
        inp = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC, dir_fd=src_fd)
        try:
            now = os.fstat(inp)
            if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != key:
                raise OSError(f"{name}: the guest tree changed during the copy")
            if link_fd is not None and _same_file(inp, now, link_fd, name):
                os.link(name, name, src_dir_fd=link_fd, dst_dir_fd=dst_fd, follow_symlinks=False)
            else:
                out = os.open(
                    name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dst_fd
                )
                try:
                    _copy_bytes(inp, out)
                    _copy_meta(inp, out, now)
                finally:
                    os.close(out)
        finally:
            os.close(inp)
        if st.st_nlink > 1:
            self.linked[key] = rel


def _copy_bytes(inp: int, out: int) -> None:
    try:
        fcntl.ioctl(out, FICLONE, inp)  # shares the blocks where the file system can
        return
    except OSError:
        pass
    while True:
        data = os.read(inp, _CHUNK)
        if not data:
            return
        view = memoryview(data)
        while view:
            view = view[os.write(out, view) :]


def _same_file(inp: int, st: os.stat_result, link_fd: int, name: str) -> bool:
    """Whether ``name`` in the earlier copy is a regular file equal to ``inp`` in bytes and metadata."""
    try:
        old = os.stat(name, dir_fd=link_fd, follow_symlinks=False)
    except OSError:
        return False
    if not stat.S_ISREG(old.st_mode) or (old.st_mode, old.st_uid, old.st_gid, old.st_size, old.st_mtime_ns) != (
        st.st_mode,
        st.st_uid,
        st.st_gid,
        st.st_size,
        st.st_mtime_ns,
    ):
        return False
    if _xattrs(inp) != _xattrs_at(link_fd, name):
        return False
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=link_fd)
    try:
        pos = 0
        while True:
            a, b = os.pread(inp, _CHUNK, pos), os.pread(fd, _CHUNK, pos)
            if a != b:
                return False
            if not a:
                return True
            pos += len(a)
    finally:
        os.close(fd)


def _xattrs(fd: int) -> dict[str, bytes]:
    try:
        return {n: os.getxattr(fd, n) for n in os.listxattr(fd)}
    except OSError:
        return {}


def _xattrs_at(dir_fd: int, name: str) -> dict[str, bytes]:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        return _xattrs(fd)
    finally:
        os.close(fd)


def _copy_meta(src: int, dst: int, st: os.stat_result) -> None:
    """Owner (first: a chown clears set-id bits), mode, extended attributes, then times."""
    os.fchown(dst, st.st_uid, st.st_gid)
    os.fchmod(dst, stat.S_IMODE(st.st_mode))
    for name, value in _xattrs(src).items():
        with contextlib.suppress(OSError):  # a namespace this process may not set (trusted.* unprivileged)
            os.setxattr(dst, name, value)
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
