"""What issue 13's workflows make survives a restart: a datacenter with a folder and a cluster
(its configuration and root pool), a scheduled task (its schedule and state), and an unregistered
VM (gone from the inventory, its files on the datastore, registrable again with its identity)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from pyVmomi import vim

from tests.conftest import write_users
from tests.inventory.support import find, power_off_once, task_result
from tests.inventory.test_inventory_restart import connect_to
from tests.support.server import GoscServer

HOST = "DC0/host/esx-01.gosc.local/esx-01.gosc.local"


def files_of(si: Any, folder: str) -> list[str]:
    browser = find(si, "DC0/datastore/datastore1").browser
    result = task_result(browser.SearchDatastore_Task(f"[datastore1] {folder}", vim.host.DatastoreBrowser.SearchSpec()))
    return sorted(f.path for f in result.file)


def test_clusters_scheduled_tasks_and_unregistered_vms_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_users(data)
    server = GoscServer(data).start()
    try:
        si = connect_to(server)
        content = si.RetrieveContent()
        dc = content.rootFolder.CreateDatacenter("DC-R")
        folder = dc.hostFolder.CreateFolder("racks")
        drs = vim.cluster.DrsConfigInfo(enabled=True, defaultVmBehavior="fullyAutomated")
        cluster = folder.CreateClusterEx("CL-R", vim.cluster.ConfigSpecEx(drsConfig=drs))
        pool = cluster.resourcePool

        vm = find(si, "DC0/vm/demo-debian")
        when = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7)).replace(microsecond=0)
        spec = power_off_once("weekly off", "kept over a restart", when)
        scheduled = content.scheduledTaskManager.CreateScheduledTask(vm, spec)

        host = find(si, HOST)
        config = vim.vm.ConfigSpec(
            name="kept-off", guestId="debian12_64Guest", files=vim.vm.FileInfo(vmPathName="[datastore1]")
        )
        gone = task_result(find(si, "DC0/vm").CreateVm(config, pool=host.parent.resourcePool, host=host))
        identity = (gone.config.instanceUuid, gone.config.uuid, gone.config.files.vmPathName)
        files = files_of(si, "kept-off")
        gone.UnregisterVM()

        server.stop()
        server.start()
        si = connect_to(server)
        content = si.RetrieveContent()

        cluster = find(si, "DC-R/host/racks/CL-R")
        assert isinstance(cluster, vim.ClusterComputeResource) and cluster.resourcePool._moId == pool._moId
        assert cluster.configurationEx.drsConfig.enabled is True
        assert cluster.configurationEx.drsConfig.defaultVmBehavior == "fullyAutomated"
        assert find(si, "DC-R").hostFolder.childEntity[0].name == "racks"

        vm = find(si, "DC0/vm/demo-debian")
        [again] = content.scheduledTaskManager.RetrieveEntityScheduledTask(vm)
        assert again._moId == scheduled._moId
        info = again.info
        assert (info.name, info.description, info.state, info.enabled) == (
            "weekly off",
            "kept over a restart",
            "queued",
            True,
        )
        assert info.nextRunTime == when and info.scheduler.runAt == when and info.prevRunTime is None
        assert info.action.name.info.wsdlName == "PowerOffVM_Task" and info.entity == vm

        assert content.searchIndex.FindByInventoryPath("DC0/vm/kept-off") is None
        assert files_of(si, "kept-off") == files  # its files stayed on the datastore
        host = find(si, HOST)
        back = task_result(
            find(si, "DC0/vm").RegisterVM_Task(
                path=identity[2], asTemplate=False, pool=host.parent.resourcePool, host=host
            )
        )
        assert back.name == "kept-off" and back.runtime.powerState == "poweredOff"
        assert (back.config.instanceUuid, back.config.uuid, back.config.files.vmPathName) == identity
    finally:
        server.stop()
