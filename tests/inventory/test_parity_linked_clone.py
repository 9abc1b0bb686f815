"""The pyvmomi-community-samples ``linked_clone.py`` (ec890d5, unchanged, in tests/data/community-
samples) against gosc: it needs a cluster with the host, which ``CreateClusterEx`` and
``MoveInto_Task`` make, then snapshots its template and clones it from that snapshot
(``createNewChildDiskBacking``) into the cluster's pool, powered on.  The result is read back,
and the host's move into the cluster survives a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyVmomi import vim, vmodl

from gosc.testing import Gosc
from tests.conftest import write_users
from tests.inventory.support import find, task_result
from tests.inventory.test_inventory_restart import connect_to
from tests.inventory.test_parity_samples import run
from tests.support.server import GoscServer


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()
    }


def test_linked_clone_sample_in_a_cluster(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_users(data)
    server = GoscServer(data).start()
    try:
        si = connect_to(server)
        dc = find(si, "DC0")
        cluster = dc.hostFolder.CreateClusterEx("CL-L", vim.cluster.ConfigSpecEx())
        host = find(si, "DC0/host/esx-01.gosc.local/esx-01.gosc.local")
        standalone = host.parent
        template = find(si, "DC0/vm/demo-ubuntu")
        task_result(cluster.MoveInto_Task([host]))
        assert list(cluster.host) == [host] and host.parent == cluster and cluster.summary.numHosts == 1
        assert si.RetrieveContent().searchIndex.FindByInventoryPath("DC0/host/esx-01.gosc.local") is None
        assert standalone._moId not in {e._moId for e in dc.hostFolder.childEntity}
        assert template.resourcePool == cluster.resourcePool  # the host's VMs came with it
        with pytest.raises(vmodl.fault.InvalidArgument):
            cluster.MoveInto_Task([host])  # in the cluster already

        where = ("--template", "demo-ubuntu", "--datacenter-name", "DC0", "--cluster-name", "CL-L")
        out = run(Gosc(server), "linked_clone.py", "-v", "lc-vm", *where)  # no host named: the pool's
        out += run(Gosc(server), "linked_clone.py", "-v", "lc-vm2", *where, "--esx-name", "esx-01.gosc.local")
        assert "Successfully taken snapshot of 'demo-ubuntu'" in out
        assert "Successfully cloned and created the VM 'lc-vm'" in out
        assert "Successfully cloned and created the VM 'lc-vm2'" in out
        [snap] = template.snapshot.rootSnapshotList
        assert snap.name == "test_snapshot" and not snap.childSnapshotList  # the second run reused it
        for name in ("lc-vm", "lc-vm2"):
            clone = find(si, f"DC0/vm/{name}")
            assert clone.runtime.powerState == "poweredOn" and clone.runtime.host == host
            assert clone.resourcePool == cluster.resourcePool and clone.snapshot is None
            assert clone.config.guestId == template.config.guestId
            assert clone.config.instanceUuid != template.config.instanceUuid

        server.stop()
        server.start()
        si = connect_to(server)
        cluster = find(si, "DC0/host/CL-L")
        host = find(si, "DC0/host/CL-L/esx-01.gosc.local")
        assert list(cluster.host) == [host] and cluster.summary.numHosts == 1
        assert find(si, "DC0/vm/lc-vm").resourcePool == cluster.resourcePool
        assert find(si, "DC0/vm/demo-debian").resourcePool == cluster.resourcePool
    finally:
        server.stop()
