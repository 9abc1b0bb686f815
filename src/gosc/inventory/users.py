"""Users and their passwords (scrypt hashes only), and permissions as gosc keeps them.

A ``Permission`` names its entity by moId and its role by name; who holds it is the
``User`` it belongs to (users.toml's layer) or the ``principal`` of an API-made one
(authorization_manager.py keeps the two layers).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import Any

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


# A well-formed hash that no password matches (its digest is not scrypt's output for its salt).
NO_USER_HASH = "scrypt$" + base64.b64encode(b"gosc-no-such-usr").decode() + "$" + base64.b64encode(bytes(32)).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64), dklen=32, **_SCRYPT)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


@dataclass
class Permission:
    entity: str  # moId
    role: str
    propagate: bool = True


@dataclass
class User:
    name: str
    password_hash: str
    full_name: str = ""
    permissions: list[Permission] = field(default_factory=list)

    def to_doc(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "password_hash": self.password_hash,
            "full_name": self.full_name,
            "permissions": [vars(p) for p in self.permissions],
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> User:
        return cls(
            doc["name"],
            doc["password_hash"],
            doc.get("full_name", ""),
            [Permission(**p) for p in doc.get("permissions", [])],
        )
