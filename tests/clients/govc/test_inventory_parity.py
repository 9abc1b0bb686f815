"""govc 0.24's inventory commands of issue 13 against gosc: new datacenters, folders, clusters and
VMs, unregistering and registering a VM, and the host's network and storage listings.  Each reads
the effect back (govc's listings, the property collector) as vCenter would give it.

The tests run in order: vm.unregister and vm.register use the VM vm.create makes.  Once a second
datacenter and a cluster exist, govc needs the datacenter and host named (``-dc``, ``-host``), as
it does against a vCenter with more than one."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.clients.govc.run import collect, govc, lines
from tests.clients.govc.test_inventory import field
from tests.clients.targets import GOVC, Target, require

NEW_VM = "govc-created"  # vm.create makes it; vm.unregister and vm.register use it
VMX = f"[datastore1] {NEW_VM}/{NEW_VM}.vmx"


def refused(target: Target, *args: str) -> str:
    """govc's error for a command that must fail (exit 1, no panic)."""
    r = subprocess.run([str(require(GOVC)), *args], env=target.govc_env(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "panic:" not in r.stderr, f"govc {' '.join(args)}: exit {r.returncode}: {r.stderr}"
    return r.stderr.strip()


def size_gb(text: str) -> float:
    """govc's size ("252.0GB", "68.7 GB") in GB."""
    m = re.fullmatch(r"([\d.]+) ?([KMGT])B", text.strip())
    assert m is not None, f"not a size: {text!r}"
    return float(m[1]) * 1024.0 ** ("KMGT".index(m[2]) - 2)


@pytest.mark.compat("govc", "datacenter.create", target="gosc")
def test_datacenter_create(gosc_side: Target) -> None:
    govc(gosc_side, "datacenter.create", "govc-dc")
    assert "/govc-dc (Datacenter)" in lines(govc(gosc_side, "ls", "-l", "/"))
    # A datacenter comes with its four folders, no host and no cluster.
    assert lines(govc(gosc_side, "ls", "/govc-dc")) == [f"/govc-dc/{f}" for f in ("vm", "host", "datastore", "network")]
    out = govc(gosc_side, "datacenter.info", "govc-dc")
    assert field(out, "Name") == "govc-dc" and field(out, "Path") == "/govc-dc"
    assert field(out, "Hosts") == "0" and field(out, "Clusters") == "0"
    assert "govc-dc" in refused(gosc_side, "datacenter.create", "govc-dc")  # DuplicateName, naming it


@pytest.mark.compat("govc", "folder.create", target="gosc")
def test_folder_create(gosc_side: Target) -> None:
    path = f"/{gosc_side.datacenter}/vm/govc-folder"
    govc(gosc_side, "folder.create", path)
    govc(gosc_side, "folder.create", f"{path}/inner")
    out = govc(gosc_side, "folder.info", path)
    # A folder made in a VM folder holds what its parent holds.
    assert field(out, "Name") == "govc-folder" and field(out, "Path") == path
    assert field(out, "Types") == "Folder,VirtualMachine,VirtualApp" and field(out, "Children") == "1"
    assert lines(govc(gosc_side, "ls", "-l", path)) == [f"{path}/inner/"]  # govc marks a folder with "/"
    hosts = f"/{gosc_side.datacenter}/host/govc-hosts"
    govc(gosc_side, "folder.create", hosts)
    assert field(govc(gosc_side, "folder.info", hosts), "Types") == "Folder,ComputeResource"
    assert "govc-folder" in refused(gosc_side, "folder.create", path)


@pytest.mark.compat("govc", "cluster.create", target="gosc")
def test_cluster_create(gosc_side: Target) -> None:
    t = gosc_side
    govc(t, "cluster.create", "-dc", t.datacenter, "govc-cluster")
    path = f"/{t.datacenter}/host/govc-cluster"
    assert f"{path} (ClusterComputeResource)" in lines(govc(t, "ls", "-l", f"/{t.datacenter}/host"))
    props = collect(t, path, "summary.numHosts", "host", "resourcePool")
    hosts = (props["host"] or {}).get("ManagedObjectReference")  # govc's JSON of an empty ArrayOfManagedObjectReference
    assert props["summary.numHosts"] == 0 and not hosts and props["resourcePool"], props
    # Its root resource pool, as every compute resource has.
    assert field(govc(t, "pool.info", f"{path}/Resources"), "Path") == f"{path}/Resources"
    assert field(govc(t, "datacenter.info", t.datacenter), "Clusters") == "1"


@pytest.mark.compat("govc", "vm.create", target="gosc")
def test_vm_create(gosc_side: Target) -> None:
    t = gosc_side
    spec = ("-g", "ubuntu64Guest", "-m", "2048", "-c", "2", "-ds", "datastore1", "-net", t.network)
    govc(t, "vm.create", "-dc", t.datacenter, "-host", t.esx, "-on=false", *spec, NEW_VM)
    out = govc(t, "vm.info", "-dc", t.datacenter, "-r", NEW_VM)
    assert field(out, "Name") == NEW_VM and field(out, "Path") == f"/{t.datacenter}/vm/{NEW_VM}"
    assert field(out, "Guest name") == "Ubuntu Linux (64-bit)" and field(out, "Power state") == "poweredOff"
    assert field(out, "Memory") == "2048MB" and field(out, "CPU") == "2 vCPU(s)" and field(out, "Host") == t.esx
    assert field(out, "Storage") == "datastore1" and field(out, "Network") == t.network
    devices = {
        line.split()[0]: line.split()[1] for line in lines(govc(t, "device.ls", "-dc", t.datacenter, "-vm", NEW_VM))
    }
    assert "VirtualDisk" in devices.values() and devices.get("ethernet-0", "").startswith("Virtual"), devices
    assert collect(t, f"/{t.datacenter}/vm/{NEW_VM}", "config.files.vmPathName")["config.files.vmPathName"] == VMX
    # Its files are on the datastore, where vCenter puts a new VM's folder.
    assert f"{NEW_VM}.vmx" in lines(govc(t, "datastore.ls", "-dc", t.datacenter, NEW_VM))


@pytest.mark.compat("govc", "vm.unregister", target="gosc")
def test_vm_unregister(gosc_side: Target) -> None:
    t = gosc_side
    assert f"/{t.datacenter}/vm/{NEW_VM}" in lines(govc(t, "ls", f"/{t.datacenter}/vm")), "vm.create made none"
    govc(t, "vm.unregister", "-dc", t.datacenter, NEW_VM)
    assert f"/{t.datacenter}/vm/{NEW_VM}" not in lines(govc(t, "ls", f"/{t.datacenter}/vm"))
    assert govc(t, "find", "/", "-type", "m", "-name", NEW_VM).strip() == ""
    # Unlike vm.destroy, its files stay on the datastore.
    assert f"{NEW_VM}.vmx" in lines(govc(t, "datastore.ls", "-dc", t.datacenter, NEW_VM))


@pytest.mark.compat("govc", "vm.register", target="gosc")
def test_vm_register(gosc_side: Target) -> None:
    t = gosc_side
    assert govc(t, "find", "/", "-type", "m", "-name", NEW_VM).strip() == "", f"{NEW_VM} is still registered"
    govc(t, "vm.register", "-dc", t.datacenter, "-host", t.esx, VMX)
    path = f"/{t.datacenter}/vm/{NEW_VM}"  # named after its .vmx
    assert path in lines(govc(t, "ls", f"/{t.datacenter}/vm"))
    props = collect(t, path, "config.files.vmPathName", "config.guestId", "config.template", "runtime.powerState")
    assert props == {
        "config.files.vmPathName": VMX,
        "config.guestId": "ubuntu64Guest",
        "config.template": False,
        "runtime.powerState": "poweredOff",
    }
    assert field(govc(t, "vm.info", "-dc", t.datacenter, NEW_VM), "Memory") == "2048MB"  # the hardware it had
    assert "already" in refused(t, "vm.register", "-dc", t.datacenter, "-host", t.esx, VMX).lower()


@pytest.mark.compat("govc", "host.vswitch.info", target="gosc")
def test_host_vswitch_info(gosc_side: Target) -> None:
    t = gosc_side
    out = govc(t, "host.vswitch.info", "-dc", t.datacenter, "-host", t.esx)
    assert field(out, "Name") == "vSwitch0" and field(out, "Pnic") == "vmnic0" and field(out, "MTU") == "1500"
    # Its port groups: one per network of the datacenter, and the host's management network.
    networks = {p.rsplit("/", 1)[1] for p in lines(govc(t, "find", f"/{t.datacenter}", "-type", "n"))}
    assert set(field(out, "Portgroup").split(", ")) == networks | {"Management Network"}
    ports, available = int(field(out, "Ports")), int(field(out, "Ports Available"))
    assert 0 < available < ports, out


@pytest.mark.compat("govc", "host.portgroup.info", target="gosc")
def test_host_portgroup_info(gosc_side: Target) -> None:
    t = gosc_side
    blocks = govc(t, "host.portgroup.info", "-dc", t.datacenter, "-host", t.esx).strip().split("\n\n")
    groups = {field(b, "Name"): b for b in blocks}
    assert set(groups) == {t.network, "Management Network"}, groups
    for block in groups.values():
        assert field(block, "Virtual switch") == "vSwitch0" and field(block, "VLAN ID") == "0"
        for policy in ("Allow promiscuous mode", "Allow forged transmits", "Allow MAC changes"):
            assert field(block, policy) in ("Yes", "No"), block
    assert int(field(groups["Management Network"], "Active ports")) == 1  # vmk0
    # The VMs' NICs on the VM network hold ports of it.
    assert int(field(groups[t.network], "Active ports")) >= 1


@pytest.mark.compat("govc", "host.storage.info", target="gosc")
def test_host_storage_info(gosc_side: Target) -> None:
    t = gosc_side
    rows = [line.split() for line in lines(govc(t, "host.storage.info", "-dc", t.datacenter, "-host", t.esx))]
    assert rows[0] == ["Name", "Type", "Capacity", "Model"]
    disks = [r for r in rows[1:] if r[1] == "disk"]
    assert len(disks) == 1 and disks[0][0].startswith("/vmfs/devices/disks/mpx.vmhba0:"), rows
    assert rows[1:][rows[1:].index(disks[0])][-1] == "(local,ssd)"
    # The datastore lives on that disk: the disk is at least as large.
    capacity = field(govc(t, "datastore.info", "-dc", t.datacenter, "datastore1"), "Capacity")
    assert size_gb(disks[0][2]) >= size_gb(capacity)
    hbas = [
        line.split() for line in lines(govc(t, "host.storage.info", "-dc", t.datacenter, "-host", t.esx, "-t", "hba"))
    ]
    assert hbas[0][:4] == ["Device", "PCI", "Driver", "Status"]
    assert [h[:3] for h in hbas[1:]] == [["vmhba0", "0000:03:00.0", "pvscsi"]], hbas
