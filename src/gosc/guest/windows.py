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
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..customization.sysprep import check_answer_file

ANSWER_FILE = Path("Windows/Panther/unattend.xml")
EARLIER_ANSWER_FILE = Path("Windows/Panther/Unattend/Unattend.xml")
LOG_FILE = Path("Windows/Temp/vmware-imc/guestcust.log")
PACKAGE_FILE = "sysprep.xml"

DEPLOY_FAILED = 5
_SECRET_VALUE = re.compile(r"(<(?:\w+:)?(Value|Password)\b[^>]*>)(.*?)(</(?:\w+:)?\2\s*>)", re.DOTALL)


@dataclass
class WindowsResult:
    error_code: int = 0  # 0 ok, 5 deploy failed (VMware's DEPLOY_FAILED)
    failure: str | None = None  # None | "sysprep"
    message: str = ""
    log_path: Path | None = None
    changes: list[Path] = field(default_factory=list)
    diff: str = ""


def redact(text: str) -> str:
    """An answer file with every password value replaced (for diffs and messages)."""
    return _SECRET_VALUE.sub(lambda m: m.group(1) + ("********" if m.group(3).strip() else "") + m.group(4), text)


def _atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Log:
    """guestcust.log lines, kept in memory until the end (so dry runs write nothing)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, level: str, text: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        self.lines.append(f"{stamp} [{level}] {text}")

    def flush(self, root: Path) -> Path | None:
        path = root / LOG_FILE
        try:
            old = path.read_bytes() if path.exists() else b""
            _atomic_write(path, old + ("\n".join(self.lines) + "\n").encode(), mode=0o644)
        except OSError:
            return None
        return path


def _inside(root: Path, rel: Path) -> Path:
    path = root / rel
    if not path.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"{rel} leaves the guest tree")
    return path


def apply_sysprep(root: Path, pkg_dir: Path, *, dry_run: bool = False) -> WindowsResult:
    """Place ``<pkg_dir>/sysprep.xml`` as ``<root>/Windows/Panther/unattend.xml``."""
    root, pkg_dir = Path(root), Path(pkg_dir)
    log = _Log()
    result = WindowsResult()

    def fail(message: str) -> WindowsResult:
        log("ERROR", message)
        result.error_code, result.failure, result.message = DEPLOY_FAILED, "sysprep", message
        if not dry_run and (root / "Windows").is_dir():  # never create a Windows dir in another tree
            result.log_path = log.flush(root)
        return result

    log("INFO", f"Windows customization: answer file from {PACKAGE_FILE} in the deploy package")
    if not (root / "Windows").is_dir():
        return fail(f"{root} is not a Windows guest tree (no Windows directory)")
    source = pkg_dir / PACKAGE_FILE
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        return fail(f"the deploy package has no {PACKAGE_FILE}")
    except OSError as e:
        return fail(f"cannot read {PACKAGE_FILE}: {e.strerror}")
    try:
        check_answer_file(data)
    except ValueError as e:
        return fail(f"{PACKAGE_FILE} is unusable: {e}")
    try:
        target = _inside(root, ANSWER_FILE)
    except ValueError as e:
        return fail(str(e))

    guest_path = "C:\\" + str(ANSWER_FILE).replace("/", "\\")
    if (root / EARLIER_ANSWER_FILE).exists():
        log("WARN", "C:\\Windows\\Panther\\Unattend\\Unattend.xml exists and comes first in setup's search order")
    old = target.read_bytes() if target.is_file() else None
    if old == data:
        log("INFO", f"{guest_path} already holds this answer file")
    else:
        result.changes.append(target)

    if dry_run:
        before = redact(old.decode("utf-8", "replace")) if old is not None else ""
        after = redact(data.decode("utf-8", "replace"))
        rel = str(ANSWER_FILE)
        result.diff = "".join(difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True),
            fromfile=f"a/{rel}" if old is not None else "/dev/null", tofile=f"b/{rel}",
        ))  # fmt: skip
        result.message = "dry run: nothing written"
        return result

    if result.changes:
        try:
            _atomic_write(target, data)
        except OSError as e:
            result.changes.clear()
            return fail(f"cannot write {guest_path}: {e.strerror}")
        log("INFO", f"wrote {guest_path} ({len(data)} bytes, passwords not logged)")
    log("INFO", "answer file in place; Windows setup applies it on the next boot (specialize, oobeSystem)")
    result.message = f"answer file placed at {guest_path}"
    result.log_path = log.flush(root)
    if result.log_path is not None:
        result.changes.append(result.log_path)
    return result
