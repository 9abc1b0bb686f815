"""ServiceContent's managers through the real server with pyVmomi: license, setting,
perfManager, customFieldsManager, extensionManager, diagnosticManager; a Viewer may read
them but not change them."""

from __future__ import annotations

import datetime

import pytest
from pyVmomi import vim, vmodl

from tests.support.server import GoscServer

from .conftest import connect, find_vm


def test_service_content_names_every_manager(si: vim.ServiceInstance) -> None:
    c = si.content
    for name in (
        "licenseManager",
        "setting",
        "perfManager",
        "customFieldsManager",
        "extensionManager",
        "diagnosticManager",
    ):
        assert getattr(c, name) is not None, name


def test_license_manager_has_the_evaluation_license(si: vim.ServiceInstance) -> None:
    lm = si.content.licenseManager
    (lic,) = lm.licenses
    assert (lic.licenseKey, lic.editionKey, lic.name) == ("00000-00000-00000-00000-00000", "eval", "Evaluation Mode")
    assigned = lm.licenseAssignmentManager.QueryAssignedLicenses(si.content.about.instanceUuid)
    assert [a.assignedLicense.editionKey for a in assigned] == ["eval"]


def test_option_manager_query_update_and_faults(si: vim.ServiceInstance, viewer: vim.ServiceInstance) -> None:
    om = si.content.setting
    assert {o.key for o in om.supportedOption} <= {o.key for o in om.setting}
    (opt,) = om.QueryOptions("event.maxAge")
    assert opt.value == 30
    assert {o.key for o in om.QueryOptions("event.")} == {"event.batchsize", "event.maxAge", "event.maxAgeEnabled"}
    with pytest.raises(vim.fault.InvalidName):
        om.QueryOptions("no.such.option")
    om.UpdateOptions([vim.option.OptionValue(key="config.gosc.test", value="one")])
    assert om.QueryOptions("config.gosc.test")[0].value == "one"
    with pytest.raises(vim.fault.InvalidName):
        om.UpdateOptions([vim.option.OptionValue(key="notconfig.x", value="1")])
    with pytest.raises(vmodl.fault.InvalidArgument):  # event.maxAge takes an int
        om.UpdateOptions([vim.option.OptionValue(key="event.maxAge", value="many")])
    assert om.QueryOptions("event.maxAge")[0].value == 30
    with pytest.raises(vim.fault.NoPermission):
        viewer.content.setting.UpdateOptions([vim.option.OptionValue(key="config.gosc.test", value="two")])
    assert viewer.content.setting.QueryOptions("config.gosc.test")[0].value == "one"


def test_perf_manager_counters_intervals_and_metrics(si: vim.ServiceInstance) -> None:
    pm = si.content.perfManager
    by_name = {f"{c.groupInfo.key}.{c.nameInfo.key}.{c.rollupType}": c for c in pm.perfCounter}
    assert "cpu.usage.average" in by_name and "mem.usage.average" in by_name
    assert [i.samplingPeriod for i in pm.historicalInterval] == [300, 1800, 7200, 86400]
    key = by_name["cpu.usage.average"].key
    assert pm.QueryPerfCounter([key])[0].nameInfo.key == "usage"
    with pytest.raises(vmodl.fault.InvalidArgument):
        pm.QueryPerfCounter([999999])
    vm = find_vm(si, "demo-ubuntu")
    summary = pm.QueryPerfProviderSummary(vm)
    assert summary.currentSupported and summary.refreshRate == 20
    metrics = pm.QueryAvailablePerfMetric(vm, intervalId=20)
    assert {m.counterId for m in metrics} >= {key, by_name["mem.usage.average"].key}
    assert {m.instance for m in metrics if m.counterId == key} >= {"", "0"}
    dc = si.content.rootFolder.childEntity[0]
    assert not pm.QueryPerfProviderSummary(dc).currentSupported
    assert pm.QueryAvailablePerfMetric(dc, intervalId=20) == []


def test_custom_fields_define_set_rename_remove(si: vim.ServiceInstance, viewer: vim.ServiceInstance) -> None:
    cfm = si.content.customFieldsManager
    vm = find_vm(si, "demo-debian")
    field = cfm.AddCustomFieldDef(name="owner", moType=vim.VirtualMachine)
    assert field.managedObjectType is vim.VirtualMachine
    with pytest.raises(vim.fault.DuplicateName):
        cfm.AddCustomFieldDef(name="owner", moType=vim.VirtualMachine)
    vm.setCustomValue(key="owner", value="team-a")
    assert [(v.key, v.value) for v in vm.customValue] == [(field.key, "team-a")]
    assert field.key in {f.key for f in vm.availableField}
    with pytest.raises(vmodl.fault.InvalidArgument):
        vm.setCustomValue(key="no-such-field", value="x")
    with pytest.raises(vmodl.fault.InvalidArgument):  # a VM field does not apply to a datacenter
        cfm.SetField(entity=si.content.rootFolder.childEntity[0], key=field.key, value="x")
    with pytest.raises(vim.fault.NoPermission):
        find_vm(viewer, "demo-debian").setCustomValue(key="owner", value="team-b")
    with pytest.raises(vim.fault.NoPermission):
        viewer.content.customFieldsManager.AddCustomFieldDef(name="sneaky")
    cfm.RenameCustomFieldDef(key=field.key, name="team")
    assert [f.name for f in cfm.field if f.key == field.key] == ["team"]
    cfm.RemoveCustomFieldDef(key=field.key)
    assert vm.customValue == []
    with pytest.raises(vim.fault.NotFound):
        cfm.RemoveCustomFieldDef(key=field.key)


def test_extensions_register_find_unregister(si: vim.ServiceInstance, viewer: vim.ServiceInstance) -> None:
    em = si.content.extensionManager
    ext = vim.Extension(
        key="com.example.gosc-test",
        version="1.0",
        description=vim.Description(label="test", summary="a test extension"),
        company="Example",
        lastHeartbeatTime=datetime.datetime.now(datetime.UTC),
    )
    em.RegisterExtension(ext)
    assert em.FindExtension("com.example.gosc-test").version == "1.0"
    assert "com.example.gosc-test" in {e.key for e in em.extensionList}
    with pytest.raises(vmodl.fault.InvalidArgument):
        em.RegisterExtension(ext)
    with pytest.raises(vim.fault.NoPermission):
        viewer.content.extensionManager.UnregisterExtension("com.example.gosc-test")
    em.UnregisterExtension("com.example.gosc-test")
    assert em.FindExtension("com.example.gosc-test") is None
    with pytest.raises(vim.fault.NotFound):
        em.UnregisterExtension("com.example.gosc-test")


def test_diagnostic_log_pages_and_has_no_secrets(si: vim.ServiceInstance, viewer: vim.ServiceInstance) -> None:
    dm = si.content.diagnosticManager
    assert [d.key for d in dm.QueryDescriptions()] == ["vpxd:vpxd.log"]
    end = dm.BrowseDiagnosticLog(key="vpxd:vpxd.log", start=2**31 - 1).lineEnd
    assert end >= 1
    page = dm.BrowseDiagnosticLog(key="vpxd:vpxd.log", start=1, lines=1)
    assert (page.lineStart, page.lineEnd, len(page.lineText)) == (1, 1, 1)
    assert "gosc starting" in page.lineText[0]
    whole = "\n".join(dm.BrowseDiagnosticLog(key="vpxd:vpxd.log", start=1, lines=500).lineText)
    assert "Gosc-Test-1!" not in whole  # the administrator's password
    with pytest.raises(vim.fault.CannotAccessFile):
        dm.BrowseDiagnosticLog(key="hostd:hostd.log")
    with pytest.raises(vim.fault.NoPermission):
        viewer.content.diagnosticManager.BrowseDiagnosticLog(key="vpxd:vpxd.log")


def test_settings_fields_and_extensions_survive_a_restart(server: GoscServer) -> None:
    si = connect(server)
    si.content.setting.UpdateOptions([vim.option.OptionValue(key="config.gosc.kept", value="yes")])
    field = si.content.customFieldsManager.AddCustomFieldDef(name="kept")
    find_vm(si, "demo-centos7").setCustomValue(key="kept", value="value-1")
    si.content.extensionManager.RegisterExtension(
        vim.Extension(
            key="com.example.kept",
            version="2",
            description=vim.Description(label="k", summary="k"),
            lastHeartbeatTime=datetime.datetime.now(datetime.UTC),
        )
    )
    server.stop()
    server.start()
    si = connect(server)
    assert si.content.setting.QueryOptions("config.gosc.kept")[0].value == "yes"
    assert [(v.key, v.value) for v in find_vm(si, "demo-centos7").customValue] == [(field.key, "value-1")]
    assert si.content.extensionManager.FindExtension("com.example.kept").version == "2"
