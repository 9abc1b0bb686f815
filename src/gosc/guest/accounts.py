"""Guest accounts, as the guest's own authentication service (VGAuth) checks them.

Linux guests: ``/etc/passwd`` + ``/etc/shadow`` of the tree.  Windows guests: the tree's
``Windows/System32/config/gosc-accounts`` stands in for the SAM database, one account a
line, ``name:rid:admin:hash`` (``admin`` 1 for members of Administrators, ``hash`` a
crypt(3) string).  The answer is the uid that decides what the account may do: 0 for
root or a Windows administrator.
"""

from __future__ import annotations

from pathlib import Path

from . import shadow
from .guestpath import GuestRoot, opened

WINDOWS_ACCOUNTS = "Windows/System32/config/gosc-accounts"


def authenticate(root: Path | GuestRoot, user: str, password: str) -> int | None:
    with opened(root) as guest:
        if guest.is_dir("/Windows"):
            return _windows(guest, user, password)
        account = shadow.read_account(guest, user)
    if account is None or not account.hash or not shadow.verify(password, account.hash):
        return None
    return account.uid


def _windows(guest: GuestRoot, user: str, password: str) -> int | None:
    for line in (guest.read_text(WINDOWS_ACCOUNTS) or "").splitlines():
        parts = line.split(":", 3)
        # Windows account names are case-insensitive.
        if len(parts) == 4 and parts[0].lower() == user.lower():
            if not shadow.verify(password, parts[3]):
                return None
            return 0 if parts[2] == "1" else int(parts[1])
    return None
