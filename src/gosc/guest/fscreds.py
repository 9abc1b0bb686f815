"""Acting on a guest tree with a guest account's file-system credentials.

Guest file operations must meet the guest's permission bits as the guest account would:
a non-root account may not write ``/etc``, may not read another user's 0600 file, may not
chown.  The server (root) lends one worker thread the account's ids for the length of one
operation: Linux keeps the file-system uid and gid (``setfsuid``/``setfsgid``) and the
supplementary groups per *thread* at the kernel level, and changing the fsuid from 0 to
another id clears that thread's file capabilities (CAP_DAC_OVERRIDE, CAP_FOWNER,
CAP_CHOWN ...), so the kernel itself then checks every open, mkdir, rename and chown.

glibc's ``setgroups`` changes every thread of the process (POSIX), so the raw system call
is used, which changes only the calling thread.  Threads come from this module's own pool
(``Pool``) and every job restores the server's credentials before the thread runs
anything else.  Guest root (uid 0) runs with the server's credentials; what confines it
then is gosc.guest.guestpath (every path resolved inside the tree).
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import os
import platform
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["Pool", "as_ids"]

_R = TypeVar("_R")
_SYS_SETGROUPS = {"x86_64": 116, "aarch64": 159, "riscv64": 159, "ppc64le": 81, "s390x": 206}
_libc = ctypes.CDLL(None, use_errno=True)


def _setgroups_thread(groups: tuple[int, ...]) -> None:
    number = _SYS_SETGROUPS.get(platform.machine())
    if number is None:
        raise PermissionError(f"no per-thread setgroups known for {platform.machine()}")
    arr = (ctypes.c_uint * max(1, len(groups)))(*groups)
    if _libc.syscall(number, len(groups), arr) != 0:
        err = ctypes.get_errno()
        raise PermissionError(err, f"setgroups: {os.strerror(err)}")


def _set_fs_ids(uid: int, gid: int) -> None:
    _libc.setfsgid(gid)
    _libc.setfsuid(uid)
    # setfsuid reports only the old value: asking again (-1 changes nothing) says whether it took.
    if _libc.setfsuid(-1) != uid or _libc.setfsgid(-1) != gid:
        raise PermissionError(f"this server cannot act as guest uid {uid} (it does not run as root)")


@contextmanager
def as_ids(uid: int, gid: int, groups: tuple[int, ...]) -> Iterator[None]:
    """This thread acts on files as ``uid``/``gid``/``groups`` inside the block."""
    if uid == 0 and gid == 0:
        yield
        return
    own_uid, own_gid, own_groups = os.geteuid(), os.getegid(), tuple(os.getgroups())
    try:
        _setgroups_thread(groups)
        _set_fs_ids(uid, gid)
        yield
    finally:
        _libc.setfsuid(own_uid)
        _libc.setfsgid(own_gid)
        if own_uid == 0:
            _setgroups_thread(own_groups)


class Pool:
    """Worker threads that run one guest operation each, with an account's credentials."""

    def __init__(self, workers: int = 4) -> None:
        self._executor = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="gosc-guestops")

    def submit(
        self, uid: int, gid: int, groups: tuple[int, ...], fn: Callable[[], _R]
    ) -> concurrent.futures.Future[_R]:
        def job() -> _R:
            with as_ids(uid, gid, groups):
                return fn()

        return self._executor.submit(job)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
