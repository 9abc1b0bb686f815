"""Roles: vCenter's system roles, users.toml's roles and the roles made through the API.

Each role has a stable id (system roles as vCenter numbers them, others from 1000 on,
kept in the store) and an origin: ``file`` (users.toml, applied again at every start) or
``api`` (AddAuthorizationRole/UpdateAuthorizationRole, kept as made).  A role the API
changed stays as the API left it even when users.toml names it too: the start logs a
warning that the file's definition is shadowed (docs/decisions.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..store import Store

log = logging.getLogger(__name__)

ALL = "*"
FILE, API = "file", "api"

# vCenter's system roles (ids as vCenter numbers them).
SYSTEM_ROLES: dict[str, tuple[int, frozenset[str]]] = {
    "Admin": (-1, frozenset({ALL})),
    "ReadOnly": (-2, frozenset({"System.Anonymous", "System.View", "System.Read"})),
    "View": (-3, frozenset({"System.Anonymous", "System.View"})),
    "Anonymous": (-4, frozenset({"System.Anonymous"})),
    "NoAccess": (-5, frozenset()),
}

# vCenter puts these into every role a user defines (only NoAccess lacks them): whoever
# holds any permission on an entity may see it and read its properties.
ROLE_BASE_PRIVILEGES = frozenset({"System.Anonymous", "System.View", "System.Read"})
FIRST_ROLE_ID = 1000


@dataclass
class Role:
    name: str
    role_id: int
    privileges: frozenset[str]
    origin: str  # "system", FILE or API

    @property
    def system(self) -> bool:
        return self.origin == "system"

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "roleId": self.role_id, "privileges": sorted(self.privileges), "origin": self.origin}


class Roles:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.by_name: dict[str, Role] = {
            name: Role(name, rid, privs, "system") for name, (rid, privs) in SYSTEM_ROLES.items()
        }

    def load(self) -> None:
        for _, doc in self.store.load("role"):
            # Stores older than role ids and origins: a role came from users.toml.
            role_id = doc.get("roleId") or self._new_id()
            role = Role(doc["name"], role_id, frozenset(doc["privileges"]), doc.get("origin", FILE))
            self.by_name[role.name] = role
            if "roleId" not in doc:
                self.save(role)

    def _new_id(self) -> int:
        return FIRST_ROLE_ID + self.store.next_id("roleId")

    def save(self, role: Role) -> None:
        self.store.put("role", role.name, role.to_doc())

    def get(self, name: str) -> Role | None:
        return self.by_name.get(name)

    def by_id(self, role_id: int) -> Role | None:
        return next((r for r in self.by_name.values() if r.role_id == role_id), None)

    def privileges(self, name: str) -> frozenset[str]:
        role = self.by_name.get(name)
        return role.privileges if role else frozenset()

    def from_file(self, name: str, privileges: frozenset[str]) -> None:
        """A role users.toml defines; an API-made role of that name stays."""
        old = self.by_name.get(name)
        privs = privileges | ROLE_BASE_PRIVILEGES
        if old is not None and old.system:
            raise ValueError(f"role '{name}' is a system role and cannot be redefined")
        if old is not None and old.origin == API:
            if old.privileges != privs:
                log.warning("users.toml: role '%s' was changed through the API; the API's definition is kept", name)
            return
        role = Role(name, old.role_id if old else self._new_id(), privs, FILE)
        self.by_name[name] = role
        self.save(role)

    def add(self, name: str, privileges: frozenset[str]) -> Role:
        role = Role(name, self._new_id(), privileges | ROLE_BASE_PRIVILEGES, API)
        self.by_name[name] = role
        self.save(role)
        return role

    def update(self, role: Role, name: str, privileges: frozenset[str]) -> None:
        if name != role.name:
            del self.by_name[role.name]
            self.store.delete("role", role.name)
        role.name, role.privileges, role.origin = name, privileges | ROLE_BASE_PRIVILEGES, API
        self.by_name[name] = role
        self.save(role)

    def remove(self, role: Role) -> None:
        del self.by_name[role.name]
        self.store.delete("role", role.name)
