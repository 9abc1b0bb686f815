"""Users, roles, permissions and the privilege check.

Users and roles come from a TOML file (``users.toml`` in the data directory or
``--users``) and are kept in the store; only password hashes are ever stored.

    [roles.Customizer]
    privileges = ["VirtualMachine.Provisioning.Customize"]

    [[users]]
    name = "ops@vsphere.local"
    password_hash = "scrypt$..."        # gosc hash-password prints one
    role = "Customizer"                  # global permission on the root folder
    # or per entity, by inventory path, propagating to children:
    # permissions = [{ entity = "/DC0/vm/demo-ubuntu", role = "Admin" }]

A permission on an entity applies to it and, with ``propagate`` (the default), to
everything below it, as on vCenter.  ``[lockout]`` and ``[sessions]`` set the login
policies (login_policy.py); who may read what is access.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim.faults import no_permission
from .base import CallContext, ManagedEntity, ManagedObject
from .login_policy import Lockout, LockoutPolicy, PasswordChecks, SessionPolicy, policy_from_toml

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

ADMIN_USER = "administrator@vsphere.local"
ALL = "*"

# vCenter's system roles (ids as vCenter numbers them).
SYSTEM_ROLES: dict[str, tuple[int, frozenset[str]]] = {
    "Admin": (-1, frozenset({ALL})),
    "ReadOnly": (-2, frozenset({"System.Anonymous", "System.View", "System.Read"})),
    "NoAccess": (-5, frozenset()),
}

# vCenter puts these into every role a user defines (only NoAccess lacks them): whoever
# holds any permission on an entity may see it and read its properties.
ROLE_BASE_PRIVILEGES = frozenset({"System.Anonymous", "System.View", "System.Read"})

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


# A well-formed hash that no password matches (its digest is not scrypt's output for its salt).
_NO_USER_HASH = "scrypt$" + base64.b64encode(b"gosc-no-such-usr").decode() + "$" + base64.b64encode(bytes(32)).decode()


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


class AuthorizationManager(ManagedObject):
    vim_type = vim.AuthorizationManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "AuthorizationManager")
        self.users: dict[str, User] = {}
        self.roles: dict[str, frozenset[str]] = {name: privs for name, (_, privs) in SYSTEM_ROLES.items()}
        self.password_checks = PasswordChecks(si.hooks)
        self.lockout = Lockout(si.store, si.clock)

    # ------------------------------------------------------------ configuration

    def load(self) -> None:
        self.lockout.load()
        for _, doc in self.si.store.load("role"):
            self.roles[doc["name"]] = frozenset(doc["privileges"]) | ROLE_BASE_PRIVILEGES
        for _, doc in self.si.store.load("user"):
            user = User.from_doc(doc)
            self.users[user.name] = user

    def ensure_admin(self, env_password: str | None) -> str | None:
        """Create or update the initial admin; return a generated password to print once."""
        generated = None
        user = self.users.get(ADMIN_USER)
        if env_password:
            if user is None or not verify_password(env_password, user.password_hash):
                user = User(ADMIN_USER, hash_password(env_password), "Administrator")
        elif user is None:
            generated = secrets.token_urlsafe(12)
            user = User(ADMIN_USER, hash_password(generated), "Administrator")
        user.permissions = [Permission(self.si.root_folder.moId, "Admin")]
        self.save_user(user)
        return generated

    def apply_config(self, path: Path) -> None:
        """Roles and users from a TOML file; users named there are replaced."""
        conf = tomllib.loads(path.read_text())
        self.lockout.policy = policy_from_toml(LockoutPolicy, conf.get("lockout", {}), "lockout")
        self.si.session_manager.policy = policy_from_toml(SessionPolicy, conf.get("sessions", {}), "sessions")
        for name, role in conf.get("roles", {}).items():
            privs = frozenset(role.get("privileges", [])) | ROLE_BASE_PRIVILEGES
            self.roles[name] = privs
            self.si.store.put("role", name, {"name": name, "privileges": sorted(privs)})
        for entry in conf.get("users", []):
            perms = []
            if "role" in entry:
                perms.append(Permission(self.si.root_folder.moId, self._role(entry["role"])))
            for p in entry.get("permissions", []):
                target = self.si.search_index.resolve_path(p["entity"])
                if target is None:
                    raise ValueError(f"{path}: no inventory object at '{p['entity']}'")
                perms.append(Permission(target.moId, self._role(p["role"]), p.get("propagate", True)))
            if "password_hash" not in entry:
                raise ValueError(f"{path}: user '{entry.get('name')}' needs password_hash (gosc hash-password)")
            self.save_user(User(entry["name"], entry["password_hash"], entry.get("full_name", ""), perms))

    def _role(self, name: str) -> str:
        if name not in self.roles:
            raise ValueError(f"unknown role '{name}'")
        return name

    def save_user(self, user: User) -> None:
        self.users[user.name] = user
        self.si.store.put("user", user.name, user.to_doc())

    # ------------------------------------------------------------ checks

    async def authenticate(self, user_name: str, password: str) -> User | None:
        """The user, if the password is right and the user not locked (login_policy)."""
        user = self.users.get(user_name)
        # An unknown user costs the same hash as a real check, so names cannot be probed by timing.
        ok = await self.password_checks.run(verify_password, password, user.password_hash if user else _NO_USER_HASH)
        if user is None:
            return None
        if self.lockout.locked(user.name):
            return None
        if not ok:
            self.lockout.failed(user.name)
            return None
        self.lockout.succeeded(user.name)
        return user

    def privileges_on(self, user: User, entity: ManagedEntity) -> frozenset[str]:
        # The permission on the nearest entity wins, as on vCenter.
        chain = [entity, *entity.ancestors()]
        for depth, node in enumerate(chain):
            for perm in user.permissions:
                if perm.entity == node.moId and (depth == 0 or perm.propagate):
                    return self.roles.get(perm.role, frozenset())
        return frozenset()

    def has_privilege(self, user_name: str, entity: ManagedEntity, privilege: str) -> bool:
        user = self.users.get(user_name)
        if user is None:
            return False
        privs = self.privileges_on(user, entity)
        return ALL in privs or privilege in privs

    def check(self, ctx: CallContext, entity: ManagedObject, privilege: str) -> None:
        if not isinstance(entity, ManagedEntity):
            return
        if not self.has_privilege(ctx.user, entity, privilege):
            raise no_permission(entity.ref, privilege)

    def prop_roleList(self, ctx: CallContext) -> list[Any]:
        return [
            vim.AuthorizationManager.Role(
                roleId=SYSTEM_ROLES.get(name, (1000 + i, None))[0],
                system=name in SYSTEM_ROLES,
                name=name,
                info=vim.Description(label=name, summary=name),
                privilege=sorted(privs),
            )
            for i, (name, privs) in enumerate(sorted(self.roles.items()))
        ]
