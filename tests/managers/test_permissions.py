"""AuthorizationManager through pyVmomi: roles and permissions round trip, faults as
vCenter gives them, the Viewer refused, and API changes kept over a restart on top of
users.toml."""

from __future__ import annotations

import pytest
from pyVmomi import vim, vmodl

from tests.conftest import CLONER_USER, LIMITED_USER
from tests.support.server import ADMIN, GoscServer

from .conftest import connect, find_vm

AM = vim.AuthorizationManager


def role_id(si: vim.ServiceInstance, name: str) -> int:
    return next(r.roleId for r in si.content.authorizationManager.roleList if r.name == name)


def test_system_roles_and_privileges(si: vim.ServiceInstance) -> None:
    am = si.content.authorizationManager
    roles = {r.name: r for r in am.roleList}
    assert {n: roles[n].roleId for n in ("Admin", "ReadOnly", "View", "Anonymous", "NoAccess")} == {
        "Admin": -1,
        "ReadOnly": -2,
        "View": -3,
        "Anonymous": -4,
        "NoAccess": -5,
    }
    assert roles["Admin"].system and not roles["Viewer"].system
    assert "VirtualMachine.Provisioning.Customize" in {p.privId for p in am.privilegeList}


def test_entity_permissions_inherited_and_own(si: vim.ServiceInstance) -> None:
    am = si.content.authorizationManager
    vm = find_vm(si, "demo-ubuntu")
    own = am.RetrieveEntityPermissions(vm, False)
    assert [(p.principal, p.roleId) for p in own] == [(CLONER_USER, role_id(si, "NoAccess"))]
    inherited = am.RetrieveEntityPermissions(vm, True)
    assert (ADMIN, -1) in {(p.principal, p.roleId) for p in inherited}
    assert any(p.principal == LIMITED_USER for p in am.RetrieveAllPermissions())


def test_roles_and_permissions_round_trip(si: vim.ServiceInstance, viewer: vim.ServiceInstance) -> None:
    am = si.content.authorizationManager
    rid = am.AddAuthorizationRole("Operators", ["VirtualMachine.Interact.PowerOn"])
    with pytest.raises(vim.fault.AlreadyExists):
        am.AddAuthorizationRole("Operators", [])
    with pytest.raises(vmodl.fault.InvalidArgument):
        am.AddAuthorizationRole("Bad", ["not a privilege"])
    vm = find_vm(si, "demo-debian")
    perm = AM.Permission(entity=vm, principal=LIMITED_USER, group=False, roleId=rid, propagate=True)
    am.SetEntityPermissions(vm, [perm])
    assert [(p.principal, p.roleId) for p in am.RetrieveEntityPermissions(vm, False)] == [(LIMITED_USER, rid)]
    (granted,) = am.HasPrivilegeOnEntities(
        [vm],
        viewer.content.sessionManager.currentSession.key,
        ["VirtualMachine.Interact.PowerOn", "VirtualMachine.Interact.PowerOff"],
    )
    assert [(a.privId, a.isGranted) for a in granted.privAvailability] == [
        ("VirtualMachine.Interact.PowerOn", True),
        ("VirtualMachine.Interact.PowerOff", False),
    ]
    assert am.HasPrivilegeOnEntity(
        vm, viewer.content.sessionManager.currentSession.key, ["VirtualMachine.Interact.PowerOff", "System.View"]
    ) == [False, True]
    (by_user,) = am.HasUserPrivilegeOnEntities([vm], LIMITED_USER, ["VirtualMachine.Interact.PowerOn"])
    assert by_user.entity == vm and [(a.privId, a.isGranted) for a in by_user.privAvailability] == [
        ("VirtualMachine.Interact.PowerOn", True)
    ]
    with pytest.raises(vim.fault.UserNotFound):
        am.HasUserPrivilegeOnEntities([vm], "nobody@x", ["System.View"])
    (privs,) = am.FetchUserPrivilegeOnEntities([vm], LIMITED_USER)
    assert "VirtualMachine.Interact.PowerOn" in privs.privileges
    with pytest.raises(vim.fault.RemoveFailed):
        am.RemoveAuthorizationRole(rid, True)
    am.UpdateAuthorizationRole(rid, "Operators2", ["VirtualMachine.Interact.PowerOff"])
    assert role_id(si, "Operators2") == rid
    (privs,) = am.FetchUserPrivilegeOnEntities([vm], LIMITED_USER)
    assert "VirtualMachine.Interact.PowerOff" in privs.privileges
    am.RemoveEntityPermission(vm, LIMITED_USER, False)
    assert am.RetrieveEntityPermissions(vm, False) == []
    with pytest.raises(vim.fault.NotFound):
        am.RemoveEntityPermission(vm, LIMITED_USER, False)
    am.RemoveAuthorizationRole(rid, True)
    with pytest.raises(vim.fault.NotFound):
        am.RemoveAuthorizationRole(rid, True)


def test_faults_as_vcenter_gives_them(si: vim.ServiceInstance) -> None:
    am = si.content.authorizationManager
    root = si.content.rootFolder
    with pytest.raises(vim.fault.UserNotFound):
        am.SetEntityPermissions(
            root, [AM.Permission(entity=root, principal="nobody@x", group=False, roleId=-2, propagate=True)]
        )
    with pytest.raises(vim.fault.UserNotFound):
        am.SetEntityPermissions(
            root, [AM.Permission(entity=root, principal="admins", group=True, roleId=-2, propagate=True)]
        )
    with pytest.raises(vim.fault.NotFound):
        am.SetEntityPermissions(
            root, [AM.Permission(entity=root, principal=LIMITED_USER, group=False, roleId=4242, propagate=True)]
        )
    with pytest.raises(vim.fault.AuthMinimumAdminPermission):
        am.RemoveEntityPermission(root, ADMIN, False)
    with pytest.raises(vmodl.fault.InvalidArgument):
        am.RemoveAuthorizationRole(-1, False)
    with pytest.raises(vmodl.fault.InvalidArgument):  # defined in users.toml
        am.UpdateAuthorizationRole(role_id(si, "Viewer"), "Renamed", ["System.View"])
    assert ADMIN in {p.principal for p in am.RetrieveEntityPermissions(root, False)}


def test_viewer_may_read_but_not_change(viewer: vim.ServiceInstance) -> None:
    am = viewer.content.authorizationManager
    root = viewer.content.rootFolder
    assert am.RetrieveEntityPermissions(root, False)
    with pytest.raises(vim.fault.NoPermission):
        am.AddAuthorizationRole("Mine", [])
    with pytest.raises(vim.fault.NoPermission):
        am.SetEntityPermissions(
            root, [AM.Permission(entity=root, principal=LIMITED_USER, group=False, roleId=-1, propagate=True)]
        )
    with pytest.raises(vim.fault.NoPermission):
        am.RemoveEntityPermission(root, LIMITED_USER, False)


def test_api_changes_survive_a_restart_over_users_toml(server: GoscServer) -> None:
    si = connect(server)
    am = si.content.authorizationManager
    rid = am.AddAuthorizationRole("Kept", ["VirtualMachine.Interact.PowerOn"])
    root = si.content.rootFolder
    # The Viewer's root permission comes from users.toml; the API changes it to Kept.
    am.SetEntityPermissions(
        root, [AM.Permission(entity=root, principal=LIMITED_USER, group=False, roleId=rid, propagate=True)]
    )
    vm = find_vm(si, "demo-ubuntu")
    am.RemoveEntityPermission(vm, CLONER_USER, False)  # users.toml's NoAccess
    server.stop()
    server.start()  # users.toml is applied again
    si = connect(server)
    am = si.content.authorizationManager
    assert role_id(si, "Kept") == rid
    assert [
        (p.principal, p.roleId) for p in am.RetrieveEntityPermissions(root, False) if p.principal == LIMITED_USER
    ] == [(LIMITED_USER, rid)]
    assert am.RetrieveEntityPermissions(find_vm(si, "demo-ubuntu"), False) == []
    assert "shadowed" in server.log() or "changed through the API" in server.log()
