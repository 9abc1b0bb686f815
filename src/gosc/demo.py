"""The demo inventory: one datacenter, one host, and guests to customize; and on request
a big inventory of idle VMs beside it (``add_scale_inventory``, ``gosc serve --demo-vms``).

``demo-ubuntu`` is a powered-on Ubuntu guest with tools running, one NIC, and the guest
account root / ``VMware1!``; ``demo-notools`` is powered on without tools.  A guest of
each other family is there, powered on, for trying every renderer.
"""

from __future__ import annotations

import uuid
from typing import Any

from pyVmomi import vim

from .inventory.base import now
from .inventory.cluster_compute_resource import ClusterComputeResource
from .inventory.datacenter import Datacenter
from .inventory.host_system import HostSystem
from .inventory.resource_pool import ResourcePool
from .inventory.service_instance import ServiceInstance
from .inventory.virtual_machine import VirtualMachine
from .inventory.vm_config import ConfigSeed

DATACENTER = "DC0"
LINUX = ("ubuntu64Guest", "Ubuntu Linux (64-bit)")  # the VMs of a big inventory
HOST = "esx-01.gosc.local"

# name, family, guestId, guestFullName, tools
DEMO_VMS = (
    ("demo-ubuntu", "ubuntu", "ubuntu64Guest", "Ubuntu Linux (64-bit)", True),
    ("demo-notools", "ubuntu", "ubuntu64Guest", "Ubuntu Linux (64-bit)", False),
    ("demo-debian", "debian", "debian12_64Guest", "Debian GNU/Linux 12 (64-bit)", True),
    ("demo-centos7", "centos7", "centos7_64Guest", "CentOS 7 (64-bit)", True),
    ("demo-rhel9", "rhel9", "rhel9_64Guest", "Red Hat Enterprise Linux 9 (64-bit)", True),
    ("demo-sles15", "sles15", "sles15_64Guest", "SUSE Linux Enterprise 15 (64-bit)", True),
    ("demo-photon", "photon5", "vmwarePhoton64Guest", "VMware Photon OS (64-bit)", True),
    ("demo-windows", "windows", "windows2019srvNext_64Guest", "Microsoft Windows Server 2022 (64-bit)", True),
)


async def ensure_demo_inventory(si: ServiceInstance, backend: str = "rootfs") -> None:
    """Create the demo inventory unless the store already holds a datacenter.

    ``backend`` holds the Linux guests (``netns``: live guests); Windows stays a tree."""
    if any(isinstance(o, Datacenter) for o in si.entities.values()):
        return
    dc = si.create_datacenter(DATACENTER)
    host = si.create_host(HOST, dc)
    pool = host.parent_obj.pools()[0]
    for name, family, guest_id, full_name, tools in DEMO_VMS:
        vm_backend = "rootfs" if family == "windows" else backend
        vm = si.create_vm(
            name=name,
            folder=dc.folders["vm"],
            host=host,
            pool=pool,
            guest_id=guest_id,
            guest_full_name=full_name,
            nic_count=1,
            backend=vm_backend,
            tools_installed=tools,
            family=family,
        )
        si.backend(vm_backend).create_from_skeleton(vm, family)
        # Its history, as a vCenter holds one for every VM (govc events, event collectors).
        where = f"on {host.name} in {dc.name}"
        si.event_manager.post(
            vim.event.VmCreatedEvent(userName="", template=False, fullFormattedMessage=f"Created {name} {where}"), vm
        )
        await vm.power_on()
        si.event_manager.post(
            vim.event.VmPoweredOnEvent(
                userName="", template=False, fullFormattedMessage=f"{name} {where} is powered on"
            ),
            vm,
        )


# ------------------------------------------------------------ a big inventory (gosc serve --demo-vms N)

CLUSTER_HOSTS = 3  # hosts in each cluster, as vcsim's -host defaults
_BATCH = 10_000  # VMs stored per transaction
_SCALE_MARK = "demo-scale"  # the store's record that the big inventory was made


def ensure_scale_inventory(si: ServiceInstance, vms: int, hosts: int, clusters: int, backend: str) -> None:
    """Add the big inventory unless this data directory has had one (it is made once;
    its VMs are then the store's, as any others)."""
    if any(True for _ in si.store.load(_SCALE_MARK)):
        return
    add_scale_inventory(si, vms, hosts, clusters, backend)
    si.store.put(_SCALE_MARK, "made", {"vms": vms, "hosts": hosts, "clusters": clusters})


def add_scale_inventory(
    si: ServiceInstance, vms: int, hosts: int = 1, clusters: int = 0, backend: str = "rootfs"
) -> None:
    """``vms`` powered-on Ubuntu VMs in the demo datacenter, spread over ``hosts``
    standalone hosts (``DC0_H0`` ...) and ``clusters`` clusters (``DC0_C0`` ...) of
    three hosts each (``DC0_C0_H0`` ...), named after their host as vcsim names them
    (``DC0_H0_VM0``, ``DC0_C0_H0_VM0``).  Each is an inventory record: its ConfigInfo is
    built when first read and its guest tree made when first needed (docs/decisions.md,
    "Inventories at scale"); the records are stored a batch per transaction."""
    dc = next(o for o in si.entities.values() if isinstance(o, Datacenter) and o.name == DATACENTER)
    places: list[tuple[HostSystem, ResourcePool]] = []
    for h in range(hosts):
        host = si.create_host(f"{DATACENTER}_H{h}", dc)
        places.append((host, host.parent_obj.pools()[0]))
    for c in range(clusters):
        name = f"{DATACENTER}_C{c}"
        cluster = si.register(ClusterComputeResource(si, si.new_moid("domain-c"), name, dc.folders["host"]))
        si.save(cluster)
        pool = si.register(ResourcePool(si, si.new_moid("resgroup"), "Resources", cluster))
        si.save(pool)
        for h in range(CLUSTER_HOSTS):
            host = si.register(HostSystem(si, si.new_moid("host"), f"{name}_H{h}", cluster))
            si.save(host)
            places.append((host, pool))
    si.ensure_browsers()
    if not places or vms <= 0:
        return
    folder = dc.folders["vm"]
    placement = si.placement(folder)
    created = now()
    all_macs = si.new_macs(vms)  # at once: each call looks at every VM's MACs
    for start in range(0, vms, _BATCH):
        count = min(_BATCH, vms - start)
        moids = si.store.next_ids("vm", count)
        docs: list[tuple[str, dict[str, Any]]] = []
        for i, n, mac in zip(range(start, start + count), moids, all_macs[start : start + count], strict=True):
            host, pool = places[i % len(places)]
            name = f"{host.name}_VM{i // len(places)}"
            seed = ConfigSeed(
                name, LINUX[0], LINUX[1], (mac,), str(uuid.uuid4()), str(uuid.uuid4()), created, placement
            )
            vm = VirtualMachine(
                si,
                f"vm-{n}",
                name,
                folder,
                config=seed,
                host=host,
                pool=pool,
                backend=backend,
                tools_installed=True,
                family="ubuntu",
            )
            vm.power_state, vm.boot_time, vm.guest_pending = "poweredOn", created, True
            si.register(vm)
            doc = vm.to_doc()
            doc["parent"] = folder.moId
            docs.append((vm.moId, doc))
        si.store.put_many("vm", docs)
    si.notify(folder, "childEntity")
