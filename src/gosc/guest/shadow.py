"""Password hashes and the guest's /etc/passwd + /etc/shadow.

Hashing and verifying go through the system's libxcrypt (``libxcrypt.py``), so every
scheme a guest's own libcrypt writes is understood: yescrypt (the default of Debian 11+
and Ubuntu 22.04+), gost-yescrypt, bcrypt, SHA-512/SHA-256-crypt and md5crypt.  A new
password is written in the scheme the guest already uses (``method_for``).

File helpers take the guest root and return or rewrite text; callers that must write
atomically (the engine) use the pure ``update_shadow`` and write through their own
change set.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from pathlib import Path

from . import libxcrypt
from .guestpath import GuestRoot, opened
from .libxcrypt import Method

__all__ = [
    "Account",
    "Method",
    "check",
    "days_since_epoch",
    "expire_password",
    "hash_password",
    "method_for",
    "read_account",
    "read_accounts",
    "set_password",
    "update_shadow",
    "verify",
]


def hash_password(
    password: str, salt: str | None = None, *, method: Method = Method.SHA512, rounds: int | None = None
) -> str:
    """A hash of ``password`` in ``method``.  ``salt`` (SHA-crypt only) makes it
    reproducible, as ``openssl passwd -6 -salt SALT``; otherwise libxcrypt makes the
    setting with its default cost and fresh entropy."""
    if salt is None:
        setting = libxcrypt.gensalt(method)
    elif method in (Method.SHA512, Method.SHA256):
        setting = f"{method.value}{f'rounds={rounds}$' if rounds is not None else ''}{salt}$"
    else:
        raise ValueError(f"a fixed salt is only supported for SHA-crypt, not {method.name}")
    hashed = libxcrypt.crypt(password, setting)
    if hashed is None:
        raise ValueError(f"libxcrypt cannot hash with the setting for {method.name}")
    return hashed


def method_for(current_hash: str | None, login_defs: str | None) -> Method:
    """The scheme a guest uses: that of the account's current hash, else
    ``ENCRYPT_METHOD`` of its /etc/login.defs, else SHA-512 (what every guest's libcrypt
    can verify)."""
    if current_hash:
        found = Method.of_hash(current_hash)
        if found is not None:
            return found
    for line in (login_defs or "").splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "ENCRYPT_METHOD":
            found = Method.of_login_defs(fields[1])
            if found is not None:
                return found
    return Method.SHA512


def check(password: str, hashed: str) -> tuple[bool, str]:
    """(matches, reason).  The reason explains a False: mismatch, locked, unsupported."""
    if not hashed:
        return False, "empty hash field: the account has no password"
    if hashed[0] in "!*":
        return False, "account is locked or has no usable password"
    if not hashed.startswith("$") or hashed.count("$") < 3:
        return False, "not a modular crypt hash ($id$salt$hash)"
    computed = libxcrypt.crypt(password, hashed)  # once: a hash costs milliseconds by design
    if computed is None:
        scheme = hashed.split("$")[1]
        return False, f"hash scheme ${scheme}$ is not supported by this machine's libxcrypt"
    if hmac.compare_digest(computed.encode(), hashed.encode()):
        return True, "match"
    return False, "password does not match"


def verify(password: str, hashed: str) -> bool:
    return check(password, hashed)[0]


# ---------------------------------------------------------------------------------------
# /etc/passwd and /etc/shadow


@dataclass
class Account:
    name: str
    uid: int
    gid: int
    home: str
    shell: str
    hash: str | None  # the shadow password field; None when the user has no shadow line
    last_change: str | None  # the shadow "last change" field, days since 1970 ("" = unset)


def _lines(guest: GuestRoot, path: str) -> list[list[str]]:
    text = guest.read_text(path) or ""
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def read_accounts(root: Path | GuestRoot) -> list[Account]:
    with opened(root) as guest:
        shadow = {f[0]: f for f in _lines(guest, "/etc/shadow") if len(f) >= 3}
        passwd = _lines(guest, "/etc/passwd")
    accounts = []
    for f in passwd:
        if len(f) < 7 or not f[2].isdigit() or not f[3].isdigit():
            continue
        sh = shadow.get(f[0])
        accounts.append(Account(f[0], int(f[2]), int(f[3]), f[5], f[6], sh[1] if sh else None, sh[2] if sh else None))
    return accounts


def read_account(root: Path | GuestRoot, name: str) -> Account | None:
    return next((a for a in read_accounts(root) if a.name == name), None)


def days_since_epoch(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // 86400)


def update_shadow(text: str, user: str, *, hashed: str | None = None, last_change: int | None = None) -> str:
    """shadow text with user's password field and/or last-change field replaced.

    ``last_change=0`` is what ``passwd --expire`` writes: the password must be changed
    at the next login.  Raises KeyError when the user has no shadow line.
    """
    out = []
    found = False
    for line in text.splitlines():
        fields = line.split(":")
        if fields[0] == user and len(fields) >= 3 and not line.startswith("#"):
            found = True
            if hashed is not None:
                if ":" in hashed or "\n" in hashed:
                    raise ValueError("a password hash cannot contain ':' or a line break")
                fields[1] = hashed
            if last_change is not None:
                fields[2] = str(last_change)
            line = ":".join(fields)
        out.append(line)
    if not found:
        raise KeyError(user)
    return "\n".join(out) + "\n"


def _rewrite_shadow(root: Path | GuestRoot, user: str, hashed: str | None, last_change: int) -> None:
    with opened(root) as guest:
        st = guest.lstat("/etc/shadow")
        text = guest.read_text("/etc/shadow", follow=False, errors="strict")
        if text is None:
            raise FileNotFoundError("the guest has no /etc/shadow file")
        new = update_shadow(text, user, hashed=hashed, last_change=last_change)
        guest.write_atomic("/etc/shadow", new.encode(), st.st_mode & 0o7777)


def set_password(root: Path | GuestRoot, user: str, password: str, *, salt: str | None = None) -> None:
    """Set user's password in the guest's /etc/shadow (the engine writes through its
    change set instead)."""
    _rewrite_shadow(root, user, hash_password(password, salt), days_since_epoch())


def expire_password(root: Path | GuestRoot, user: str) -> None:
    _rewrite_shadow(root, user, None, 0)
