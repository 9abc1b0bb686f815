"""How logins are checked: password hashes off the event loop, lockout, session limits.

Policies come from ``users.toml`` (defaults are vCenter's):

    [lockout]              # vCenter Single Sign-On's default lockout policy
    max_failures = 5       # failed logins ...
    failure_interval = 180 # ... within this many seconds lock the user
    unlock_time = 300      # for this many seconds

    [sessions]
    idle_timeout = 1800    # seconds without a call before a session ends (vCenter: 30 min)
    max_per_user = 100     # sessions one user may hold at once

- scrypt costs ~50 ms of CPU and 16 MiB: it runs in a small thread pool of its own
  (``HASH_WORKERS`` at once), never on the event loop, so guessers cannot stall other
  requests, nor take every thread or all memory.  At most ``MAX_WAITING`` logins wait for
  a worker; beyond that Login fails at once (InvalidLogin, "busy"), without hashing.
- A locked user's Login fails with InvalidLogin even with the right password, as on
  vCenter; attempts while locked are not counted and do not extend the lock.  Only
  users that exist are tracked (an unknown name has nothing to lock), and a hash is
  computed in every case so that neither existence nor lock state shows in the timing.
- Lockout state is in the store: a restart does not unlock a user.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..testhooks import CHECKING_PREFIX, Clock, TestHooks
from ..vim.faults import fault

if TYPE_CHECKING:
    from ..store import Store

log = logging.getLogger(__name__)

HASH_WORKERS = 2  # concurrent scrypt computations (each ~16 MiB)
MAX_WAITING = 64  # logins queued for a worker before Login answers "busy"


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    failure_interval: float = 180.0
    unlock_time: float = 300.0


@dataclass(frozen=True)
class SessionPolicy:
    idle_timeout: float = 1800.0
    max_per_user: int = 100


def policy_from_toml(cls: type[Any], table: dict[str, Any], where: str) -> Any:
    """A policy from its users.toml table; unknown keys and bad values are errors."""
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        f = known.get(key)
        if f is None:
            raise ValueError(f"[{where}] has no setting '{key}' (known: {', '.join(known)})")
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or value <= 0 or (f.type == "int" and not isinstance(value, int)):
            raise ValueError(f"[{where}] {key} must be a positive {'integer' if f.type == 'int' else 'number'}")
        values[key] = value
    return cls(**values)


def invalid_login(message: str = "Cannot complete login due to an incorrect user name or password.") -> Exception:
    return fault(vim.fault.InvalidLogin, message)


# ---------------------------------------------------------------- password checks


class PasswordChecks:
    """Runs a verification function in the bounded pool."""

    def __init__(self, hooks: TestHooks | None) -> None:
        self.hooks = hooks
        self._pool = ThreadPoolExecutor(max_workers=HASH_WORKERS, thread_name_prefix="gosc-password")
        self._waiting = 0

    async def run(self, verify: Any, password: str, stored: str) -> bool:
        if self._waiting >= MAX_WAITING:
            raise invalid_login("The server is busy checking other logins; try again later.")
        self._waiting += 1
        try:
            with self.hooks.marker(CHECKING_PREFIX) if self.hooks is not None else contextlib.nullcontext():
                return bool(
                    await asyncio.get_running_loop().run_in_executor(self._pool, self._check, verify, password, stored)
                )
        finally:
            self._waiting -= 1

    def _check(self, verify: Any, password: str, stored: str) -> bool:
        if self.hooks is not None:
            self.hooks.hold_password_check()
        return bool(verify(password, stored))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# ---------------------------------------------------------------- lockout


@dataclass
class _Account:
    failures: list[float] = field(default_factory=list)  # wall times of recent failures
    locked_until: float = 0.0


class Lockout:
    def __init__(self, store: Store, clock: Clock, policy: LockoutPolicy | None = None) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy or LockoutPolicy()
        self._accounts: dict[str, _Account] = {}

    def load(self) -> None:
        for name, doc in self.store.load("lockout"):
            self._accounts[name] = _Account(list(doc.get("failures", [])), float(doc.get("lockedUntil", 0.0)))

    def locked(self, user: str) -> bool:
        account = self._accounts.get(user)
        return account is not None and self.clock.wall() < account.locked_until

    def failed(self, user: str) -> None:
        if self.locked(user):
            return  # attempts while locked neither count nor extend the lock
        now = self.clock.wall()
        account = self._accounts.setdefault(user, _Account())
        account.failures = [t for t in account.failures if now - t < self.policy.failure_interval] + [now]
        if len(account.failures) >= self.policy.max_failures:
            account.locked_until = now + self.policy.unlock_time
            account.failures = []
            log.warning(
                "user %s is locked for %.0f s after %d failed logins",
                user,
                self.policy.unlock_time,
                self.policy.max_failures,
            )
        self._save(user, account)

    def succeeded(self, user: str) -> None:
        account = self._accounts.pop(user, None)
        if account is not None and (account.failures or account.locked_until):
            self.store.delete("lockout", user)

    def _save(self, user: str, account: _Account) -> None:
        self.store.put("lockout", user, {"failures": account.failures, "lockedUntil": account.locked_until})
