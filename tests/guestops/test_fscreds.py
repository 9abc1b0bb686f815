"""gosc.guest.fscreds: an account's file ids stay in its one worker thread and are given back."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gosc.guest import fscreds


@pytest.fixture
def root_only() -> Iterator[Path]:
    """A root-owned 0755 directory the account can reach (pytest's tmp_path is under a 0700 one)."""
    d = Path(tempfile.mkdtemp(prefix="gosc-fscreds-", dir="/tmp"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d)


def test_a_job_acts_as_the_account_and_nothing_else_does(root_only: Path) -> None:
    pool = fscreds.Pool(workers=1)
    inside, release = threading.Event(), threading.Event()

    def as_account() -> str:
        status = Path("/proc/thread-self/status").read_text()
        try:
            (root_only / "by-account").write_text("x")
            wrote = "wrote"
        except PermissionError:
            wrote = "denied"
        inside.set()
        release.wait(30)
        return wrote + "|" + next(line for line in status.splitlines() if line.startswith("Groups:"))

    job = pool.submit(1000, 1000, (1000, 4242), as_account)
    assert inside.wait(30)
    (root_only / "by-server").write_text("x")  # the server's other threads keep root's rights
    release.set()
    wrote, groups = job.result(30).split("|")
    assert wrote == "denied" and groups.split()[1:] == ["1000", "4242"]
    # The same worker thread is root again for the next job.
    assert pool.submit(0, 0, (), lambda: (root_only / "after").write_text("x")).result(30) == 1
    assert os.getgroups() == pool.submit(0, 0, (), os.getgroups).result(30)
    pool.close()


def test_own_file_of_the_account(root_only: Path) -> None:
    os.chown(root_only, 1000, 1000)
    pool = fscreds.Pool(workers=1)
    pool.submit(1000, 1000, (1000,), lambda: (root_only / "mine").write_text("x")).result(30)
    st = (root_only / "mine").stat()
    assert (st.st_uid, st.st_gid) == (1000, 1000)
    pool.close()
