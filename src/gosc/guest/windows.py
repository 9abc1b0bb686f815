"""The Windows side of a customization: put the package's answer file where setup reads it.

A Windows guest here is a directory tree (``<root>/Windows/...``).  A real Vista+ guest
finishes a VMware customization by running sysprep, whose next boot (specialize and
oobeSystem passes) looks for an answer file in Windows setup's implicit search order; one
of those places is ``%WINDIR%\\Panther\\Unattend.xml``, and that is where ``apply_sysprep``
writes the package's ``sysprep.xml``: ``<root>/Windows/Panther/unattend.xml``.

Only that one copy is written.  ``C:\\sysprep\\sysprep.xml`` (with sysprep.inf) belongs to the
Windows 2000/XP/2003 flow; nothing we could verify says VMware's Vista+ customization reads
an answer file from there, so gosc does not leave a second copy of the secrets around.
``%WINDIR%\\Panther\\Unattend\\Unattend.xml`` comes earlier in setup's search order than ours:
a stale one left in a template would win, so the log warns when it exists.

The answer file carries passwords: it is written 0600, atomically (temp file + rename), and
neither the log nor the dry-run diff shows a password value.
"""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..formats.answerfile import check_answer_file
from .guestpath import GuestRoot, opened
from .states import DeployError, FailureKind

ANSWER_FILE = Path("Windows/Panther/unattend.xml")
EARLIER_ANSWER_FILE = Path("Windows/Panther/Unattend/Unattend.xml")
LOG_FILE = Path("Windows/Temp/vmware-imc/guestcust.log")
PACKAGE_FILE = "sysprep.xml"

_SECRET_VALUE = re.compile(r"(<(?:\w+:)?(Value|Password)\b[^>]*>)(.*?)(</(?:\w+:)?\2\s*>)", re.DOTALL)


@dataclass
class WindowsResult:
    error_code: int = 0  # VMware's deployPkg code: 0 ok, DEPLOY_FAILED
    failure: FailureKind | None = None
    message: str = ""
    log_path: Path | None = None
    changes: list[Path] = field(default_factory=list)
    diff: str = ""


def redact(text: str) -> str:
    """An answer file with every password value replaced (for diffs and messages)."""
    return _SECRET_VALUE.sub(lambda m: m.group(1) + ("********" if m.group(3).strip() else "") + m.group(4), text)


class _Log:
    """guestcust.log lines, kept in memory until the end (so dry runs write nothing)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, level: str, text: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        self.lines.append(f"{stamp} [{level}] {text}")

    def flush(self, guest: GuestRoot) -> Path | None:
        """Append to guestcust.log in the guest.  A symlink there is replaced, never
        followed: its target (a host file, or any file of the guest) is not copied in."""
        try:
            old = guest.read_bytes(str(LOG_FILE), follow=False) or b""
            guest.write_atomic(str(LOG_FILE), old + ("\n".join(self.lines) + "\n").encode(), 0o644)
            return guest.host_path(str(LOG_FILE))
        except OSError:
            return None


def apply_sysprep(root: Path | GuestRoot, pkg_dir: Path | GuestRoot, *, dry_run: bool = False) -> WindowsResult:
    with opened(root) as guest, opened(pkg_dir) as pkg:
        return _apply(guest, pkg, dry_run)


def _apply(guest: GuestRoot, pkg: GuestRoot, dry_run: bool) -> WindowsResult:
    """Place ``<pkg_dir>/sysprep.xml`` as ``<root>/Windows/Panther/unattend.xml``."""
    log = _Log()
    result = WindowsResult()

    def fail(message: str) -> WindowsResult:
        log("ERROR", message)
        result.error_code, result.failure, result.message = int(DeployError.DEPLOY_FAILED), FailureKind.SYSPREP, message
        if not dry_run and guest.is_dir("Windows"):  # never create a Windows dir in another tree
            result.log_path = log.flush(guest)
        return result

    log("INFO", f"Windows customization: answer file from {PACKAGE_FILE} in the deploy package")
    if not guest.is_dir("Windows"):
        return fail(f"{guest.path} is not a Windows guest tree (no Windows directory)")
    try:
        data = pkg.read_bytes(PACKAGE_FILE)
    except OSError as e:
        return fail(f"cannot read {PACKAGE_FILE}: {e.strerror}")
    if data is None:
        return fail(f"the deploy package has no {PACKAGE_FILE}")
    try:
        check_answer_file(data)
    except ValueError as e:
        return fail(f"{PACKAGE_FILE} is unusable: {e}")
    try:
        target = guest.host_path(str(ANSWER_FILE))  # to report; every access goes through guest
        old = guest.read_bytes(str(ANSWER_FILE), follow=False)  # a symlink there is replaced
    except OSError as e:
        return fail(f"cannot use {ANSWER_FILE}: {e.strerror}")

    guest_path = "C:\\" + str(ANSWER_FILE).replace("/", "\\")
    if guest.exists(str(EARLIER_ANSWER_FILE)):
        log("WARN", "C:\\Windows\\Panther\\Unattend\\Unattend.xml exists and comes first in setup's search order")
    if old == data:
        log("INFO", f"{guest_path} already holds this answer file")
    else:
        result.changes.append(target)

    if dry_run:
        before = redact(old.decode("utf-8", "replace")) if old is not None else ""
        after = redact(data.decode("utf-8", "replace"))
        rel = str(ANSWER_FILE)
        result.diff = "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                fromfile=f"a/{rel}" if old is not None else "/dev/null",
                tofile=f"b/{rel}",
            )
        )
        result.message = "dry run: nothing written"
        return result

    if result.changes:
        try:
            guest.write_atomic(str(ANSWER_FILE), data, 0o600)
        except OSError as e:
            result.changes.clear()
            return fail(f"cannot write {guest_path}: {e.strerror}")
        log("INFO", f"wrote {guest_path} ({len(data)} bytes, passwords not logged)")
    log("INFO", "answer file in place; Windows setup applies it on the next boot (specialize, oobeSystem)")
    result.message = f"answer file placed at {guest_path}"
    result.log_path = log.flush(guest)
    if result.log_path is not None:
        result.changes.append(result.log_path)
    return result
