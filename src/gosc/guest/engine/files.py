"""Staged, atomic changes to a guest tree.

Every engine step stages its edits here instead of touching the disk.  ``commit``
then writes every new file to a temporary file in the target's directory (fsync'd,
mode set), and only when all of them are ready renames them into place, so a failing
step or a full disk leaves no half-written file behind.  ``diff`` shows what a commit
would do; a dry run never commits.

Paths are guest paths (``/etc/hosts``).  Directories on the way must not be symlinks
that lead out of the guest root; a symlink *at* the target (``/etc/localtime``) is
replaced, never followed.
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path


class UnsafePathError(Exception):
    pass


class CommitError(Exception):
    """A staged change could not be prepared; nothing was renamed into place.
    ``section`` is the engine step that staged it ("network", "identity", ...)."""

    def __init__(self, section: str, message: str) -> None:
        super().__init__(message)
        self.section = section


@dataclass
class Change:
    path: str  # guest path, "/etc/hosts"
    kind: str  # "write" | "symlink" | "remove"
    content: bytes | None = None
    mode: int | None = None
    target: str | None = None  # for symlinks
    secret: bool = False  # diff shows that it changed, not the content (/etc/shadow)
    section: str = "unknown"  # the engine step that staged it, for error reports


class ChangeSet:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._real_root = os.path.realpath(self.root)
        self._changes: dict[str, Change] = {}
        self.section = "unknown"  # set by the engine before each step

    # -- paths ------------------------------------------------------------------------
    def host_path(self, guest_path: str) -> Path:
        rel = guest_path.lstrip("/")
        if not rel or any(part in ("", ".", "..") for part in rel.split("/")):
            raise UnsafePathError(f"bad guest path {guest_path!r}")
        host = self.root / rel
        parent = os.path.realpath(host.parent)
        if parent != self._real_root and not parent.startswith(self._real_root + os.sep):
            raise UnsafePathError(f"{guest_path} leads outside the guest root")
        return host

    # -- reading (staged content wins) ----------------------------------------------
    def exists(self, guest_path: str) -> bool:
        change = self._changes.get(guest_path)
        if change is not None:
            return change.kind != "remove"
        return os.path.lexists(self.host_path(guest_path))

    def read_bytes(self, guest_path: str) -> bytes | None:
        change = self._changes.get(guest_path)
        if change is not None:
            return change.content if change.kind == "write" else None
        host = self.host_path(guest_path)
        if host.is_symlink() or not host.is_file():
            return None
        return host.read_bytes()

    def read_text(self, guest_path: str) -> str | None:
        data = self.read_bytes(guest_path)
        return None if data is None else data.decode("utf-8", errors="replace")

    # -- staging ------------------------------------------------------------------------
    def write(self, guest_path: str, content: str | bytes, mode: int | None = None, *, secret: bool = False) -> None:
        """Stage a file.  mode None keeps the current file's mode (0644 for new files)."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        host = self.host_path(guest_path)
        if mode is None:
            try:
                st = os.lstat(host)
                mode = stat.S_IMODE(st.st_mode) if stat.S_ISREG(st.st_mode) else 0o644
            except FileNotFoundError:
                mode = 0o644
        self._changes[guest_path] = Change(guest_path, "write", data, mode, secret=secret, section=self.section)

    def symlink(self, guest_path: str, target: str) -> None:
        self.host_path(guest_path)
        self._changes[guest_path] = Change(guest_path, "symlink", target=target, section=self.section)

    def remove(self, guest_path: str) -> None:
        if self.exists(guest_path):
            self._changes[guest_path] = Change(guest_path, "remove", section=self.section)

    # -- results ------------------------------------------------------------------------
    def _is_noop(self, change: Change) -> bool:
        host = self.host_path(change.path)
        if change.kind == "symlink":
            return host.is_symlink() and os.readlink(host) == change.target
        if change.kind == "remove":
            return not os.path.lexists(host)
        if host.is_symlink() or not host.is_file():
            return False
        return host.read_bytes() == change.content and stat.S_IMODE(host.stat().st_mode) == change.mode

    def pending(self) -> list[Change]:
        """Changes that would alter the tree, in staging order."""
        return [c for c in self._changes.values() if not self._is_noop(c)]

    def paths(self) -> list[str]:
        return [c.path for c in self.pending()]

    def _describe_current(self, host: Path) -> tuple[list[str], str]:
        if host.is_symlink():
            return [f"symlink -> {os.readlink(host)}\n"], "symlink"
        if host.is_file():
            return host.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True), "file"
        return [], "none"

    def diff(self) -> str:
        """A unified diff of every pending change (symlinks shown as 'symlink -> target')."""
        out: list[str] = []
        for change in self.pending():
            host = self.host_path(change.path)
            old, what = self._describe_current(host)
            if change.secret:
                out += [f"--- a{change.path}\n", f"+++ b{change.path}\n", "@@ secret file changed; content not shown @@\n"]
                continue
            if change.kind == "write":
                assert change.content is not None
                new = change.content.decode("utf-8", errors="replace").splitlines(keepends=True)
            elif change.kind == "symlink":
                new = [f"symlink -> {change.target}\n"]
            else:
                new = []
            a = f"a{change.path}" if what != "none" else "/dev/null"
            b = f"b{change.path}" if change.kind != "remove" else "/dev/null"
            lines = list(difflib.unified_diff(old, new, a, b))
            if not lines:  # same content, only the mode differs
                lines = [f"--- a{change.path}\n", f"+++ b{change.path}\n", f"@@ mode {oct(change.mode or 0)} @@\n"]
            out.extend(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
        return "".join(out)

    def commit(self) -> list[str]:
        """Write everything: all temp files first, then the renames.  Returns the paths."""
        pending = self.pending()
        prepared: list[tuple[Change, Path, str | None]] = []
        change: Change | None = None
        try:
            for change in pending:
                host = self.host_path(change.path)
                if host.is_dir() and not host.is_symlink():
                    # os.replace would fail on it in the second phase, after other renames
                    raise IsADirectoryError(f"{change.path} is a directory")
                host.parent.mkdir(parents=True, exist_ok=True)
                tmp: str | None = None
                if change.kind == "write":
                    fd, tmp = tempfile.mkstemp(prefix=f".{host.name}.", suffix=".gosc-tmp", dir=host.parent)
                    with os.fdopen(fd, "wb") as fh:
                        assert change.content is not None
                        fh.write(change.content)
                        fh.flush()
                        os.fchmod(fh.fileno(), change.mode or 0o644)
                        os.fsync(fh.fileno())
                elif change.kind == "symlink":
                    tmp = os.path.join(host.parent, f".{host.name}.{os.getpid()}.gosc-tmp")
                    if os.path.lexists(tmp):
                        os.unlink(tmp)
                    assert change.target is not None
                    os.symlink(change.target, tmp)
                prepared.append((change, host, tmp))
        except BaseException as exc:
            for _, _, tmp in prepared:
                if tmp and os.path.lexists(tmp):
                    os.unlink(tmp)
            if isinstance(exc, OSError) and change is not None:
                raise CommitError(change.section, f"cannot write {change.path}: {exc.strerror or exc}") from exc
            raise
        dirs: set[Path] = set()
        for change, host, tmp in prepared:
            if change.kind == "remove":
                if os.path.lexists(host):
                    os.unlink(host)
            else:
                assert tmp is not None
                os.replace(tmp, host)
            dirs.add(host.parent)
        for d in dirs:  # make the renames themselves durable
            fd = os.open(d, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return [c.path for c, _, _ in prepared]
