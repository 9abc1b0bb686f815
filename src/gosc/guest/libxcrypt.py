"""crypt(3) from the system's libxcrypt, through ctypes.

Guests hash their passwords with whatever their own libcrypt offers: yescrypt (``$y$``,
the default of Debian 11+ and Ubuntu 22.04+), gost-yescrypt (``$gy$``), bcrypt
(``$2b$``), SHA-512/SHA-256-crypt (``$6$``/``$5$``), md5crypt (``$1$``) and older ones.
Verifying a guest's hash means running the same algorithm, so gosc calls libxcrypt
(Debian's ``libcrypt1``, part of every installation) rather than re-implementing any of
them: ``crypt_rn`` with a caller-owned ``struct crypt_data`` is thread-safe, and
``crypt_gensalt_rn`` makes settings with the library's own defaults and entropy.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from enum import Enum
from functools import cache

# sizeof(struct crypt_data) in libxcrypt's <crypt.h>: output[384] + setting[384] +
# input[512] + reserved[767] + initialized[1] + internal[30720].
_CRYPT_DATA_SIZE = 32768
_CRYPT_OUTPUT_SIZE = 384
_CRYPT_GENSALT_OUTPUT_SIZE = 192


class Method(Enum):
    """Hash methods by their modular-crypt prefix, as /etc/login.defs names them."""

    YESCRYPT = "$y$"
    GOST_YESCRYPT = "$gy$"
    BCRYPT = "$2b$"
    SHA512 = "$6$"
    SHA256 = "$5$"
    MD5 = "$1$"

    @classmethod
    def of_hash(cls, hashed: str) -> Method | None:
        """The method of an existing hash, None for a scheme gosc does not write."""
        return next((m for m in cls if hashed.startswith(m.value)), None)

    @classmethod
    def of_login_defs(cls, name: str) -> Method | None:
        """``ENCRYPT_METHOD`` of /etc/login.defs (YESCRYPT, SHA512, ...)."""
        aliases = {"BLOWFISH": "BCRYPT", "BCRYPT": "BCRYPT", "GOST_YESCRYPT": "GOST_YESCRYPT"}
        key = aliases.get(name.strip().upper(), name.strip().upper())
        return cls.__members__.get(key)


class CryptUnavailable(RuntimeError):
    """The machine has no libxcrypt (or one without crypt_rn)."""


def _load(name: str) -> ctypes.CDLL:
    try:
        return ctypes.CDLL(name, use_errno=True)
    except OSError:
        found = ctypes.util.find_library("crypt")
        if found is None or found == name:
            raise
        return ctypes.CDLL(found, use_errno=True)


@cache
def _lib() -> ctypes.CDLL:
    # The soname first: find_library runs ldconfig/gcc, which in a live guest's agent
    # sandbox would be the guest's own programs.
    try:
        lib = _load("libcrypt.so.1")
        lib.crypt_rn.restype = ctypes.c_char_p
        lib.crypt_rn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
        lib.crypt_gensalt_rn.restype = ctypes.c_char_p
        lib.crypt_gensalt_rn.argtypes = [
            ctypes.c_char_p,
            ctypes.c_ulong,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
        ]
    except (OSError, AttributeError) as e:
        raise CryptUnavailable(f"libxcrypt (libcrypt.so.1 with crypt_rn) is not available: {e}") from None
    return lib


def crypt(phrase: str, setting: str) -> str | None:
    """crypt(3): the hash of ``phrase`` under ``setting`` (a full hash works as its own
    setting), or None when the setting names no method the library has or is malformed."""
    pw = phrase.encode("utf-8")
    if b"\0" in pw:
        return None
    data = ctypes.create_string_buffer(_CRYPT_DATA_SIZE)
    out: bytes | None = _lib().crypt_rn(pw, setting.encode("utf-8"), data, _CRYPT_DATA_SIZE)
    # libxcrypt answers a failure with NULL (crypt_rn) or a string starting with '*'.
    if not out or out.startswith(b"*"):
        return None
    return out.decode("ascii")


def gensalt(method: Method, rounds: int = 0) -> str:
    """A fresh setting for ``method`` with the library's default cost (rounds 0)."""
    out = ctypes.create_string_buffer(_CRYPT_GENSALT_OUTPUT_SIZE)
    result: bytes | None = _lib().crypt_gensalt_rn(
        method.value.encode(), rounds, None, 0, out, _CRYPT_GENSALT_OUTPUT_SIZE
    )
    if not result or result.startswith(b"*"):
        raise CryptUnavailable(f"libxcrypt cannot make a {method.name} setting")
    return result.decode("ascii")
