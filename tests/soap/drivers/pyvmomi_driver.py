"""Scenarios a pyVmomi user runs against gosc, written as such a user writes them.

Run by tests/soap under a given interpreter (pyVmomi 9.1.1.0 in the project's venv, or
8.0.3.0.1 in its own venv):

    python pyvmomi_driver.py <scenario> '<json args>'

The scenario's result is printed as one JSON line on stdout; a failure is a traceback on
stderr and exit status 1.  Only pyVmomi and the standard library are used here.
"""

from __future__ import annotations

import json
import ssl
import sys
import threading
import time
import urllib.request
from typing import Any

from pyVim.connect import Disconnect, SmartConnect, SmartStubAdapter, VimSessionOrientedStub
from pyVim.task import WaitForTask
from pyVmomi import VmomiSupport, vim, vmodl

GUEST_USER, GUEST_PASSWORD = "root", "VMware1!"
C = vim.vm.customization
PC = vmodl.query.PropertyCollector


# ---------------------------------------------------------------- helpers


def connect(a: dict[str, Any], user: str | None = None, password: str | None = None) -> Any:
    return SmartConnect(
        host=a["host"],
        port=a["port"],
        user=user or a["user"],
        pwd=password or a["password"],
        disableSslCertValidation=True,
    )


def linux_spec(
    host: str = "web01",
    *,
    domain: str = "example.com",
    nics: list[Any] | None = None,
    tz: str | None = "Europe/Berlin",
    script: str | None = None,
    name_gen: Any = None,
) -> Any:
    identity = C.LinuxPrep(hostName=name_gen or C.FixedName(name=host), domain=domain, hwClockUTC=True)
    if tz:
        identity.timeZone = tz
    if script:
        identity.scriptText = script
    return C.Specification(
        identity=identity,
        globalIPSettings=C.GlobalIPSettings(dnsServerList=["192.168.10.2"], dnsSuffixList=[domain]),
        nicSettingMap=nics if nics is not None else [fixed_ip("192.168.10.21", gateway="192.168.10.1")],
    )


def fixed_ip(ip: str, mask: str = "255.255.255.0", gateway: str | None = None) -> Any:
    adapter = C.IPSettings(ip=C.FixedIp(ipAddress=ip), subnetMask=mask)
    if gateway:
        adapter.gateway = [gateway]
    return C.AdapterMapping(adapter=adapter)


def dhcp() -> Any:
    return C.AdapterMapping(adapter=C.IPSettings(ip=C.DhcpIpGenerator()))


def auth(user: str = GUEST_USER, password: str = GUEST_PASSWORD) -> Any:
    return vim.vm.guest.NamePasswordAuthentication(username=user, password=password, interactiveSession=False)


def release(si: Any, a: dict[str, Any], injection_id: int) -> None:
    """Release a held injection (the test made it) through /gosc/inject, with this session's cookie."""
    cookie = si._stub.cookie.split(";")[0]
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE  # the server's certificate is self-signed
    req = urllib.request.Request(
        f"https://{a['host']}:{a['port']}/gosc/inject/{injection_id}/release", method="POST", headers={"cookie": cookie}
    )
    with urllib.request.urlopen(req, context=tls, timeout=60) as r:
        r.read()


def find(content: Any, path: str) -> Any:
    return content.searchIndex.FindByInventoryPath(path)


def instant_clone(content: Any, name: str, source: str = "DC0/vm/demo-ubuntu") -> Any:
    src = find(content, source)
    task = src.InstantClone_Task(spec=vim.vm.InstantCloneSpec(name=name, location=vim.vm.RelocateSpec()))
    assert WaitForTask(task) == "success"
    return task.info.result


def vm_by_moid(si: Any, moid: str) -> Any:
    return vim.VirtualMachine(moid, si._stub)


def jsonable(v: Any) -> Any:
    if isinstance(v, VmomiSupport.ManagedObject):
        return {"type": v._wsdlName, "value": v._moId}
    if isinstance(v, vmodl.MethodFault):
        return fault_dict(v)
    if isinstance(v, VmomiSupport.DataObject):
        return {
            p.name: jsonable(getattr(v, p.name))
            for p in v._GetPropertyList()
            if p.name not in ("dynamicType", "dynamicProperty") and not _unset(getattr(v, p.name))
        }
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def _unset(v: Any) -> bool:
    return v is None or (isinstance(v, list) and not v)


def fault_dict(e: Any) -> dict[str, Any]:
    fields = {
        p.name: jsonable(getattr(e, p.name))
        for p in e._GetPropertyList()
        if p.name not in ("dynamicType", "dynamicProperty", "faultCause", "faultMessage", "msg")
    }
    return {
        "class": type(e).__name__,
        "msg": e.msg,
        "fields": fields,
        "is_method_fault": isinstance(e, vmodl.MethodFault),
    }


def capture(fn: Any) -> dict[str, Any] | None:
    try:
        fn()
    except vmodl.MethodFault as e:
        return fault_dict(e)
    return None


def task_error(content: Any, vm: Any, spec: Any, **kw: Any) -> dict[str, Any] | None:
    task = content.guestCustomizationManager.CustomizeGuest_Task(vm, auth(**kw), spec)
    return capture(lambda: WaitForTask(task))


# ---------------------------------------------------------------- scenarios


def scenario_connect(a: dict[str, Any]) -> dict[str, Any]:
    """SmartConnect over HTTPS, list VMs with a container view, read properties."""
    si = connect(a)
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    names = sorted(vm.name for vm in view.view)
    # The same list the PropertyCollector way (what most tools do).
    spec = PC.FilterSpec(
        objectSet=[
            PC.ObjectSpec(
                obj=view,
                skip=True,
                selectSet=[
                    PC.TraversalSpec(name="traverseEntities", path="view", skip=False, type=vim.view.ContainerView)
                ],
            )
        ],
        propSet=[
            PC.PropertySpec(type=vim.VirtualMachine, pathSet=["name", "runtime.powerState", "summary.config.name"])
        ],
    )
    result = content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    props = {}
    for oc in result.objects:
        d = {p.name: p.val for p in oc.propSet}
        props[d["name"]] = {"powerState": str(d["runtime.powerState"]), "configName": d["summary.config.name"]}
    view.DestroyView()
    vm = find(content, "DC0/vm/demo-ubuntu")
    out = {
        "version": si._stub.version,
        "about": content.about.fullName,
        "apiVersion": content.about.apiVersion,
        "names": names,
        "props": props,
        "hostName": vm.guest.hostName,
        "powerState": str(vm.runtime.powerState),
        "currentUser": content.sessionManager.currentSession.userName,
        "time": str(si.CurrentTime()),
    }
    Disconnect(si)
    return out


def scenario_customize(a: dict[str, Any]) -> dict[str, Any]:
    """InstantClone_Task, CustomizeGuest_Task, WaitForTask, guest.hostName, QueryEvents."""
    si = connect(a)
    content = si.RetrieveContent()
    clone = instant_clone(content, a["name"])
    before = {"hostName": clone.guest.hostName, "connected": clone.guest.net[0].connected if clone.guest.net else None}
    task = content.guestCustomizationManager.CustomizeGuest_Task(clone, auth(), linux_spec("web01"))
    state = WaitForTask(task)
    info = task.info
    events = content.eventManager.QueryEvents(
        vim.event.EventFilterSpec(
            entity=vim.event.EventFilterSpec.ByEntity(entity=clone, recursion="self"),
            eventTypeId=["CustomizationStartedEvent", "CustomizationSucceeded"],
        )
    )
    guest = clone.guest
    out = {
        "clone": clone._moId,
        "before": before,
        "state": state,
        "descriptionId": info.descriptionId,
        "entity": info.entity._moId,
        "hostName": guest.hostName,
        "ipAddress": guest.ipAddress,
        "customizationStatus": guest.customizationInfo.customizationStatus,
        "events": [type(e).__name__.rsplit(".", 1)[-1] for e in events],
        "chains": sorted({e.chainId for e in events}),
        "eventChainId": info.eventChainId,
    }
    Disconnect(si)
    return out


def scenario_faults(a: dict[str, Any]) -> dict[str, Any]:
    """Every fault the VI/JSON tests check, as the pyVmomi exception a script catches."""
    si = connect(a)
    content = si.RetrieveContent()
    gcm = content.guestCustomizationManager
    out: dict[str, Any] = {}
    prefix = a["name"]

    off = instant_clone(content, f"{prefix}-off")
    assert WaitForTask(off.PowerOffVM_Task()) == "success"
    out["InvalidPowerState"] = capture(lambda: gcm.CustomizeGuest_Task(off, auth(), linux_spec()))
    notools = find(content, "DC0/vm/demo-notools")
    out["toolsStatus"] = str(notools.guest.toolsStatus)
    out["InvalidState"] = capture(lambda: gcm.CustomizeGuest_Task(notools, auth(), linux_spec()))
    missing = vim.VirtualMachine("vm-999999", si._stub)
    out["ManagedObjectNotFound"] = capture(lambda: gcm.CustomizeGuest_Task(missing, auth(), linux_spec()))
    out["ManagedObjectNotFoundPower"] = capture(lambda: missing.PowerOnVM_Task())

    vm = instant_clone(content, f"{prefix}-t")
    out["InvalidGuestLogin"] = task_error(content, vm, linux_spec(), password="not-the-password")
    out["GuestPermissionDenied"] = task_error(content, vm, linux_spec(), user="vmuser")
    out["NicSettingMismatch"] = task_error(content, vm, linux_spec(nics=[fixed_ip("10.0.0.5"), dhcp()]))
    sysprep = linux_spec()
    sysprep.identity = C.SysprepText(value="<unattend/>")
    out["UncustomizableGuest"] = task_error(content, vm, sysprep)
    out["IpHostnameGeneratorError"] = [
        task_error(content, vm, linux_spec(name_gen=g))
        for g in (C.UnknownNameGenerator(), C.CustomNameGenerator(argument="x"))
    ]

    def bad(change: Any) -> Any:
        spec = linux_spec()
        change(spec)
        return spec

    cases = {
        "spec.identity.hostName": [
            lambda s: setattr(s.identity.hostName, "name", "web_01"),
            lambda s: setattr(s.identity.hostName, "name", "a" * 64),
            lambda s: setattr(s.identity.hostName, "name", "web.example.com"),
        ],
        "spec.identity.timeZone": [lambda s: setattr(s.identity, "timeZone", "Mars/Olympus_Mons")],
        "spec.nicSettingMap[0].adapter.ip.ipAddress": [
            lambda s: setattr(s.nicSettingMap[0].adapter.ip, "ipAddress", "10.0.0.300")
        ],
        "spec.nicSettingMap[0].adapter.subnetMask": [
            lambda s: setattr(s.nicSettingMap[0].adapter, "subnetMask", "255.0.255.0")
        ],
        "spec.nicSettingMap[0].adapter.gateway[0]": [lambda s: setattr(s.nicSettingMap[0].adapter, "gateway", ["gw"])],
        "spec.globalIPSettings.dnsServerList[0]": [lambda s: setattr(s.globalIPSettings, "dnsServerList", ["8.8.8"])],
        "spec.identity.domain": [lambda s: setattr(s.identity, "domain", "bad_domain.com")],
    }
    out["InvalidArgument"] = {
        path: [task_error(content, vm, bad(c)) for c in changes] for path, changes in cases.items()
    }
    out["hostNameAfter"] = vm.guest.hostName

    # NoPermission for a user without the privilege; InvalidLogin; NotAuthenticated.
    viewer = connect(a, a["viewer"], a["viewer_password"])
    vc = viewer.RetrieveContent()
    vvm = vm_by_moid(viewer, vm._moId)
    out["NoPermission"] = [
        capture(lambda: vc.guestCustomizationManager.CustomizeGuest_Task(vvm, auth(), linux_spec())),
        capture(
            lambda: vvm.InstantClone_Task(spec=vim.vm.InstantCloneSpec(name="nope", location=vim.vm.RelocateSpec()))
        ),
        capture(lambda: vvm.PowerOffVM_Task()),
    ]
    Disconnect(viewer)
    out["InvalidLogin"] = capture(lambda: connect(a, a["user"], "wrong"))
    anon = SmartStubAdapter(host=a["host"], port=a["port"], disableSslCertValidation=True)
    asi = vim.ServiceInstance("ServiceInstance", anon)
    out["NotAuthenticated"] = capture(lambda: asi.content.searchIndex.FindByInventoryPath("DC0"))
    Disconnect(si)
    return out


def scenario_task_in_progress(a: dict[str, Any]) -> dict[str, Any]:
    """A second customization of a VM whose first one runs fails with TaskInProgress.  The
    test holds the first task's work with an injection (``a["hold"]``), released here once
    the second call has failed."""
    si = connect(a)
    content = si.RetrieveContent()
    vm = vm_by_moid(si, a["vm"])
    first = content.guestCustomizationManager.CustomizeGuest_Task(vm, auth(), linux_spec())
    f = capture(lambda: content.guestCustomizationManager.CustomizeGuest_Task(vm, auth(), linux_spec()))
    release(si, a, a["hold"])
    state = WaitForTask(first)
    Disconnect(si)
    return {"fault": f, "first": first._moId, "state": state}


def scenario_wait_for_updates(a: dict[str, Any]) -> dict[str, Any]:
    """A WaitForUpdatesEx loop over the recent tasks sees a customization go queued,
    running, success; an idle wait ends after maxWaitSeconds; CancelWaitForUpdates works."""
    si = connect(a)
    content = si.RetrieveContent()
    vm = vm_by_moid(si, a["vm"])
    pc = content.propertyCollector.CreatePropertyCollector()
    spec = PC.FilterSpec(
        objectSet=[
            PC.ObjectSpec(
                obj=content.taskManager,
                skip=True,
                selectSet=[PC.TraversalSpec(name="tasks", type=vim.TaskManager, path="recentTask", skip=False)],
            )
        ],
        propSet=[PC.PropertySpec(type=vim.Task, pathSet=["info.state", "info.entity"])],
    )
    pc.CreateFilter(spec, partialUpdates=False)
    first = pc.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0))
    version = first.version if first else ""
    # The test holds the task's work (``a["hold"]``): it stays running until released here,
    # once this loop has seen it running.
    task = content.guestCustomizationManager.CustomizeGuest_Task(vm, auth(), linux_spec("waited"))
    states: list[str] = []
    kinds: list[str] = []
    versions = [version]
    deadline = time.monotonic() + 60
    while (not states or states[-1] not in ("success", "error")) and time.monotonic() < deadline:
        upd = pc.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=10))
        if upd is None:
            continue
        version = upd.version
        versions.append(version)
        for fs in upd.filterSet:
            for ou in fs.objectSet:
                if ou.obj._moId != task._moId:
                    continue
                kinds.append(str(ou.kind))
                states += [str(c.val) for c in ou.changeSet if c.name == "info.state"]
        if states and states[-1] == "running":
            release(si, a, a["hold"])
    t0 = time.monotonic()
    idle = pc.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=1))
    idle_seconds = time.monotonic() - t0

    caught: list[Any] = []

    def waiter() -> None:
        caught.append(capture(lambda: pc.WaitForUpdatesEx(version, PC.WaitOptions(maxWaitSeconds=30))))

    t = threading.Thread(target=waiter)
    t.start()
    # A cancel that comes before the wait has begun cancels nothing (as in vCenter): cancel
    # until the waiter has ended, so the outcome does not depend on who comes first.
    cancels = 0
    while t.is_alive() and cancels < 600:
        pc.CancelWaitForUpdates()
        cancels += 1
        t.join(0.05)
    bad_version = capture(lambda: pc.WaitForUpdatesEx("not-a-version", PC.WaitOptions(maxWaitSeconds=0)))
    pc.DestroyPropertyCollector()
    Disconnect(si)
    return {
        "states": states,
        "kinds": kinds,
        "versions": versions,
        "idle": idle is None,
        "idle_seconds": idle_seconds,
        "cancel": caught[0] if caught else None,
        "bad_version": bad_version,
    }


def scenario_relogin(a: dict[str, Any]) -> dict[str, Any]:
    """A stale or missing cookie is NotAuthenticated; VimSessionOrientedStub logs in again."""
    out: dict[str, Any] = {}
    si = connect(a)
    stub = si._stub
    good = stub.cookie
    out["cookie"] = good
    stub.cookie = 'vmware_soap_session="0000stale0000"; Path=/; HttpOnly; Secure;'
    out["stale"] = capture(lambda: si.content.rootFolder.name)
    stub.cookie = ""
    out["missing"] = capture(lambda: si.content.rootFolder.childEntity)
    stub.cookie = good
    out["restored"] = si.content.rootFolder.name
    si.content.sessionManager.Logout()
    out["after_logout"] = capture(lambda: si.content.rootFolder.name)

    soap = SmartStubAdapter(host=a["host"], port=a["port"], disableSslCertValidation=True)
    session_stub = VimSessionOrientedStub(soap, VimSessionOrientedStub.makeUserLoginMethod(a["user"], a["password"]))
    ssi = vim.ServiceInstance("ServiceInstance", session_stub)
    out["first"] = ssi.content.rootFolder.name
    first_cookie = soap.cookie
    soap.cookie = 'vmware_soap_session="0000stale0000"; Path=/; HttpOnly; Secure;'
    out["after_stale"] = ssi.content.rootFolder.name
    out["relogged"] = soap.cookie not in (first_cookie, "") and "0000stale0000" not in soap.cookie
    soap.cookie = ""
    out["after_missing"] = [vm.name for vm in find(ssi.content, "DC0/vm").childEntity][:1]
    out["user"] = ssi.content.sessionManager.currentSession.userName
    return out


def scenario_collector(a: dict[str, Any]) -> dict[str, Any]:
    """PropertyCollector semantics: the classic folder traversal, paging, all, nested
    paths, missingSet, InvalidProperty."""
    si = connect(a)
    content = si.RetrieveContent()
    pc = content.propertyCollector
    # The classic recursive recipe (pyVmomi community samples, vSphere SDK docs).
    folder_ts = PC.TraversalSpec(name="folderTraversalSpec", type=vim.Folder, path="childEntity", skip=False)
    dc_vm = PC.TraversalSpec(name="datacenterVmTraversalSpec", type=vim.Datacenter, path="vmFolder", skip=False)
    dc_host = PC.TraversalSpec(name="datacenterHostTraversalSpec", type=vim.Datacenter, path="hostFolder", skip=False)
    cr_host = PC.TraversalSpec(
        name="computeResourceHostTraversalSpec", type=vim.ComputeResource, path="host", skip=False
    )
    sel = [
        PC.SelectionSpec(name=n)
        for n in (
            "folderTraversalSpec",
            "datacenterVmTraversalSpec",
            "datacenterHostTraversalSpec",
            "computeResourceHostTraversalSpec",
        )
    ]
    folder_ts.selectSet = sel
    dc_vm.selectSet = [sel[0]]
    dc_host.selectSet = [sel[0]]
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=content.rootFolder, skip=False, selectSet=[folder_ts, dc_vm, dc_host, cr_host])],
        propSet=[
            PC.PropertySpec(type=vim.VirtualMachine, pathSet=["name", "guest.ipAddress", "config.instanceUuid"]),
            PC.PropertySpec(type=vim.HostSystem, pathSet=["name"]),
            PC.PropertySpec(type=vim.Folder, pathSet=["name"]),
        ],
    )
    objects = pc.RetrieveContents([spec]) if hasattr(pc, "RetrieveContents") else pc.RetrieveProperties([spec])
    classic = sorted((o.obj._wsdlName, {p.name: p.val for p in o.propSet}.get("name")) for o in objects)
    # Paging.
    page = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=3))
    pages = [len(page.objects)]
    while page.token:
        page = pc.ContinueRetrievePropertiesEx(page.token)
        pages.append(len(page.objects))
    vm = find(content, "DC0/vm/demo-ubuntu")
    one = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=vm)], propSet=[PC.PropertySpec(type=vim.VirtualMachine, all=True)])
    all_props = sorted(p.name for p in pc.RetrievePropertiesEx([one], PC.RetrieveOptions()).objects[0].propSet)
    nested = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=vm)],
        propSet=[
            PC.PropertySpec(
                type=vim.VirtualMachine,
                pathSet=[
                    "guest.hostName",
                    "guest.net",
                    "runtime.powerState",
                    "summary.config.name",
                    "config.hardware.device",
                    "snapshot",
                ],
            )
        ],
    )
    got = {p.name: p.val for p in pc.RetrievePropertiesEx([nested], PC.RetrieveOptions()).objects[0].propSet}
    nested_out = {
        "hostName": got.get("guest.hostName"),
        "powerState": str(got.get("runtime.powerState")),
        "configName": got.get("summary.config.name"),
        "devices": len(got.get("config.hardware.device") or []),
        "net": type(got.get("guest.net")).__name__,
        "snapshot": "snapshot" in got,
    }
    bad = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=vm)], propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["guest.noSuch"])]
    )
    invalid = capture(lambda: pc.RetrievePropertiesEx([bad], PC.RetrieveOptions()))
    gone = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=vim.VirtualMachine("vm-999999", si._stub))],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])],
    )
    not_found = capture(lambda: pc.RetrievePropertiesEx([gone], PC.RetrieveOptions()))
    # A user with NoAccess on the VM: named directly, it comes back with its properties in missingSet.
    cloner = connect(a, a["cloner"], a["cloner_password"])
    cc = cloner.RetrieveContent()
    cvm = vm_by_moid(cloner, vm._moId)
    res = cc.propertyCollector.RetrievePropertiesEx(
        [
            PC.FilterSpec(
                objectSet=[PC.ObjectSpec(obj=cvm)], propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])]
            )
        ],
        PC.RetrieveOptions(),
    )
    missing = [{"path": m.path, "fault": type(m.fault).__name__} for m in res.objects[0].missingSet]
    Disconnect(cloner)
    Disconnect(si)
    return {
        "classic": classic,
        "pages": pages,
        "all": all_props,
        "nested": nested_out,
        "invalid": invalid,
        "not_found": not_found,
        "missing": missing,
    }


def scenario_spec_versions(a: dict[str, Any]) -> dict[str, Any]:
    """Read a stored CustomizationSpec (a 9.1 client may have saved 9.1-only fields)."""
    si = connect(a)
    content = si.RetrieveContent()
    item = content.customizationSpecManager.GetCustomizationSpec(a["spec_name"])
    out = {
        "version": si._stub.version,
        "name": item.info.name,
        "identity": type(item.spec.identity).__name__,
        "hostName": item.spec.identity.hostName.name,
        "resetPassword": getattr(item.spec.identity, "resetPassword", "unknown-to-client"),
    }
    Disconnect(si)
    return out


def scenario_save_spec(a: dict[str, Any]) -> dict[str, Any]:
    si = connect(a)
    content = si.RetrieveContent()
    spec = linux_spec("saved")
    spec.identity.resetPassword = True
    item = vim.CustomizationSpecItem(
        info=vim.CustomizationSpecInfo(name=a["spec_name"], description="from pyVmomi 9.1", type="Linux"), spec=spec
    )
    content.customizationSpecManager.CreateCustomizationSpec(item)
    Disconnect(si)
    return {"saved": a["spec_name"]}


def scenario_bench(a: dict[str, Any]) -> dict[str, Any]:
    sys.path.insert(0, a["repo"])
    from bench.soap_bench import run

    return run(a["base_url"], a["user"], a["password"], **a.get("kw", {}))


SCENARIOS = {name[len("scenario_") :]: fn for name, fn in globals().items() if name.startswith("scenario_")}


def main() -> None:
    name, args = sys.argv[1], json.loads(sys.argv[2])
    ssl._create_default_https_context = ssl._create_unverified_context  # self-signed test server
    print(json.dumps(SCENARIOS[name](args), default=str))


if __name__ == "__main__":
    main()
