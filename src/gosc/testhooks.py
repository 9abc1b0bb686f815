"""Test hooks: switches that let tests hold the server at a point, or move its clock,
instead of sleeping and hoping.

They exist only when the environment variable ``GOSC_TEST_HOOKS`` names a directory
when the server starts (never set it in production: whoever can write that directory
could then hold logins or shift lockout and session expiry).  In that directory:

- ``clock_offset``: a number of seconds added to the clock that lockout and session
  expiry read (the clock ``Clock`` gives); absent: no offset.
- ``hold_password_checks``: while this file exists, every password verification waits
  in its worker thread, after creating ``held-<n>`` (removed when it goes on), so a test
  can count the verifications held and show the server answers meanwhile.  Whether held
  or not, each login has ``checking-<n>`` from when it asks for a check until it has
  the answer (those waiting for a worker included).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

ENV = "GOSC_TEST_HOOKS"
CLOCK_OFFSET = "clock_offset"
HOLD_PASSWORD_CHECKS = "hold_password_checks"
HELD_PREFIX = "held-"
CHECKING_PREFIX = "checking-"
_POLL = 0.01  # seconds a held verification sleeps between looks (in its worker thread, never the loop)


class TestHooks:
    __test__ = False  # not a pytest test class

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._count = itertools.count()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> TestHooks | None:
        value = env.get(ENV)
        return cls(Path(value)) if value else None

    def clock_offset(self) -> float:
        try:
            return float((self.directory / CLOCK_OFFSET).read_text().strip() or 0)
        except (OSError, ValueError):
            return 0.0

    def hold_password_check(self) -> None:
        """Block the calling worker thread while ``hold_password_checks`` exists."""
        gate = self.directory / HOLD_PASSWORD_CHECKS
        if not gate.exists():
            return
        with self.marker(HELD_PREFIX):
            while gate.exists():
                time.sleep(_POLL)

    @contextlib.contextmanager
    def marker(self, prefix: str) -> Iterator[None]:
        """A file ``<prefix><n>`` while the block runs."""
        path = self.directory / f"{prefix}{next(self._count)}"
        path.touch()
        try:
            yield
        finally:
            path.unlink(missing_ok=True)


class Clock:
    """Wall and monotonic time, shifted by the test hook's ``clock_offset`` if any."""

    def __init__(self, hooks: TestHooks | None = None) -> None:
        self.hooks = hooks

    def _offset(self) -> float:
        return self.hooks.clock_offset() if self.hooks is not None else 0.0

    def wall(self) -> float:
        return time.time() + self._offset()

    def monotonic(self) -> float:
        return time.monotonic() + self._offset()
