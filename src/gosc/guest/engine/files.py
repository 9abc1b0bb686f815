"""Staged, atomic changes to a guest tree.

Every engine step stages its edits here instead of touching the disk.  ``commit``
then writes every new file to a temporary file in the target's directory (mode set,
made durable together), and only when all of them are ready renames them into place, so a failing
step or a full disk leaves no half-written file behind.  ``diff`` shows what a commit
would do; a dry run never commits.

Paths are guest paths (``/etc/hosts``), resolved inside the guest root by
gosc.guest.guestpath (a guest's absolute symlinks mean the guest's own files); a symlink
*at* the target (``/etc/localtime``) is replaced, never followed.
"""

from __future__ import annotations

import difflib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..guestpath import GuestPathError, GuestRoot, Staged
from ..states import FailureKind
from ..syncfs import syncfs


class CommitError(Exception):
    """A staged change could not be prepared; nothing was renamed into place.
    ``section`` is the engine step that staged it ("network", "identity", ...)."""

    def __init__(self, section: FailureKind, message: str) -> None:
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
    section: FailureKind = FailureKind.UNKNOWN  # the engine step that staged it, for error reports


@dataclass
class FileSnapshot:
    """One changed guest file: its text before (None: it did not exist) and after (None:
    removed); a secret file (/etc/shadow) has neither."""

    path: str
    before: str | None
    after: str | None
    secret: bool = False


class ChangeSet:
    def __init__(self, root: Path | GuestRoot) -> None:
        """``root`` a guest tree; a path is opened here (and closed with this object)."""
        self.guest = root if isinstance(root, GuestRoot) else GuestRoot(root)
        self.root = self.guest.path
        self._changes: dict[str, Change] = {}
        self.section = FailureKind.UNKNOWN  # set by the engine before each step
        # What the tree holds now, read once for the diff, the paths, the snapshots and the
        # commit that follow one another; staging anything reads it again.
        self._pending: list[Change] | None = None
        self._current: dict[str, tuple[list[str], str]] = {}

    # -- reading (staged content wins) ----------------------------------------------
    def exists(self, guest_path: str) -> bool:
        change = self._changes.get(guest_path)
        if change is not None:
            return change.kind != "remove"
        return self.guest.lexists(guest_path)

    def read_bytes(self, guest_path: str) -> bytes | None:
        change = self._changes.get(guest_path)
        if change is not None:
            return change.content if change.kind == "write" else None
        return self.guest.read_bytes(guest_path, follow=False)

    def read_text(self, guest_path: str) -> str | None:
        data = self.read_bytes(guest_path)
        return None if data is None else data.decode("utf-8", errors="replace")

    def _lmode(self, guest_path: str) -> int | None:
        try:
            return self.guest.lstat(guest_path).st_mode
        except GuestPathError:
            return None

    # -- staging ------------------------------------------------------------------------
    def write(self, guest_path: str, content: str | bytes, mode: int | None = None, *, secret: bool = False) -> None:
        """Stage a file.  mode None keeps the current file's mode (0644 for new files)."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        if mode is None:
            current = self._lmode(guest_path)
            mode = stat.S_IMODE(current) if current is not None and stat.S_ISREG(current) else 0o644
        self._staged(Change(guest_path, "write", data, mode, secret=secret, section=self.section))

    def symlink(self, guest_path: str, target: str) -> None:
        self._staged(Change(guest_path, "symlink", target=target, section=self.section))

    def remove(self, guest_path: str) -> None:
        if self.exists(guest_path):
            self._staged(Change(guest_path, "remove", section=self.section))

    def _staged(self, change: Change) -> None:
        self._changes[change.path] = change
        self._pending, self._current = None, {}

    # -- results ------------------------------------------------------------------------
    def _is_noop(self, change: Change) -> bool:
        current = self._lmode(change.path)
        if change.kind == "symlink":
            return current is not None and stat.S_ISLNK(current) and self.guest.readlink(change.path) == change.target
        if change.kind == "remove":
            return current is None
        if current is None or not stat.S_ISREG(current):
            return False
        return (
            self.guest.read_bytes(change.path, follow=False) == change.content and stat.S_IMODE(current) == change.mode
        )

    def pending(self) -> list[Change]:
        """Changes that would alter the tree, in staging order."""
        if self._pending is None:
            self._pending = [c for c in self._changes.values() if not self._is_noop(c)]
        return self._pending

    def paths(self) -> list[str]:
        return [c.path for c in self.pending()]

    def _describe_current(self, guest_path: str) -> tuple[list[str], str]:
        if guest_path not in self._current:
            self._current[guest_path] = self._read_current(guest_path)
        return self._current[guest_path]

    def _read_current(self, guest_path: str) -> tuple[list[str], str]:
        current = self._lmode(guest_path)
        if current is not None and stat.S_ISLNK(current):
            return [f"symlink -> {self.guest.readlink(guest_path)}\n"], "symlink"
        if current is not None and stat.S_ISREG(current):
            text = (self.guest.read_bytes(guest_path, follow=False) or b"").decode("utf-8", errors="replace")
            return text.splitlines(keepends=True), "file"
        return [], "none"

    def snapshots(self) -> list[FileSnapshot]:
        """Every pending change as its file's text before and after (what a side-by-side
        view shows); a secret file's content is left out, only that it changed."""
        out: list[FileSnapshot] = []
        for change in self.pending():
            if change.secret:
                out.append(FileSnapshot(change.path, None, None, secret=True))
                continue
            old, what = self._describe_current(change.path)
            if change.kind == "write":
                assert change.content is not None
                after: str | None = change.content.decode("utf-8", errors="replace")
            elif change.kind == "symlink":
                after = f"symlink -> {change.target}\n"
            else:
                after = None
            out.append(FileSnapshot(change.path, "".join(old) if what != "none" else None, after))
        return out

    def diff(self) -> str:
        """A unified diff of every pending change (symlinks shown as 'symlink -> target')."""
        out: list[str] = []
        for change in self.pending():
            old, what = self._describe_current(change.path)
            if change.secret:
                out += [
                    f"--- a{change.path}\n",
                    f"+++ b{change.path}\n",
                    "@@ secret file changed; content not shown @@\n",
                ]
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
        """Write everything: all temp files first, then the renames.  Returns the paths.
        Durable as fsync'ing each file and each rename would make it, with one ``syncfs``
        after the temp files (before any rename can expose one) and one after the renames."""
        pending = self.pending()
        prepared: list[tuple[Change, Staged | None]] = []
        change: Change | None = None
        try:
            for change in pending:
                current = self._lmode(change.path)
                if current is not None and stat.S_ISDIR(current):
                    # the rename would fail on it in the second phase, after other renames
                    raise CommitError(change.section, f"cannot write {change.path}: it is a directory")
                staged: Staged | None = None
                if change.kind == "write":
                    assert change.content is not None
                    staged = self.guest.stage(change.path, change.content, change.mode or 0o644, durable=False)
                elif change.kind == "symlink":
                    assert change.target is not None
                    staged = self.guest.stage_symlink(change.path, change.target)
                prepared.append((change, staged))
        except BaseException as exc:
            _discard(prepared)
            if isinstance(exc, OSError) and change is not None:
                raise CommitError(change.section, f"cannot write {change.path}: {exc.strerror or exc}") from exc
            raise
        # One fd per file system the staged files are on (the guest's, unless it mounts others).
        devices = {os.fstat(staged.dir_fd).st_dev: staged.dir_fd for _, staged in prepared if staged is not None}
        sync_fds = [os.dup(fd) for fd in devices.values()]
        try:
            try:
                for fd in sync_fds:
                    syncfs(fd)
            except OSError as exc:
                _discard(prepared)
                raise CommitError(pending[0].section, f"cannot make the files durable: {exc.strerror}") from exc
            for change, staged in prepared:
                if staged is None:
                    self.guest.unlink(change.path, missing_ok=True)
                else:
                    staged.commit()
            for fd in sync_fds:
                syncfs(fd)  # the renames
        finally:
            for fd in sync_fds:
                os.close(fd)
            self._pending, self._current = None, {}
        return [c.path for c, _ in prepared]


def _discard(prepared: list[tuple[Change, Staged | None]]) -> None:
    """The temp files of a commit that stops before its renames."""
    for _, staged in prepared:
        if staged is not None:
            staged.discard()
