"""Every read path answers one authorization rule, identically over VI/JSON and SOAP.

Four users (users.toml below) x every way to read a property: a direct read of what the
caller may not read is NoPermission with the privilege; a collection leaves it out.
Each read is made over VI/JSON (httpx) and SOAP (pyVmomi 9.1.1.0, which reads properties
with ``Fetch``), reduced to the same plain answer, and the two must be equal and as
vCenter gives them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import VmomiSupport, vim, vmodl

from gosc.inventory.authorization_manager import hash_password
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer
from tests.support.vijson import ViClient, ViFault, moref

PASSWORD = "Matrix-Pass-1!"
FENCED_VM = "demo-notools"  # NoAccess for "fenced"; nothing for "customizer"
OWN_VM = "demo-debian"  # "customizer" holds only VirtualMachine.Provisioning.Customize here
READER, FENCED, CUSTOMIZER = "reader@vsphere.local", "fenced@vsphere.local", "customizer@vsphere.local"
USERS = {ADMIN: ADMIN_PASSWORD, READER: PASSWORD, FENCED: PASSWORD, CUSTOMIZER: PASSWORD}


def write_matrix_users(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    h = hash_password(PASSWORD)
    (data_dir / "users.toml").write_text(f"""
[roles.Operator]
privileges = ["VirtualMachine.Interact.PowerOn", "VirtualMachine.Interact.PowerOff"]

[roles.CustomizeOnly]
privileges = ["VirtualMachine.Provisioning.Customize"]

[[users]]
name = "{READER}"
password_hash = "{h}"
role = "ReadOnly"

[[users]]
name = "{FENCED}"
password_hash = "{h}"
role = "Operator"
permissions = [{{ entity = "/DC0/vm/{FENCED_VM}", role = "NoAccess" }}]

[[users]]
name = "{CUSTOMIZER}"
password_hash = "{h}"
permissions = [{{ entity = "/DC0/vm/{OWN_VM}", role = "CustomizeOnly" }}]
""")


@dataclass
class Caller:
    vi: ViClient
    si: Any  # pyVmomi ServiceInstance

    @property
    def content(self) -> Any:
        return self.si.RetrieveContent()


@dataclass
class World:
    server: GoscServer
    callers: dict[str, Caller]
    fenced_vm: str
    own_vm: str
    admin_tasks: list[str]  # on FENCED_VM
    admin_own_tasks: list[str]  # on OWN_VM
    customizer_task: str  # on OWN_VM
    until: str  # events up to this time (ISO), so that later logins do not change the answer


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = tmp_path_factory.mktemp("authz") / "data"
    write_matrix_users(data)
    server = GoscServer(data).start()
    callers: dict[str, Caller] = {}
    try:
        for user, password in USERS.items():
            vi = ViClient(server.url)
            vi.login(user, password)
            si = SmartConnect(
                host="127.0.0.1", port=server.port, user=user, pwd=password, disableSslCertValidation=True
            )
            callers[user] = Caller(vi, si)
        admin = callers[ADMIN].vi
        fenced_vm = admin.find(f"DC0/vm/{FENCED_VM}")["value"]
        own_vm = admin.find(f"DC0/vm/{OWN_VM}")["value"]
        tasks = {}
        for vm in (fenced_vm, own_vm):  # events and tasks on both VMs
            tasks[vm] = [admin.call("VirtualMachine", vm, "PowerOffVM_Task")["value"]]
            admin.wait_task(moref("Task", tasks[vm][0]))
            tasks[vm].append(admin.call("VirtualMachine", vm, "PowerOnVM_Task")["value"])
            admin.wait_task(moref("Task", tasks[vm][1]))
        cust = callers[CUSTOMIZER].vi.call(
            "VirtualMachineGuestCustomizationManager",
            "GuestCustomizationManager",
            "CustomizeGuest_Task",
            {
                "vm": moref("VirtualMachine", own_vm),
                "auth": {
                    "_typeName": "NamePasswordAuthentication",
                    "interactiveSession": False,
                    "username": "root",
                    "password": "not-the-password",
                },
                "spec": {
                    "_typeName": "CustomizationSpec",
                    "identity": {
                        "_typeName": "CustomizationLinuxPrep",
                        "hostName": {"_typeName": "CustomizationFixedName", "name": "m"},
                        "domain": "x.org",
                    },
                    "globalIPSettings": {"_typeName": "CustomizationGlobalIPSettings"},
                    "nicSettingMap": [
                        {
                            "_typeName": "CustomizationAdapterMapping",
                            "adapter": {
                                "_typeName": "CustomizationIPSettings",
                                "ip": {"_typeName": "CustomizationDhcpIpGenerator"},
                            },
                        }
                    ],
                },
            },
        )
        callers[CUSTOMIZER].vi.wait_task(cust)
        until = admin.call("ServiceInstance", "ServiceInstance", "CurrentTime")
        yield World(server, callers, fenced_vm, own_vm, tasks[fenced_vm], tasks[own_vm], cust["value"], until)
    finally:
        for c in callers.values():
            Disconnect(c.si)
            c.vi.http.close()
        server.stop()


# ---------------------------------------------------------------- plain answers

Answer = Any


def vi_answer(call: Callable[[], Any], ok: Callable[[Any], Any]) -> Answer:
    try:
        return ("ok", ok(call()))
    except ViFault as f:
        return (f.type_name, f.body.get("privilegeId"))


def soap_answer(call: Callable[[], Any], ok: Callable[[Any], Any]) -> Answer:
    try:
        return ("ok", ok(call()))
    except vmodl.MethodFault as f:
        return fault_py(f)


def fault_json(f: dict[str, Any]) -> tuple[str, str | None]:
    return (f["_typeName"], f.get("privilegeId"))


def fault_py(f: Any) -> tuple[str, str | None]:
    return (VmomiSupport.GetWsdlName(type(f)), getattr(f, "privilegeId", None))


def json_value(v: Any) -> Any:
    return v["_value"] if isinstance(v, dict) and "_value" in v else v


def contents_json(objects: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {
        o["obj"]["value"]: (
            {p["name"]: json_value(p["val"]) for p in o.get("propSet", [])},
            {m["path"]: fault_json(m["fault"]) for m in o.get("missingSet", [])},
        )
        for o in objects or []
    }


def contents_py(objects: list[Any] | None) -> dict[str, Any]:
    return {
        o.obj._moId: ({p.name: p.val for p in o.propSet}, {m.path: fault_py(m.fault) for m in o.missingSet})
        for o in objects or []
    }


def vm_spec_json(vms: list[str]) -> dict[str, Any]:
    return {
        "_typeName": "PropertyFilterSpec",
        "propSet": [{"_typeName": "PropertySpec", "type": "VirtualMachine", "pathSet": ["config.name"]}],
        "objectSet": [{"_typeName": "ObjectSpec", "obj": moref("VirtualMachine", v)} for v in vms],
    }


def vm_spec_py(vms: list[str]) -> Any:
    PC = vmodl.query.PropertyCollector
    return PC.FilterSpec(
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["config.name"])],
        objectSet=[PC.ObjectSpec(obj=vim.VirtualMachine(v)) for v in vms],
    )


def view_spec_json(view: dict[str, str]) -> dict[str, Any]:
    return {
        "_typeName": "PropertyFilterSpec",
        "propSet": [{"_typeName": "PropertySpec", "type": "VirtualMachine", "pathSet": ["name"]}],
        "objectSet": [
            {
                "_typeName": "ObjectSpec",
                "obj": view,
                "skip": True,
                "selectSet": [
                    {"_typeName": "TraversalSpec", "name": "v", "type": "ContainerView", "path": "view", "skip": False}
                ],
            }
        ],
    }


def view_spec_py(view: Any) -> Any:
    PC = vmodl.query.PropertyCollector
    return PC.FilterSpec(
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])],
        objectSet=[
            PC.ObjectSpec(
                obj=view,
                skip=True,
                selectSet=[PC.TraversalSpec(name="v", type=vim.view.ContainerView, path="view", skip=False)],
            )
        ],
    )


def vm_view_json(vi: ViClient) -> dict[str, str]:
    root = vi.get("ServiceInstance", "ServiceInstance", "content")["rootFolder"]
    return vi.call(
        "ViewManager",
        "ViewManager",
        "CreateContainerView",
        {"container": root, "type": ["VirtualMachine"], "recursive": True},
    )


def vm_view_py(content: Any) -> Any:
    return content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)


# ---------------------------------------------------------------- the reads, over both protocols


def reads(w: World, user: str) -> dict[str, tuple[Answer, Answer]]:
    """Each read's (VI/JSON answer, SOAP answer) for ``user``."""
    c = w.callers[user]
    vi, content = c.vi, c.content
    stub = c.si._stub
    out: dict[str, tuple[Answer, Answer]] = {}
    for label, vm in (("fenced", w.fenced_vm), ("own", w.own_vm)):
        out[f"GET/Fetch config ({label} VM)"] = (
            vi_answer(lambda vm=vm: vi.get("VirtualMachine", vm, "config"), lambda v: v["name"]),
            soap_answer(lambda vm=vm: vim.VirtualMachine(vm, stub).config, lambda v: v.name),
        )
        out[f"GET/Fetch name ({label} VM)"] = (
            vi_answer(lambda vm=vm: vi.get("VirtualMachine", vm, "name"), lambda v: v),
            soap_answer(lambda vm=vm: vim.VirtualMachine(vm, stub).name, lambda v: v),
        )
        out[f"recentTask ({label} VM)"] = (
            vi_answer(
                lambda vm=vm: vi.get("VirtualMachine", vm, "recentTask"), lambda v: sorted(t["value"] for t in v or [])
            ),
            soap_answer(lambda vm=vm: vim.VirtualMachine(vm, stub).recentTask, lambda v: sorted(t._moId for t in v)),
        )
    vms = [w.fenced_vm, w.own_vm]
    out["RetrieveProperties (both VMs named)"] = (
        vi_answer(
            lambda: vi.call(
                "PropertyCollector", "propertyCollector", "RetrieveProperties", {"specSet": [vm_spec_json(vms)]}
            ),
            contents_json,
        ),
        soap_answer(lambda: content.propertyCollector.RetrieveProperties([vm_spec_py(vms)]), contents_py),
    )
    out["RetrievePropertiesEx (both VMs named)"] = (
        vi_answer(
            lambda: vi.call(
                "PropertyCollector",
                "propertyCollector",
                "RetrievePropertiesEx",
                {"specSet": [vm_spec_json(vms)], "options": {"_typeName": "RetrieveOptions"}},
            ),
            lambda r: contents_json(r["objects"] if r else None),
        ),
        soap_answer(
            lambda: content.propertyCollector.RetrievePropertiesEx(
                [vm_spec_py(vms)], vmodl.query.PropertyCollector.RetrieveOptions()
            ),
            lambda r: contents_py(r.objects if r else None),
        ),
    )
    view_json, view_py = vm_view_json(vi), vm_view_py(content)
    out["ContainerView.view"] = (
        vi_answer(
            lambda: vi.get("ContainerView", view_json["value"], "view"), lambda v: sorted(r["value"] for r in v or [])
        ),
        soap_answer(lambda: view_py.view, lambda v: sorted(r._moId for r in v)),
    )
    out["RetrievePropertiesEx (traversal of a view)"] = (
        vi_answer(
            lambda: vi.call(
                "PropertyCollector",
                "propertyCollector",
                "RetrievePropertiesEx",
                {"specSet": [view_spec_json(view_json)], "options": {"_typeName": "RetrieveOptions"}},
            ),
            lambda r: contents_json(r["objects"] if r else None),
        ),
        soap_answer(
            lambda: content.propertyCollector.RetrievePropertiesEx(
                [view_spec_py(view_py)], vmodl.query.PropertyCollector.RetrieveOptions()
            ),
            lambda r: contents_py(r.objects if r else None),
        ),
    )
    out["WaitForUpdatesEx (both VMs named, and a view)"] = (
        vi_answer(lambda: wait_json(vi, [vm_spec_json(vms), view_spec_json(view_json)]), lambda v: v),
        soap_answer(lambda: wait_py(content, [vm_spec_py(vms), view_spec_py(view_py)]), lambda v: v),
    )
    vi.call("ContainerView", view_json["value"], "DestroyView")
    view_py.DestroyView()
    out["QueryEvents"] = (
        vi_answer(
            lambda: vi.call(
                "EventManager",
                "EventManager",
                "QueryEvents",
                {
                    "filter": {
                        "_typeName": "EventFilterSpec",
                        "time": {"_typeName": "EventFilterSpecByTime", "endTime": w.until},
                    }
                },
            ),
            lambda evs: sorted(e["key"] for e in evs or []),
        ),
        soap_answer(
            lambda: content.eventManager.QueryEvents(
                vim.event.EventFilterSpec(time=vim.event.EventFilterSpec.ByTime(endTime=parse_time(w.until)))
            ),
            lambda evs: sorted(e.key for e in evs),
        ),
    )
    for label, task in [("admin's task on the fenced VM", w.admin_tasks[0]), ("customizer's task", w.customizer_task)]:
        out[f"Task.info ({label})"] = (
            vi_answer(lambda task=task: vi.get("Task", task, "info"), lambda i: (i["descriptionId"], i["state"])),
            soap_answer(lambda task=task: vim.Task(task, stub).info, lambda i: (i.descriptionId, i.state)),
        )
    out["TaskManager.recentTask"] = (
        vi_answer(
            lambda: vi.get("TaskManager", "TaskManager", "recentTask"), lambda v: sorted(t["value"] for t in v or [])
        ),
        soap_answer(lambda: content.taskManager.recentTask, lambda v: sorted(t._moId for t in v)),
    )
    out["SessionManager.sessionList"] = (
        vi_answer(lambda: vi.get("SessionManager", "SessionManager", "sessionList"), lambda v: "list"),
        soap_answer(lambda: content.sessionManager.sessionList, lambda v: "list"),
    )
    return out


def wait_json(vi: ViClient, specs: list[dict[str, Any]]) -> dict[str, Any]:
    filters = [
        vi.call("PropertyCollector", "propertyCollector", "CreateFilter", {"spec": s, "partialUpdates": False})
        for s in specs
    ]
    try:
        upd = vi.call(
            "PropertyCollector",
            "propertyCollector",
            "WaitForUpdatesEx",
            {"version": "", "options": {"_typeName": "WaitOptions", "maxWaitSeconds": 0}},
        )
        out: dict[str, Any] = {}
        for fu in (upd or {}).get("filterSet", []):
            for ou in fu.get("objectSet", []):
                changes, missing = out.setdefault(ou["obj"]["value"], ({}, {}))  # both filters' updates of one object
                changes.update({c["name"]: json_value(c.get("val")) for c in ou.get("changeSet", [])})
                missing.update({m["path"]: fault_json(m["fault"]) for m in ou.get("missingSet", [])})
        return out
    finally:
        for f in filters:
            vi.call("PropertyFilter", f["value"], "DestroyPropertyFilter")


def wait_py(content: Any, specs: list[Any]) -> dict[str, Any]:
    pc = content.propertyCollector
    filters = [pc.CreateFilter(s, partialUpdates=False) for s in specs]
    try:
        upd = pc.WaitForUpdatesEx("", vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=0))
        out: dict[str, Any] = {}
        for fu in upd.filterSet if upd else []:
            for ou in fu.objectSet:
                changes, missing = out.setdefault(ou.obj._moId, ({}, {}))
                changes.update({c.name: c.val for c in ou.changeSet})
                missing.update({m.path: fault_py(m.fault) for m in ou.missingSet})
        return out
    finally:
        for f in filters:
            f.DestroyPropertyFilter()


def parse_time(iso: str) -> Any:
    import datetime

    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))


# ---------------------------------------------------------------- what vCenter answers


def expected(w: World, user: str) -> dict[str, Answer]:
    """The answer each read must give ``user`` (over both protocols)."""
    sees_fenced = user in (ADMIN, READER)
    sees_own = True
    denied_read = ("NoPermission", "System.Read")
    denied_view = ("NoPermission", "System.View")
    vm_name = {w.fenced_vm: FENCED_VM, w.own_vm: OWN_VM}
    visible = [v for v, s in ((w.fenced_vm, sees_fenced), (w.own_vm, sees_own)) if s]
    out: dict[str, Answer] = {}
    for label, vm, sees in (("fenced", w.fenced_vm, sees_fenced), ("own", w.own_vm, sees_own)):
        out[f"GET/Fetch config ({label} VM)"] = ("ok", vm_name[vm]) if sees else denied_read
        out[f"GET/Fetch name ({label} VM)"] = ("ok", vm_name[vm]) if sees else denied_view
        tasks = w.admin_tasks if vm == w.fenced_vm else [*w.admin_own_tasks, w.customizer_task]
        out[f"recentTask ({label} VM)"] = ("ok", sorted(tasks)) if sees else denied_read
    named = {
        vm: ({"config.name": vm_name[vm]}, {}) if vm in visible else ({}, {"config.name": denied_read})
        for vm in (w.fenced_vm, w.own_vm)
    }
    out["RetrieveProperties (both VMs named)"] = ("ok", named)
    out["RetrievePropertiesEx (both VMs named)"] = ("ok", named)
    return out


def test_the_permission_matrix_answers_alike_over_both_protocols(world: World) -> None:
    w = world
    all_vms = sorted(
        r["value"] for r in w.callers[ADMIN].vi.get("ContainerView", vm_view_json(w.callers[ADMIN].vi)["value"], "view")
    )
    all_events = reads(w, ADMIN)["QueryEvents"][0][1]
    event_vm = event_entities(w)
    assert w.own_vm in event_vm.values() and w.fenced_vm in event_vm.values() and None in event_vm.values()
    problems = []
    for user in USERS:
        got = reads(w, user)
        for what, (over_json, over_soap) in got.items():
            if over_json != over_soap:
                problems.append(f"{user} {what}: VI/JSON {over_json} != SOAP {over_soap}")
        want = expected(w, user)
        # Collections: what the user sees is exactly the visible part.
        sees_fenced = user in (ADMIN, READER)
        if user == CUSTOMIZER:
            view = [w.own_vm]
        elif sees_fenced:
            view = all_vms
        else:
            view = [v for v in all_vms if v != w.fenced_vm]
        want["ContainerView.view"] = ("ok", sorted(view))
        want["RetrievePropertiesEx (traversal of a view)"] = ("ok", {v: ({"name": got_name(w, v)}, {}) for v in view})
        named = want["RetrieveProperties (both VMs named)"][1]
        traversed = {v: ({"name": got_name(w, v)}, {}) for v in view}
        want["WaitForUpdatesEx (both VMs named, and a view)"] = (
            "ok",
            {**traversed, **{k: ({**traversed.get(k, ({}, {}))[0], **p}, m) for k, (p, m) in named.items()}},
        )
        want["QueryEvents"] = ("ok", sorted(k for k in all_events if event_visible_to(user, event_vm[k], w)))
        admin_task_visible = sees_fenced
        want["Task.info (admin's task on the fenced VM)"] = (
            ("ok", ("VirtualMachine.powerOff", "success")) if admin_task_visible else ("NoPermission", "System.Read")
        )
        want["Task.info (customizer's task)"] = ("ok", ("vm.GuestCustomizationManager.customize", "error"))
        want["TaskManager.recentTask"] = (
            "ok",
            sorted(([*w.admin_tasks] if admin_task_visible else []) + [*w.admin_own_tasks, w.customizer_task]),
        )
        want["SessionManager.sessionList"] = (
            ("ok", "list") if user == ADMIN else ("NoPermission", "Sessions.TerminateSession")
        )
        for what, answer in want.items():
            if got[what][0] != answer:
                problems.append(f"{user} {what}: got {got[what][0]}, vCenter answers {answer}")
    assert not problems, "\n".join(problems)


def got_name(w: World, vm: str) -> str:
    return str(w.callers[ADMIN].vi.get("VirtualMachine", vm, "name"))


def event_entities(w: World) -> dict[int, str | None]:
    """Each event's VM (None: about no VM) as the administrator sees them."""
    evs = w.callers[ADMIN].vi.call(
        "EventManager",
        "EventManager",
        "QueryEvents",
        {
            "filter": {
                "_typeName": "EventFilterSpec",
                "time": {"_typeName": "EventFilterSpecByTime", "endTime": w.until},
            }
        },
    )
    return {e["key"]: (e.get("vm") or {}).get("vm", {}).get("value") for e in evs}


def event_visible_to(user: str, vm: str | None, w: World) -> bool:
    if user in (ADMIN, READER):
        return True
    if vm is None:  # logins and other events about no entity: who may read the root folder
        return user == FENCED
    if user == FENCED:
        return vm != w.fenced_vm
    return vm == w.own_vm


def test_a_fenced_vm_config_is_unreadable_by_every_path(world: World) -> None:
    """The issue's case, spelled out: NoAccess on a VM means its config by no path."""
    c = world.callers[FENCED]
    with pytest.raises(ViFault) as e:
        c.vi.get("VirtualMachine", world.fenced_vm, "config")
    assert (e.value.type_name, e.value.body["privilegeId"]) == ("NoPermission", "System.Read")
    assert e.value.body["object"]["value"] == world.fenced_vm
    with pytest.raises(vim.fault.NoPermission) as f:
        vim.VirtualMachine(world.fenced_vm, c.si._stub).config  # noqa: B018 - the read is the test
    assert f.value.privilegeId == "System.Read" and f.value.object._moId == world.fenced_vm
    got = contents_py(c.content.propertyCollector.RetrieveProperties([vm_spec_py([world.fenced_vm])]))
    assert got == {world.fenced_vm: ({}, {"config.name": ("NoPermission", "System.Read")})}


def test_a_read_answered_once_is_checked_again_for_each_caller(world: World) -> None:
    """A repeated read skips the type system's lookups (dispatch._READABLE), never the check
    of who reads: the administrator's reads come first, then the same reads by a caller
    without the privilege and by one without a session."""
    admin = world.callers[ADMIN].vi
    for _ in range(2):
        assert admin.get("VirtualMachine", world.fenced_vm, "config")["name"] == FENCED_VM
    with pytest.raises(ViFault) as e:
        world.callers[FENCED].vi.get("VirtualMachine", world.fenced_vm, "config")
    assert (e.value.type_name, e.value.body["privilegeId"]) == ("NoPermission", "System.Read")
    anonymous = ViClient(world.server.url)
    with pytest.raises(ViFault) as e:
        anonymous.get("VirtualMachine", world.fenced_vm, "config")
    assert e.value.type_name == "NotAuthenticated"
    assert anonymous.get("ServiceInstance", "ServiceInstance", "serverClock")  # readable by anyone, as before
