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

Roles and permissions can also be changed through the API (roles.py, permissions.py say
how those changes and users.toml combine: the API's change is kept over a restart).
"""

from __future__ import annotations

import logging
import secrets
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import types as T
from ..vim.faults import fault, invalid_argument, no_permission
from ..vim.names import check_name
from .base import CallContext, ManagedEntity, ManagedObject
from .login_policy import Lockout, LockoutPolicy, PasswordChecks, SessionPolicy, policy_from_toml
from .permissions import PermissionTable
from .privileges import catalogue, well_formed
from .roles import ALL as ALL  # re-exported: server/inject.py checks it
from .roles import FILE, Role, Roles
from .users import NO_USER_HASH, Permission, User, verify_password
from .users import hash_password as hash_password  # re-exported: the CLI and tests hash with it

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

ADMIN_USER = "administrator@vsphere.local"
AM = vim.AuthorizationManager
MODIFY_PERMISSIONS = "Authorization.ModifyPermissions"


log = logging.getLogger(__name__)


class AuthorizationManager(ManagedObject):
    vim_type = vim.AuthorizationManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "AuthorizationManager")
        self.users: dict[str, User] = {}
        self.roles = Roles(si.store)
        self.permissions = PermissionTable(si.store)
        self._effective: dict[str, list[Permission]] = {}
        self.password_checks = PasswordChecks(si.hooks)
        self.lockout = Lockout(si.store, si.clock)

    # ------------------------------------------------------------ configuration

    def load(self) -> None:
        self.lockout.load()
        self.roles.load()
        self.permissions.load()
        for _, doc in self.si.store.load("user"):
            user = User.from_doc(doc)
            self.users[user.name] = user
        self._changed()

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
        """Roles and users from a TOML file; users named there are replaced (their
        API-made permission changes stay: permissions.py)."""
        conf = tomllib.loads(path.read_text())
        self.lockout.policy = policy_from_toml(LockoutPolicy, conf.get("lockout", {}), "lockout")
        self.si.session_manager.policy = policy_from_toml(SessionPolicy, conf.get("sessions", {}), "sessions")
        for name, role in conf.get("roles", {}).items():
            self.roles.from_file(name, frozenset(role.get("privileges", [])))
        for entry in conf.get("users", []):
            perms = []
            if "role" in entry:
                perms.append(Permission(self.si.root_folder.moId, self._role(entry["role"])))
            for p in entry.get("permissions", []):
                target = self.si.search_index.resolve_path(p["entity"])
                if target is None:
                    # Renamed or destroyed through the API since the file was written: as on
                    # vCenter, a permission goes with its entity; the start goes on, loudly.
                    log.warning(
                        "%s: no inventory object at '%s': permission for %s skipped",
                        path,
                        p["entity"],
                        entry.get("name"),
                    )
                    continue
                perms.append(Permission(target.moId, self._role(p["role"]), p.get("propagate", True)))
            if "password_hash" not in entry:
                raise ValueError(f"{path}: user '{entry.get('name')}' needs password_hash (gosc hash-password)")
            user = User(entry["name"], entry["password_hash"], entry.get("full_name", ""), perms)
            self.permissions.warn_shadowed(user)
            self.save_user(user)

    def _role(self, name: str) -> str:
        if self.roles.get(name) is None:
            raise ValueError(f"unknown role '{name}'")
        return name

    def save_user(self, user: User) -> None:
        self.users[user.name] = user
        self.si.store.put("user", user.name, user.to_doc())
        self._changed()

    def _changed(self) -> None:
        self._effective = {name: self.permissions.effective(u) for name, u in self.users.items()}

    # ------------------------------------------------------------ checks

    async def authenticate(self, user_name: str, password: str) -> User | None:
        """The user, if the password is right and the user not locked (login_policy)."""
        user = self.users.get(user_name)
        # An unknown user costs the same hash as a real check, so names cannot be probed by timing.
        ok = await self.password_checks.run(verify_password, password, user.password_hash if user else NO_USER_HASH)
        if user is None:
            return None
        if self.lockout.locked(user.name):
            return None
        if not ok:
            self.lockout.failed(user.name)
            return None
        self.lockout.succeeded(user.name)
        return user

    def _governing(self, user_name: str, entity: ManagedEntity) -> Permission | None:
        """The permission that decides ``user_name``'s rights on ``entity``: the one on the
        nearest entity, as on vCenter (a permission that does not propagate decides only
        on its own entity)."""
        perms = self._effective.get(user_name)
        if not perms:
            return None
        for perm in perms:
            if perm.entity == entity.moId:
                return perm
        return _inherited(perms, entity.parent_obj)

    def holding(self, user_name: str, entities: list[ManagedEntity], privilege: str) -> list[ManagedEntity]:
        """The ``entities`` on which ``user_name`` holds ``privilege``, decided as
        ``has_privilege`` decides, with what each parent passes down found once: the
        100,000 VMs of a view sit in a few folders and hosts, so a few walks up, not
        100,000."""
        perms = self._effective.get(user_name)
        if user_name not in self.users or not perms:
            return []
        own: dict[str, Permission] = {}
        for defined in perms:
            own.setdefault(defined.entity, defined)  # the first, as _governing takes it
        passed_down: dict[str, Permission | None] = {}
        held: dict[str, bool] = {}  # per role
        out = []
        for entity in entities:
            perm = own.get(entity.moId)
            if perm is None and (parent := entity.parent_obj) is not None:
                if parent.moId not in passed_down:
                    passed_down[parent.moId] = _inherited(perms, parent)
                perm = passed_down[parent.moId]
            if perm is None:
                continue
            if perm.role not in held:
                held[perm.role] = self._grants(perm.role, privilege)
            if held[perm.role]:
                out.append(entity)
        return out

    def effective_roles(self, user_name: str, entity: ManagedEntity) -> list[int]:
        """ManagedEntity.effectiveRole: the id of the role the caller holds there."""
        perm = self._governing(user_name, entity)
        role = self.roles.get(perm.role) if perm else None
        return T.array(int, [role.role_id] if role else [])

    def permissions_on(self, entity: ManagedEntity) -> list[AM.Permission]:
        """ManagedEntity.permission: the permissions defined on the entity itself."""
        return T.array(AM.Permission, [p for p in self._all() if _entity_id(p) == entity.moId])

    def privileges_on(self, user: User, entity: ManagedEntity) -> frozenset[str]:
        perm = self._governing(user.name, entity)
        return self.roles.privileges(perm.role) if perm else frozenset()

    def has_privilege(self, user_name: str, entity: ManagedEntity, privilege: str) -> bool:
        user = self.users.get(user_name)
        if user is None:
            return False
        perm = self._governing(user.name, entity)
        return perm is not None and self._grants(perm.role, privilege)

    def _grants(self, role: str, privilege: str) -> bool:
        privs = self.roles.privileges(role)
        return ALL in privs or privilege in privs

    def check(self, ctx: CallContext, entity: ManagedObject, privilege: str) -> None:
        if not isinstance(entity, ManagedEntity):
            return
        if not self.has_privilege(ctx.user, entity, privilege):
            raise no_permission(entity.ref, privilege)

    # ------------------------------------------------------------ API: reading

    def _vim_role(self, role: Role) -> AM.Role:
        return AM.Role(
            roleId=role.role_id,
            system=role.system,
            name=role.name,
            info=vim.Description(label=role.name, summary=role.name),
            privilege=sorted(role.privileges),
        )

    def prop_roleList(self, ctx: CallContext) -> list[AM.Role]:
        return T.array(
            AM.Role, [self._vim_role(r) for r in sorted(self.roles.by_name.values(), key=lambda r: r.role_id)]
        )

    def prop_privilegeList(self, ctx: CallContext) -> list[AM.Privilege]:
        return T.array(
            AM.Privilege,
            [
                AM.Privilege(privId=p, onParent=False, name=p.rpartition(".")[2], privGroupName=p.rpartition(".")[0])
                for p in sorted(catalogue())
            ],
        )

    def _vim_permission(self, principal: str, perm: Permission) -> AM.Permission | None:
        role = self.roles.get(perm.role)
        entity = self.si.entities.get(perm.entity)
        if role is None or entity is None:
            return None  # its role was removed, or its entity: it grants nothing
        return AM.Permission(
            entity=entity.ref, principal=principal, group=False, roleId=role.role_id, propagate=perm.propagate
        )

    def _all(self) -> list[AM.Permission]:
        out = []
        for name, perms in sorted(self._effective.items()):
            out += [p for perm in perms if (p := self._vim_permission(name, perm)) is not None]
        return out

    def RetrieveAllPermissions(self, ctx: CallContext) -> list[AM.Permission]:
        return T.array(AM.Permission, self._all())

    def RetrieveEntityPermissions(
        self, ctx: CallContext, entity: vim.ManagedEntity, inherited: bool
    ) -> list[AM.Permission]:
        target = self._entity(entity)
        ctx.check(target, "System.Read")
        chain = [target.moId] + ([a.moId for a in target.ancestors()] if inherited else [])
        found = [(moid, p) for p in self._all() if (moid := _entity_id(p)) in chain]
        # The entity's own first, then its ancestors' that reach it, nearest first.
        found = [(m, p) for m, p in found if m == target.moId or p.propagate]
        found.sort(key=lambda mp: chain.index(mp[0]))
        return T.array(AM.Permission, [p for _, p in found])

    def RetrieveRolePermissions(self, ctx: CallContext, roleId: int) -> list[AM.Permission]:
        role = self._role_by_id(roleId)
        return T.array(AM.Permission, [p for p in self._all() if p.roleId == role.role_id])

    def HasPrivilegeOnEntities(
        self, ctx: CallContext, entity: list[vim.ManagedEntity], sessionId: str, privId: list[str] | None = None
    ) -> list[AM.EntityPrivilege]:
        session = next((s for s in self.si.session_manager.sessions.values() if s.key == sessionId), None)
        if session is None:
            raise fault(vim.fault.NotFound, f"No session has the id '{sessionId}'.")
        return self._entity_privileges(session.userName, entity, privId or [])

    def _entity_privileges(
        self, user_name: str, entities: list[vim.ManagedEntity], privileges: list[str]
    ) -> list[AM.EntityPrivilege]:
        """Whether ``user_name`` holds each privilege on each entity (Has*PrivilegeOnEntities)."""
        return T.array(
            AM.EntityPrivilege,
            [
                AM.EntityPrivilege(
                    entity=t.ref,
                    privAvailability=[
                        AM.PrivilegeAvailability(privId=p, isGranted=self.has_privilege(user_name, t, p))
                        for p in privileges
                    ],
                )
                for t in (self._entity(e) for e in entities)
            ],
        )

    def HasPrivilegeOnEntity(
        self, ctx: CallContext, entity: vim.ManagedEntity, sessionId: str, privId: list[str] | None = None
    ) -> list[bool]:
        (answer,) = self.HasPrivilegeOnEntities(ctx, [entity], sessionId, privId)
        return [bool(p.isGranted) for p in answer.privAvailability]

    def HasUserPrivilegeOnEntities(
        self, ctx: CallContext, entities: list[vim.ManagedEntity], userName: str, privId: list[str] | None = None
    ) -> list[AM.EntityPrivilege]:
        user = self._user(userName)
        return self._entity_privileges(user.name, entities, privId or [])

    def FetchUserPrivilegeOnEntities(
        self, ctx: CallContext, entities: list[vim.ManagedEntity], userName: str
    ) -> list[AM.UserPrivilegeResult]:
        user = self._user(userName)
        out = []
        for ref in entities:
            target = self._entity(ref)
            privs = self.privileges_on(user, target)
            names = catalogue() if ALL in privs else privs
            out.append(AM.UserPrivilegeResult(entity=target.ref, privileges=sorted(names)))
        return T.array(AM.UserPrivilegeResult, out)

    # ------------------------------------------------------------ API: changing permissions

    def SetEntityPermissions(
        self, ctx: CallContext, entity: vim.ManagedEntity, permission: list[AM.Permission] | None = None
    ) -> None:
        target = self._entity(entity)
        ctx.check(target, MODIFY_PERMISSIONS)
        changes: list[tuple[str, Permission]] = []
        for i, p in enumerate(permission or []):
            if p.group:
                raise self._user_not_found(p.principal, f"gosc has no groups: '{p.principal}' (permission[{i}])")
            user = self._user(p.principal)
            role = self._role_by_id(p.roleId)
            changes.append((user.name, Permission(target.moId, role.name, bool(p.propagate))))

        def apply() -> None:
            for name, perm in changes:
                self.permissions.set(name, perm)

        self._guard_admin(apply)

    def RemoveEntityPermission(self, ctx: CallContext, entity: vim.ManagedEntity, user: str, isGroup: bool) -> None:
        target = self._entity(entity)
        ctx.check(target, MODIFY_PERMISSIONS)
        if isGroup or not any(p.entity == target.moId for p in self._effective.get(user, [])):
            raise fault(vim.fault.NotFound, f"{user} holds no permission on {target.name} ({target.moId}).")
        self._guard_admin(lambda: self.permissions.remove(user, target.moId))

    def _guard_admin(self, change: Callable[[], None]) -> None:
        """Make a change (already checked) unless it leaves nobody with Admin on the root folder."""
        saved = dict(self.permissions.api)
        change()
        self._changed()
        root = self.si.root_folder
        if not any(ALL in self.privileges_on(u, root) for u in self.users.values()):
            # Undo in the store too: put back what each key held before.
            for key in set(self.permissions.api) - set(saved):
                self.si.store.delete("permission", f"{key[0]}|{key[1]}")
                del self.permissions.api[key]
            for key, perm in saved.items():
                if perm is None:
                    self.permissions.remove(key[1], key[0])
                else:
                    self.permissions.set(key[1], perm)
            self._changed()
            raise fault(
                vim.fault.AuthMinimumAdminPermission,
                "The change would leave no user with the Admin role on the root folder.",
            )
        self.si.notify(self, None)

    # ------------------------------------------------------------ API: roles

    def AddAuthorizationRole(self, ctx: CallContext, name: str, privIds: list[str] | None = None) -> int:
        self._check_role_name(name, "name")
        if self.roles.get(name) is not None:
            raise fault(vim.fault.AlreadyExists, f"A role named '{name}' already exists.", name=name)
        role = self.roles.add(name, self._privileges(privIds))
        self.si.notify(self, "roleList")
        return role.role_id

    def UpdateAuthorizationRole(
        self, ctx: CallContext, roleId: int, newName: str, privIds: list[str] | None = None
    ) -> None:
        role = self._changeable(roleId)
        self._check_role_name(newName, "newName")
        if newName != role.name:
            if self.roles.get(newName) is not None:
                raise fault(vim.fault.AlreadyExists, f"A role named '{newName}' already exists.", name=newName)
            if role.origin == FILE:
                raise invalid_argument("newName", f"role '{role.name}' is defined in users.toml; rename it there")
        privileges = self._privileges(privIds)
        old_name = role.name
        self.roles.update(role, newName, privileges)
        if newName != old_name:
            for (entity, principal), perm in list(self.permissions.api.items()):
                if perm is not None and perm.role == old_name:
                    self.permissions.set(principal, Permission(entity, newName, perm.propagate))
        self._changed()
        self.si.notify(self, "roleList")

    def RemoveAuthorizationRole(self, ctx: CallContext, roleId: int, failIfUsed: bool) -> None:
        role = self._changeable(roleId)
        if role.origin == FILE:
            raise invalid_argument("roleId", f"role '{role.name}' is defined in users.toml; remove it there")
        users = sorted(n for n, perms in self._effective.items() if any(p.role == role.name for p in perms))
        if users and failIfUsed:
            raise fault(
                vim.fault.RemoveFailed,
                f"Role '{role.name}' is used by permissions of {', '.join(users)}.",
            )
        for (entity, principal), perm in list(self.permissions.api.items()):
            if perm is not None and perm.role == role.name:
                self.permissions.remove(principal, entity)
        self.roles.remove(role)
        self._changed()
        self.si.notify(self, "roleList")

    # ------------------------------------------------------------ argument checks

    def _entity(self, ref: vim.ManagedEntity) -> ManagedEntity:
        target = self.si.entities.get(ref._moId)
        if target is None:
            raise fault(vim.fault.NotFound, f"No entity has the id '{ref._moId}'.")
        return target

    def _user(self, name: str) -> User:
        user = self.users.get(name)
        if user is None:
            raise self._user_not_found(name, f"No user is named '{name}'.")
        return user

    @staticmethod
    def _user_not_found(name: str, message: str) -> vim.fault.UserNotFound:
        return fault(vim.fault.UserNotFound, message, principal=name, unresolved=True)

    def _role_by_id(self, role_id: int) -> Role:
        role = self.roles.by_id(role_id)
        if role is None:
            raise fault(vim.fault.NotFound, f"No role has the id {role_id}.")
        return role

    def _changeable(self, role_id: int) -> Role:
        role = self._role_by_id(role_id)
        if role.system:
            raise invalid_argument("roleId", f"'{role.name}' is a system role and cannot be changed")
        return role

    @staticmethod
    def _check_role_name(name: str, path: str) -> None:
        try:
            check_name(name, path)
        except Exception:
            raise fault(vim.fault.InvalidName, f"'{name}' is not a valid role name.", name=name) from None

    @staticmethod
    def _privileges(priv_ids: list[str] | None) -> frozenset[str]:
        for i, p in enumerate(priv_ids or []):
            if not well_formed(p):
                raise invalid_argument(f"privIds[{i}]", f"'{p}' is not a privilege id")
        return frozenset(priv_ids or [])


def _inherited(perms: list[Permission], node: ManagedEntity | None) -> Permission | None:
    """The permission ``node`` and its ancestors pass down: the first that propagates on
    the nearest of them.  Walked in place (no list of ancestors): this runs for objects
    a property collector returns, up to 100,000 times to list a big inventory."""
    while node is not None:
        moid = node.moId
        for perm in perms:
            if perm.entity == moid and perm.propagate:
                return perm
        node = node.parent_obj
    return None


def _entity_id(p: AM.Permission) -> str:
    entity: T.ManagedObject | None = p.entity  # always set on the permissions _all makes
    return entity._moId if entity is not None else ""
