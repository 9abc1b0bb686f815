"""The datastore and the VM network, read with pyVmomi through the real server."""

from __future__ import annotations

import os
from typing import Any

import pytest
from pyVmomi import vim

from gosc.testing import Gosc
from tests.inventory.support import collect, find, inventory_traversal, task_error, task_result

B = vim.host.DatastoreBrowser


@pytest.fixture(scope="module")
def si(gosc: Gosc) -> Any:
    return gosc.service_instance


def test_the_datastore_is_in_the_datastore_folder_with_the_data_dirs_space(si: Any, gosc: Gosc) -> None:
    ds = find(si, "DC0/datastore/datastore1")
    assert isinstance(ds, vim.Datastore)
    st = os.statvfs(gosc.server.data_dir)
    summary = ds.summary
    assert summary.name == "datastore1" and summary.datastore == ds
    assert summary.capacity == st.f_blocks * st.f_frsize
    assert 0 < summary.freeSpace <= summary.capacity
    # Free space moves as anything on the machine writes: close to statvfs, not equal.
    assert abs(summary.freeSpace - st.f_bavail * st.f_frsize) < summary.capacity // 20
    assert summary.accessible is True and summary.type == "OTHER" and summary.maintenanceMode == "normal"
    assert summary.url.startswith("ds:///vmfs/volumes/") and summary.url.endswith("/")
    info = ds.info
    assert isinstance(info, vim.host.LocalDatastoreInfo)
    assert info.name == "datastore1" and info.url == summary.url and info.freeSpace > 0
    assert ds.capability.directoryHierarchySupported is True
    assert ds.parent == find(si, "DC0/datastore")


def test_hosts_mount_it_and_vms_live_on_it(si: Any) -> None:
    ds = find(si, "DC0/datastore/datastore1")
    host = find(si, "DC0/host/esx-01.gosc.local/esx-01.gosc.local")
    vm = find(si, "DC0/vm/demo-ubuntu")
    assert [m.key for m in ds.host] == [host]
    mount = ds.host[0].mountInfo
    assert mount.mounted and mount.accessible and mount.accessMode == "readWrite"
    assert ds in host.datastore
    assert list(vm.datastore) == [ds]
    assert vm in ds.vm and find(si, "DC0/vm/demo-notools") in ds.vm
    assert ds in host.parent.datastore


def test_the_browser_lists_vm_folders_and_their_files(si: Any) -> None:
    ds = find(si, "DC0/datastore/datastore1")
    browser = ds.browser
    assert isinstance(browser, vim.host.DatastoreBrowser)
    assert ds in browser.datastore
    root = task_result(browser.SearchDatastore_Task("[datastore1]", B.SearchSpec()))
    assert root.datastore == ds
    folders = {f.path for f in root.file}
    assert {"demo-ubuntu", "demo-notools", "demo-windows"} <= folders
    assert all(isinstance(f, B.FolderInfo) for f in root.file)
    spec = B.SearchSpec(
        query=[B.VmDiskQuery(), B.VmConfigQuery()], details=B.FileInfo.Details(fileType=True, fileSize=True)
    )
    files = task_result(browser.SearchDatastore_Task("[datastore1] demo-ubuntu", spec))
    assert files.folderPath == "[datastore1] demo-ubuntu"
    by_name = {f.path: f for f in files.file}
    assert set(by_name) == {"demo-ubuntu.vmx", "demo-ubuntu.vmdk"}  # the -flat extent is not a disk
    assert isinstance(by_name["demo-ubuntu.vmdk"], B.VmDiskInfo)
    assert isinstance(by_name["demo-ubuntu.vmx"], B.VmConfigInfo) and by_name["demo-ubuntu.vmx"].fileSize > 0
    logs = task_result(browser.SearchDatastore_Task("[datastore1] demo-ubuntu/", B.SearchSpec(matchPattern=["*.log"])))
    assert [f.path for f in logs.file] == ["vmware.log"]
    every = task_result(browser.SearchDatastoreSubFolders_Task("[datastore1]", B.SearchSpec()))
    assert "[datastore1] demo-debian" in {r.folderPath for r in every}
    # The host's browser answers for the same datastore.
    host = find(si, "DC0/host/esx-01.gosc.local/esx-01.gosc.local")
    assert ds in host.datastoreBrowser.datastore


def test_the_browser_refuses_bad_paths_as_vsphere_does(si: Any) -> None:
    browser = find(si, "DC0/datastore/datastore1").browser
    with pytest.raises(vim.fault.InvalidDatastorePath) as bad:
        browser.SearchDatastore_Task("datastore1/demo-ubuntu", B.SearchSpec())
    assert bad.value.datastorePath == "datastore1/demo-ubuntu"
    with pytest.raises(vim.fault.InvalidDatastore) as unknown:
        browser.SearchDatastore_Task("[nosuch] x", B.SearchSpec())
    assert unknown.value.name == "nosuch"
    missing = task_error(browser.SearchDatastore_Task("[datastore1] no-such-vm", B.SearchSpec()))
    assert isinstance(missing, vim.fault.FileNotFound) and missing.file == "[datastore1] no-such-vm"


def test_the_vm_network_is_in_the_network_folder_on_the_host_and_backs_each_nic(si: Any) -> None:
    net = find(si, "DC0/network/VM Network")
    assert isinstance(net, vim.Network) and not isinstance(net, vim.dvs.DistributedVirtualPortgroup)
    assert net.summary.name == "VM Network" and net.summary.accessible is True and net.summary.network == net
    host = find(si, "DC0/host/esx-01.gosc.local/esx-01.gosc.local")
    assert list(net.host) == [host] and list(host.network) == [net]
    assert net in host.parent.network
    vm = find(si, "DC0/vm/demo-ubuntu")
    assert list(vm.network) == [net] and vm in net.vm
    nics = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)]
    assert nics
    for nic in nics:
        assert nic.backing.deviceName == "VM Network"
        assert nic.backing.network == net  # a real moref
        assert nic.backing.network.name == "VM Network"  # that resolves


def test_a_traversal_from_the_root_folder_reaches_datastores_and_networks(si: Any) -> None:
    content = si.RetrieveContent()
    found = collect(
        si,
        [(vim.Datastore, ["name", "summary.capacity"]), (vim.Network, ["name"]), (vim.HostSystem, ["name"])],
        inventory_traversal(),
        content.rootFolder,
    )
    ds = find(si, "DC0/datastore/datastore1")
    net = find(si, "DC0/network/VM Network")
    assert found[ds._moId]["name"] == "datastore1" and found[ds._moId]["summary.capacity"] > 0
    assert found[net._moId] == {"name": "VM Network"}
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.Datastore, vim.Network], True)
    try:
        assert {o._moId for o in view.view} == {ds._moId, net._moId}
    finally:
        view.DestroyView()


def test_the_datacenter_lists_its_datastore_and_network(si: Any) -> None:
    dc = find(si, "DC0")
    assert list(dc.datastore) == [find(si, "DC0/datastore/datastore1")]
    assert list(dc.network) == [find(si, "DC0/network/VM Network")]
    assert dc.configuration.defaultHardwareVersionKey == "vmx-21"
