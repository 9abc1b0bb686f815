"""The data directory and the files in it are the server's alone, whatever the umask.

The directory holds user hashes, the inventory, events, the key that encrypts stored
passwords, the TLS key and the guest trees: it is created 0700 and its files 0600.  A
directory or file found with wider permissions (made by an older gosc, or by hand) is
tightened, with a warning naming what it was: nothing else should rely on reading it.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        log.warning("%s was mode %04o; making it %04o (the server's data is private)", path, current, mode)
        os.chmod(path, mode)


def private_dir(path: Path) -> Path:
    """``path`` (and missing parents) as a directory only its owner can use."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """``path`` created if missing (empty), mode 0600 either way."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    _tighten(path, FILE_MODE)
    return path


def tighten_if_present(path: Path) -> None:
    if path.exists():
        _tighten(path, FILE_MODE)
