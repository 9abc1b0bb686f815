"""Names and ids over VI/JSON and SOAP (pyVmomi 9.1.1.0, in this process).

- A clone name with NUL, C0/C1 control characters, DEL, or anything XML 1.0 cannot carry
  is refused with InvalidArgument at ``spec.name`` and nothing is created.  (Before: a NUL
  name was accepted over VI/JSON, and from then on every pyVmomi listing failed in its XML
  parser.)  Any other string XML cannot carry (an extraConfig value) is refused the same way.
- ``/``, ``\\`` and ``%`` in a name are stored escaped as vCenter stores them, and the VM is
  found by its inventory path.
- Customization spec names get the same check.
- Every bad path under /sdk/vim25 is a JSON fault (a moId with ``%2F`` included); under
  /sdk a SOAP fault.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support.pyvmomi_run import run_pyvmomi
from tests.support.server import GoscServer
from tests.support.specs import instant_clone_body
from tests.support.vijson import ViClient, ViFault

BAD_NAMES = {
    "nul": "bad\x00name",
    "bell": "bad\x07name",
    "escape": "\x1b[31mred",
    "newline": "two\nlines",
    "tab": "tab\there",
    "del": "bad\x7fname",
    "c1": "bad\x85name",
    "lone-surrogate": "bad\ud800name",
    "fffe": "bad\ufffename",
}
SPM = ("CustomizationSpecManager", "CustomizationSpecManager")


def _vm_names(vi: ViClient) -> list[str]:
    folder = vi.get("Datacenter", vi.find("DC0")["value"], "vmFolder")  # type: ignore[index]
    return [vi.get("VirtualMachine", ref["value"], "name") for ref in vi.get("Folder", folder["value"], "childEntity")]


LIST_VMS = """
content = si.RetrieveContent()
view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
result = [vm.name for vm in view.view]
view.DestroyView()
"""


def _pyvmomi_vm_names(server: GoscServer) -> list[str]:
    """What a pyVmomi user lists (in a child process: an XML parser error fails it)."""
    return list(run_pyvmomi(server, LIST_VMS))


def _vijson_clone(vi: ViClient, name: str, config: list[dict[str, Any]] | None = None) -> Any:
    src = vi.find("DC0/vm/demo-ubuntu")
    body = instant_clone_body(name)
    if config is not None:
        body["spec"]["config"] = config
    # json.dumps escapes what UTF-8 cannot carry (a lone surrogate) as JSON allows: \ud800
    r = vi.raw("POST", f"VirtualMachine/{src['value']}/InstantClone_Task", content=json.dumps(body))  # type: ignore[index]
    return r.json() if r.status_code == 200 else ViFault(r.status_code, r.json())


def test_control_characters_in_a_clone_name_are_refused_and_clients_keep_working(
    vi: ViClient, server: GoscServer
) -> None:
    before = _vm_names(vi)
    answers = {kind: _vijson_clone(vi, name) for kind, name in BAD_NAMES.items()}
    answers["config-value"] = _vijson_clone(
        vi,
        "fine-name",
        [{"_typeName": "OptionValue", "key": "guestinfo.x", "value": {"_typeName": "string", "_value": "a\x00b"}}],
    )
    # Whatever was accepted, SOAP clients must still be able to list every VM.
    listed = _pyvmomi_vm_names(server)
    assert sorted(listed) == sorted(_vm_names(vi))
    for kind, answer in answers.items():
        assert isinstance(answer, ViFault), f"{kind}: the clone was accepted: {answer}"
        assert answer.type_name == "InvalidArgument", (kind, answer.body)
        want = "spec.config[0].value" if kind == "config-value" else "spec.name"
        assert answer.body["invalidProperty"] == want, (kind, answer.body)
    assert _vm_names(vi) == before  # nothing was created


SOAP_CLONE = """
src = si.content.searchIndex.FindByInventoryPath("DC0/vm/demo-ubuntu")
try:
    src.InstantClone_Task(spec=vim.vm.InstantCloneSpec(name=args["name"], location=vim.vm.RelocateSpec()))
    result = {"fault": None}
except vmodl.MethodFault as e:
    result = {"fault": e._wsdlName, "invalidProperty": getattr(e, "invalidProperty", None)}
"""


@pytest.mark.parametrize("kind", ["nul", "bell", "escape", "newline", "tab", "del", "c1"])
def test_control_characters_are_refused_over_soap(vi: ViClient, server: GoscServer, kind: str) -> None:
    before = _vm_names(vi)
    answer = run_pyvmomi(server, SOAP_CLONE, name=BAD_NAMES[kind])
    if kind in ("nul", "bell", "escape"):
        # XML cannot carry these at all: pyVmomi sends them raw and the request is not well-formed.
        assert answer["fault"] == "InvalidRequest", answer
    else:
        assert answer == {"fault": "InvalidArgument", "invalidProperty": "spec.name"}, answer
    assert _vm_names(vi) == before
    assert sorted(_pyvmomi_vm_names(server)) == sorted(before)


SOAP_SLASH = """
src = si.content.searchIndex.FindByInventoryPath("DC0/vm/demo-ubuntu")
task = src.InstantClone_Task(spec=vim.vm.InstantCloneSpec(name="db/02", location=vim.vm.RelocateSpec()))
WaitForTask(task)
clone = task.info.result
index = si.content.searchIndex
result = {"name": clone.name, "by_path": index.FindByInventoryPath("DC0/vm/db%2f02") == clone,
          "by_child": index.FindChild(clone.parent, "db/02") == clone}
"""


def test_slash_backslash_and_percent_are_stored_escaped_and_paths_find_the_vm(vi: ViClient, server: GoscServer) -> None:
    src = vi.find("DC0/vm/demo-ubuntu")
    info = vi.wait_task(
        vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body("web/01\\a 100%"))
    )  # type: ignore[index]
    assert info["state"] == "success", info
    vm = info["result"]
    stored = "web%2f01%5ca 100%25"
    assert vi.get("VirtualMachine", vm["value"], "name") == stored
    assert vi.find(f"DC0/vm/{stored}") == vm
    assert vi.find("DC0/vm/web%2F01%5Ca 100%25") == vm  # escapes in either case
    # An escape given by the client stays one: the same name cannot be created twice.
    with pytest.raises(ViFault) as dup:
        vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body("web%2f01%5ca 100%"))  # type: ignore[index]
    assert dup.value.type_name == "DuplicateName"
    # Over SOAP too: pyVmomi creates one and finds it by its path.
    assert run_pyvmomi(server, SOAP_SLASH) == {"name": "db%2f02", "by_path": True, "by_child": True}
    assert "db%2f02" in _pyvmomi_vm_names(server)


def _spec_item(name: str) -> dict[str, Any]:
    from tests.support.specs import linux_spec

    return {
        "_typeName": "CustomizationSpecItem",
        "info": {"_typeName": "CustomizationSpecInfo", "name": name, "description": "", "type": "Linux"},
        "spec": linux_spec("spec01"),
    }


def test_customization_spec_names_are_checked(vi: ViClient, server: GoscServer) -> None:
    for name in ("spec\x01", "spec\x85", "spec\nname"):
        with pytest.raises(ViFault) as e:
            vi.call(*SPM, "CreateCustomizationSpec", {"item": _spec_item(name)})
        assert e.value.type_name == "InvalidArgument" and e.value.body["invalidProperty"] == "item.info.name"
    vi.call(*SPM, "CreateCustomizationSpec", {"item": _spec_item("named-spec")})
    for method in ("RenameCustomizationSpec", "DuplicateCustomizationSpec"):
        with pytest.raises(ViFault) as e:
            vi.call(*SPM, method, {"name": "named-spec", "newName": "x\ty"})
        assert e.value.type_name == "InvalidArgument" and e.value.body["invalidProperty"] == "newName"
    names = run_pyvmomi(server, "result = [i.name for i in si.content.customizationSpecManager.info]")
    assert "named-spec" in names and not any("\t" in n or "\x01" in n for n in names)


@pytest.mark.parametrize(
    "path,status,fault",
    [
        ("VirtualMachine/vm%2F1/name", 500, "ManagedObjectNotFound"),
        ("VirtualMachine/vm-1%2F..%2F..%2Fx/config", 500, "ManagedObjectNotFound"),
        ("VirtualMachine/vm-1/a/b", 404, "InvalidRequest"),
        ("VirtualMachine/vm-1", 404, "InvalidRequest"),
        ("", 404, "InvalidRequest"),
    ],
)
def test_every_bad_path_under_vim25_is_a_json_fault(server: GoscServer, path: str, status: int, fault: str) -> None:
    r = httpx.get(f"{server.url}/sdk/vim25/9.1.0.0/{path}", verify=False)
    assert r.status_code == status and r.headers["content-type"] == "application/json", (r.status_code, r.text)
    assert r.json()["_typeName"] == fault
    r = httpx.put(f"{server.url}/sdk/vim25/9.1.0.0/ServiceInstance/ServiceInstance/content", verify=False)
    assert r.status_code == 405 and r.json()["_typeName"] == "InvalidRequest"


def test_bad_paths_under_sdk_are_soap_faults(server: GoscServer) -> None:
    for method, path, status in [("GET", "/sdk", 405), ("GET", "/sdk/nothing", 404), ("POST", "/sdk/x%2Fy", 404)]:
        r = httpx.request(method, f"{server.url}{path}", verify=False)
        assert r.status_code == status and r.headers["content-type"].startswith("text/xml"), (path, r.text)
        assert "<soapenv:Fault>" in r.text and 'xsi:type="InvalidRequest"' in r.text
