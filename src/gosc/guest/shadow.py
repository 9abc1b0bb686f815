"""Password hashes and the guest's /etc/passwd + /etc/shadow.

Implements crypt(3)'s SHA-256/SHA-512 scheme (``$5$``/``$6$``, Ulrich Drepper's
published "Unix crypt using SHA-256 and SHA-512" specification, ``rounds=`` included)
and the MD5 scheme (``$1$``, Poul-Henning Kamp's md5crypt), so gosc can create and
check guest passwords without the host's libcrypt (Python 3.13 removed ``crypt``).
yescrypt (``$y$``, the default of Debian 11+/Ubuntu 22.04+) and bcrypt are not
implemented: ``check`` returns ``(False, reason)`` for them.

File helpers take the guest root and return or rewrite text; callers that must write
atomically (the engine) use the pure ``update_shadow`` and write through their own
change set.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from .guestpath import GuestRoot, opened

__all__ = [
    "Account", "check", "verify", "hash_password", "sha_crypt", "md5_crypt",
    "read_account", "read_accounts", "update_shadow", "set_password", "expire_password",
    "days_since_epoch",
]

_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ROUNDS_DEFAULT = 5000
ROUNDS_MIN = 1000
ROUNDS_MAX = 999_999_999
SALT_MAX = 16

# Byte order of the final base-64 encoding: groups of three digest bytes, most
# significant first, as the specification lists them.
_ORDER_512 = [
    (0, 21, 42), (22, 43, 1), (44, 2, 23), (3, 24, 45), (25, 46, 4), (47, 5, 26),
    (6, 27, 48), (28, 49, 7), (50, 8, 29), (9, 30, 51), (31, 52, 10), (53, 11, 32),
    (12, 33, 54), (34, 55, 13), (56, 14, 35), (15, 36, 57), (37, 58, 16), (59, 17, 38),
    (18, 39, 60), (40, 61, 19), (62, 20, 41),
]
_ORDER_256 = [
    (0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14),
    (15, 25, 5), (6, 16, 26), (27, 7, 17), (18, 28, 8), (9, 19, 29),
]


def _b64_24(b2: int, b1: int, b0: int, n: int) -> str:
    w = (b2 << 16) | (b1 << 8) | b0
    out = []
    for _ in range(n):
        out.append(_ALPHABET[w & 0x3F])
        w >>= 6
    return "".join(out)


def _repeat_to(block: bytes, length: int) -> bytes:
    """block repeated and cut to length bytes (the spec's P and S sequences)."""
    return (block * (length // len(block) + 1))[:length]


def sha_crypt(password: str | bytes, salt: str, *, algo: str = "sha512", rounds: int | None = None) -> str:
    """crypt(3) SHA-crypt.  ``rounds=None`` means the default 5000, not written out."""
    pw = password.encode("utf-8") if isinstance(password, str) else password
    new = hashlib.sha512 if algo == "sha512" else hashlib.sha256
    prefix = "$6$" if algo == "sha512" else "$5$"
    size = 64 if algo == "sha512" else 32
    custom_rounds = rounds is not None
    n = ROUNDS_DEFAULT if rounds is None else min(max(rounds, ROUNDS_MIN), ROUNDS_MAX)
    salt_b = salt.split("$", 1)[0][:SALT_MAX].encode("utf-8")

    b = new(pw + salt_b + pw).digest()
    ctx = new(pw + salt_b)
    ctx.update(_repeat_to(b, len(pw)))
    length = len(pw)
    while length:  # one step per bit of the password length, lowest first
        ctx.update(b if length & 1 else pw)
        length >>= 1
    a = ctx.digest()

    p = _repeat_to(new(pw * len(pw)).digest(), len(pw))
    s = _repeat_to(new(salt_b * (16 + a[0])).digest(), len(salt_b))

    c = a
    for i in range(n):
        ctx = new()
        ctx.update(p if i & 1 else c)
        if i % 3:
            ctx.update(s)
        if i % 7:
            ctx.update(p)
        ctx.update(c if i & 1 else p)
        c = ctx.digest()

    if size == 64:
        encoded = "".join(_b64_24(c[x], c[y], c[z], 4) for x, y, z in _ORDER_512)
        encoded += _b64_24(0, 0, c[63], 2)
    else:
        encoded = "".join(_b64_24(c[x], c[y], c[z], 4) for x, y, z in _ORDER_256)
        encoded += _b64_24(0, c[31], c[30], 3)
    rounds_part = f"rounds={n}$" if custom_rounds else ""
    return f"{prefix}{rounds_part}{salt_b.decode('utf-8')}${encoded}"


def md5_crypt(password: str | bytes, salt: str) -> str:
    """crypt(3) ``$1$`` (md5crypt), for verifying old guests' hashes."""
    pw = password.encode("utf-8") if isinstance(password, str) else password
    salt_b = salt.split("$", 1)[0][:8].encode("utf-8")
    alt = hashlib.md5(pw + salt_b + pw).digest()
    ctx = hashlib.md5(pw + b"$1$" + salt_b)
    ctx.update(_repeat_to(alt, len(pw)))
    length = len(pw)
    while length:
        ctx.update(b"\0" if length & 1 else pw[:1])
        length >>= 1
    final = ctx.digest()
    for i in range(1000):
        ctx = hashlib.md5()
        ctx.update(pw if i & 1 else final)
        if i % 3:
            ctx.update(salt_b)
        if i % 7:
            ctx.update(pw)
        ctx.update(final if i & 1 else pw)
        final = ctx.digest()
    f = final
    encoded = "".join(
        _b64_24(f[a], f[b], f[c], 4) for a, b, c in ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))
    )
    encoded += _b64_24(0, 0, f[11], 2)
    return f"$1${salt_b.decode('utf-8')}${encoded}"


def _random_salt(length: int = 16) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def hash_password(password: str, salt: str | None = None, *, rounds: int | None = None) -> str:
    """A ``$6$`` hash, as ``openssl passwd -6 -salt SALT`` writes it."""
    return sha_crypt(password, salt if salt is not None else _random_salt(), rounds=rounds)


def check(password: str, hashed: str) -> tuple[bool, str]:
    """(matches, reason).  The reason explains a False: mismatch, locked, unsupported."""
    if not hashed:
        return False, "empty hash field: the account has no password"
    if hashed[0] in "!*":
        return False, "account is locked or has no usable password"
    parts = hashed.split("$")
    if len(parts) < 4 or parts[0] != "":
        return False, "not a modular crypt hash ($id$salt$hash)"
    ident = parts[1]
    if ident in ("5", "6"):
        rounds = None
        salt = parts[2]
        if salt.startswith("rounds="):
            if len(parts) < 5:
                return False, "malformed rounds= field"
            try:
                rounds = int(salt[len("rounds="):])
            except ValueError:
                return False, "malformed rounds= field"
            salt = parts[3]
        computed = sha_crypt(password, salt, algo="sha512" if ident == "6" else "sha256", rounds=rounds)
    elif ident == "1":
        computed = md5_crypt(password, parts[2])
    elif ident == "y":
        return False, "yescrypt ($y$) hashes are not supported by gosc"
    else:
        return False, f"hash scheme ${ident}$ is not supported by gosc"
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
        accounts.append(
            Account(f[0], int(f[2]), int(f[3]), f[5], f[6], sh[1] if sh else None, sh[2] if sh else None)
        )
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
