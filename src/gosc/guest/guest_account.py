"""A guest account as guest operations act with it: ids, groups, home, from the guest's own files.

Who may log in is decided by ``accounts.authenticate`` (the tools agent's ``guest.auth``,
exactly as for CustomizeGuest_Task); this module only reads what the account then *is*:
its uid and primary gid and home from ``/etc/passwd``, its supplementary groups from
``/etc/group``, so that files and programs meet the guest's own permission bits.  A
Windows tree's accounts (``gosc.guest.accounts``) act as uid 0 for administrators
and as their RID otherwise (uid and gid), without groups.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import shadow
from .guestpath import GuestRoot, opened
from .sandbox import DEFAULT_PATH

__all__ = ["GuestAccount", "lookup"]


@dataclass(frozen=True)
class GuestAccount:
    name: str
    uid: int
    gid: int
    home: str = "/"
    shell: str = "/bin/sh"
    groups: tuple[int, ...] = field(default=())  # supplementary, the primary gid first
    windows: bool = False

    @property
    def is_root(self) -> bool:
        return self.uid == 0

    def environment(self) -> dict[str, str]:
        """What a program started for this account starts with (a login's basics)."""
        if self.windows:
            return {"USERNAME": self.name, "USERPROFILE": f"C:\\Users\\{self.name}"}
        return {
            "HOME": self.home,
            "LOGNAME": self.name,
            "USER": self.name,
            "SHELL": self.shell,
            "PATH": DEFAULT_PATH,
            "LANG": "C",
        }


def _groups_of(guest: GuestRoot, name: str, gid: int) -> tuple[int, ...]:
    out = [gid]
    for line in (guest.read_text("/etc/group") or "").splitlines():
        f = line.split(":")
        if len(f) >= 4 and f[2].isdigit() and name in f[3].split(",") and int(f[2]) not in out:
            out.append(int(f[2]))
    return tuple(out[:64])  # NGROUPS is larger; no real account is near this


def lookup(root: Path | GuestRoot, name: str, uid: int) -> GuestAccount:
    """The account ``name``, which the guest accepted as ``uid``."""
    with opened(root) as guest:
        if guest.is_dir("/Windows"):
            return GuestAccount(name, uid, 0 if uid == 0 else uid, home="/", shell="", windows=True)
        account = shadow.read_account(guest, name)
        if account is None or account.uid != uid:  # the files changed between login and now
            raise LookupError(f"the guest has no account {name!r} with uid {uid}")
        return GuestAccount(
            account.name,
            account.uid,
            account.gid,
            home=account.home or "/",
            shell=account.shell or "/bin/sh",
            groups=_groups_of(guest, account.name, account.gid),
        )


def is_windows(root: Path | GuestRoot) -> bool:
    with opened(root) as guest:
        return guest.is_dir("/Windows")  # as accounts.authenticate tells the two apart
