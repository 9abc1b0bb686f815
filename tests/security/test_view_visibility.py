"""A view's members are decided in one pass (AuthorizationManager.holding, with what each
parent passes down found once); a direct read decides per object (has_privilege).  Both
must give the same answer for every VM, whatever the permissions above it: propagating,
not propagating, overridden on a folder between, or on the VM itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from gosc.inventory.authorization_manager import hash_password
from tests.inventory.support import find, task_result
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer

PASSWORD = "Layered-Pass-1!"
USER = "layered@vsphere.local"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoscServer]:
    data = tmp_path_factory.mktemp("view-visibility") / "data"
    data.mkdir(parents=True)
    (data / "users.toml").write_text(f"""
[[users]]
name = "{USER}"
password_hash = "{hash_password(PASSWORD)}"
""")
    s = GoscServer(data, extra_args=["--demo-vms", "12", "--demo-hosts", "2"]).start()
    try:
        yield s
    finally:
        s.stop()


def connect(server: GoscServer, user: str, password: str) -> Any:
    return SmartConnect(host="127.0.0.1", port=server.port, user=user, pwd=password, disableSslCertValidation=True)


def permission(entity: Any, role: str, content: Any, propagate: bool) -> Any:
    role_id = next(r.roleId for r in content.authorizationManager.roleList if r.name == role)
    return vim.AuthorizationManager.Permission(
        entity=entity, principal=USER, group=False, roleId=role_id, propagate=propagate
    )


def test_a_view_shows_exactly_the_vms_a_direct_read_may_read(server: GoscServer) -> None:
    admin = connect(server, ADMIN, ADMIN_PASSWORD)
    try:
        content = admin.RetrieveContent()
        vm_folder = find(admin, "DC0/vm")
        vms = {vm.name: vm for vm in vm_folder.childEntity if isinstance(vm, vim.VirtualMachine)}
        names = sorted(n for n in vms if n.startswith("DC0_H"))
        assert len(names) >= 12, names
        outer = vm_folder.CreateFolder("outer")
        inner = outer.CreateFolder("inner")
        task_result(outer.MoveIntoFolder_Task([vms[n] for n in names[0:4]]))
        task_result(inner.MoveIntoFolder_Task([vms[n] for n in names[4:8]]))
        am = content.authorizationManager
        # ReadOnly from "outer" down; "inner" itself NoAccess, not passed down (its VMs
        # still inherit ReadOnly from "outer"); one VM in "inner" NoAccess; one VM left in
        # DC0/vm ReadOnly on itself alone; the datacenter ReadOnly without propagation.
        am.SetEntityPermissions(outer, [permission(outer, "ReadOnly", content, True)])
        am.SetEntityPermissions(inner, [permission(inner, "NoAccess", content, False)])
        am.SetEntityPermissions(vms[names[5]], [permission(vms[names[5]], "NoAccess", content, True)])
        am.SetEntityPermissions(vms[names[9]], [permission(vms[names[9]], "ReadOnly", content, False)])
        dc = find(admin, "DC0")
        am.SetEntityPermissions(dc, [permission(dc, "ReadOnly", content, False)])
        every_vm = {vm._moId: vm.name for vm in vms.values()}
    finally:
        Disconnect(admin)

    expected = {names[i] for i in (0, 1, 2, 3, 4, 6, 7, 9)}
    si = connect(server, USER, PASSWORD)
    try:
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        shown = {every_vm[ref._moId] for ref in view.view}
        readable = set()
        for moid, name in every_vm.items():
            try:
                vim.VirtualMachine(moid, si._stub).name  # noqa: B018  # a direct read, decided per object
            except vim.fault.NoPermission:
                continue
            readable.add(name)
        assert readable == expected
        assert shown == expected
        # A property collector's traversal of the view leaves out the same VMs.
        PC = vmodl.query.PropertyCollector
        spec = PC.FilterSpec(
            objectSet=[
                PC.ObjectSpec(
                    obj=view,
                    skip=True,
                    selectSet=[PC.TraversalSpec(name="v", type=vim.view.ContainerView, path="view")],
                )
            ],
            propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])],
        )
        collected = {o.propSet[0].val for o in content.propertyCollector.RetrieveContents([spec])}
        assert collected == expected
        view.DestroyView()
        assert content.viewManager.viewList == []
    finally:
        Disconnect(si)
