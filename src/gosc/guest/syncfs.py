"""syncfs(2) through ctypes: Python's os module has no binding for it.

One ``syncfs`` makes every change on a guest's file system durable at once: on ext4 a
journal commit, which is what each ``fsync`` of a customization's files costs anyway, so a
change set that stages N files pays for one commit before its renames and one after,
instead of one per file and one per rename (engine/files.py ChangeSet.commit)."""

from __future__ import annotations

import ctypes
import os

_libc = ctypes.CDLL(None, use_errno=True)


def syncfs(fd: int) -> None:
    """Make durable everything written on the file system that holds ``fd``."""
    if _libc.syncfs(fd) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
