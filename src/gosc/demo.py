"""The demo inventory: one datacenter, one host, and guests to customize.

``demo-ubuntu`` is a powered-on Ubuntu guest with tools running, one NIC, and the guest
account root / ``VMware1!``; ``demo-notools`` is powered on without tools.  A guest of
each other family is there, powered on, for trying every renderer.
"""

from __future__ import annotations

from pyVmomi import vim

from .inventory.datacenter import Datacenter
from .inventory.service_instance import ServiceInstance

DATACENTER = "DC0"
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
