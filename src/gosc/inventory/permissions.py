"""Permissions in two layers: users.toml's (kept on each ``User``, written again at every
start) and the API's (SetEntityPermissions / RemoveEntityPermission, kept in the store as
made, a removal as a tombstone).  The API's layer wins where both name one (entity,
principal): a change made through the API is never undone by a restart, and a start
whose users.toml says otherwise logs that it is shadowed (docs/decisions.md).
"""

from __future__ import annotations

import logging

from ..store import Store
from .users import Permission, User

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (entity moId, principal)


def _store_key(key: Key) -> str:
    return f"{key[0]}|{key[1]}"


class PermissionTable:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.api: dict[Key, Permission | None] = {}

    def load(self) -> None:
        for _, doc in self.store.load("permission"):
            key = (doc["entity"], doc["principal"])
            role = doc.get("role")
            self.api[key] = Permission(doc["entity"], role, doc.get("propagate", True)) if role else None

    def effective(self, user: User) -> list[Permission]:
        by_entity = {p.entity: p for p in user.permissions}
        for (entity, principal), perm in self.api.items():
            if principal != user.name:
                continue
            if perm is None:
                by_entity.pop(entity, None)
            else:
                by_entity[entity] = perm
        return list(by_entity.values())

    def set(self, principal: str, perm: Permission) -> None:
        key = (perm.entity, principal)
        self.api[key] = perm
        doc = {"entity": perm.entity, "principal": principal, "role": perm.role, "propagate": perm.propagate}
        self.store.put("permission", _store_key(key), doc)

    def remove(self, principal: str, entity: str) -> None:
        key = (entity, principal)
        self.api[key] = None
        self.store.put("permission", _store_key(key), {"entity": entity, "principal": principal, "role": None})

    def warn_shadowed(self, user: User) -> None:
        for perm in user.permissions:
            if (perm.entity, user.name) in self.api and self.api[(perm.entity, user.name)] != perm:
                log.warning(
                    "users.toml: %s's permission on %s was changed through the API; the API's is kept",
                    user.name,
                    perm.entity,
                )
