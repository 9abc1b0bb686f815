"""The inventory survives a restart, and a data directory made before datastores and
networks existed loads with them (and its VMs' devices) made."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from pyVim import connect
from pyVmomi import vim

from tests.conftest import write_users
from tests.inventory.support import find, task_result
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer

D = vim.vm.device
# What a VM's config held before this change (gosc 0.x): no devices but its NICs.
OLD_CONFIG_KEYS = {
    "_typeName",
    "name",
    "guestId",
    "guestFullName",
    "version",
    "uuid",
    "instanceUuid",
    "template",
    "changeVersion",
    "modified",
    "createDate",
    "hardware",
    "extraConfig",
    "files",
}


def connect_to(server: GoscServer) -> Any:
    smart_connect: Any = connect.SmartConnect
    return smart_connect(
        host="127.0.0.1", port=server.port, user=ADMIN, pwd=ADMIN_PASSWORD, disableSslCertValidation=True
    )


def inventory_facts(si: Any, vm_name: str) -> dict[str, Any]:
    vm = find(si, f"DC0/vm/{vm_name}")
    ds = find(si, "DC0/datastore/datastore1")
    net = find(si, "DC0/network/VM Network")
    [disk] = [d for d in vm.config.hardware.device if isinstance(d, D.VirtualDisk)]
    return {
        "datastore": ds._moId,
        "url": ds.summary.url,
        "network": net._moId,
        "disk": disk.backing.fileName,
        "diskUuid": disk.backing.uuid,
        "nicNetworks": [
            n.backing.network._moId for n in vm.config.hardware.device if isinstance(n, D.VirtualEthernetCard)
        ],
        "vmDatastores": [d._moId for d in vm.datastore],
        "tools": vm.config.tools.toolsVersion,
        "browser": vm.environmentBrowser._moId,
    }


def test_datastore_network_and_vm_devices_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_users(data)
    server = GoscServer(data).start()
    try:
        si = connect_to(server)
        src = find(si, "DC0/vm/demo-ubuntu")
        task_result(src.InstantClone_Task(vim.vm.InstantCloneSpec(name="kept", location=vim.vm.RelocateSpec())))
        before = inventory_facts(si, "kept")
        assert before["disk"] == "[datastore1] kept/kept.vmdk"
        assert before["nicNetworks"] == [before["network"]] and before["vmDatastores"] == [before["datastore"]]
        browsers = [vim.EnvironmentBrowser(before["browser"]), find(si, "DC0/datastore/datastore1").browser]
        server.stop()
        server.start()
        si = connect_to(server)
        # Morefs a client kept answer at once, before anything reads them again.
        env, ds_browser = (type(b)(b._moId, si._stub) for b in browsers)
        assert env.QueryConfigOption().version == "vmx-21"
        assert ds_browser.datastore[0]._moId == before["datastore"]
        assert inventory_facts(si, "kept") == before
        assert inventory_facts(si, "demo-ubuntu")["disk"] == "[datastore1] demo-ubuntu/demo-ubuntu.vmdk"
    finally:
        server.stop()


def _make_old(db: Path) -> None:
    """Rewrite the store as an older gosc left it: no datastore or network documents, VMs
    with only their NICs (no network moref) and none of the newer config."""
    con = sqlite3.connect(db)
    try:
        con.execute("DELETE FROM doc WHERE kind IN ('datastore', 'network')")
        for key, body in con.execute("SELECT key, body FROM doc WHERE kind = 'vm'").fetchall():
            doc = json.loads(body)
            config = {k: v for k, v in doc["config"].items() if k in OLD_CONFIG_KEYS}
            hw = config["hardware"]
            nics = [d for d in hw["device"] if "macAddress" in d]
            for nic in nics:
                nic["backing"].pop("network", None)
            config["hardware"] = {k: hw[k] for k in ("_typeName", "numCPU", "numCoresPerSocket", "memoryMB")}
            config["hardware"]["device"] = nics
            config["files"] = {"_typeName": "VirtualMachineFileInfo", "vmPathName": config["files"]["vmPathName"]}
            doc["config"] = config
            con.execute("UPDATE doc SET body = ? WHERE kind = 'vm' AND key = ?", (json.dumps(doc), key))
        con.commit()
    finally:
        con.close()


def test_a_data_dir_without_datastores_and_networks_loads_with_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_users(data)
    server = GoscServer(data).start()
    try:
        server.stop()
        _make_old(data / "gosc.db")
        server.start()
        si = connect_to(server)
        ds = find(si, "DC0/datastore/datastore1")
        net = find(si, "DC0/network/VM Network")
        vm = find(si, "DC0/vm/demo-ubuntu")
        assert vm.runtime.powerState == "poweredOn"
        [disk] = [d for d in vm.config.hardware.device if isinstance(d, D.VirtualDisk)]
        assert disk.backing.fileName == "[datastore1] demo-ubuntu/demo-ubuntu.vmdk" and disk.backing.datastore == ds
        nics = [d for d in vm.config.hardware.device if isinstance(d, D.VirtualEthernetCard)]
        assert [n.backing.network for n in nics] == [net]
        [pci] = [d for d in vm.config.hardware.device if isinstance(d, D.VirtualPCIController)]
        assert all(n.key in pci.device for n in nics)
        assert vm.config.tools.toolsVersion > 0 and vm.config.files.logDirectory == "[datastore1] demo-ubuntu"
        assert list(vm.datastore) == [ds] and list(vm.network) == [net]
        # What was made at load is stored: the next start finds the same objects.
        facts = inventory_facts(si, "demo-ubuntu")
        server.stop()
        server.start()
        assert inventory_facts(connect_to(server), "demo-ubuntu") == facts
    finally:
        server.stop()
