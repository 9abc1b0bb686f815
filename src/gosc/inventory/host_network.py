"""A host's network and storage configuration, as ESXi reports it: what ``HostSystem.config``
shows and its network and storage systems answer (one source, so the two always agree).

The network is a standard switch ``vSwitch0`` on one physical NIC ``vmnic0``, a port group
per ``Network`` of the host's datacenter ("VM Network"), and the ``Management Network`` port
group with the host's VMkernel NIC ``vmk0`` (127.0.0.1, as vcsim's host answers).  Storage is
one paravirtual SCSI adapter ``vmhba0`` with the local disk the datastores live on.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from pyVmomi import vim

if TYPE_CHECKING:
    from .host_system import HostSystem

VSWITCH = "vSwitch0"
PNIC = "vmnic0"
VNIC = "vmk0"
MANAGEMENT = "Management Network"
VMK_IP = "127.0.0.1"
HBA = "vmhba0"
DISK = "mpx.vmhba0:C0:T0:L0"
BLOCK_SIZE = 512
VSWITCH_PORTS = 128  # what ESXi's installer gives vSwitch0 (numPorts adds its reserved ports)


def vswitch_key(name: str = VSWITCH) -> str:
    return f"key-vim.host.VirtualSwitch-{name}"


def portgroup_key(name: str) -> str:
    return f"key-vim.host.PortGroup-{name}"


def pnic_key(device: str = PNIC) -> str:
    return f"key-vim.host.PhysicalNic-{device}"


def host_mac(host: HostSystem, salt: str) -> str:
    """A stable MAC of the host's own (VMware OUI 00:0c:29, as a nested ESXi has)."""
    h = hashlib.sha256(f"{host.si.instance_uuid}/{host.moId}/{salt}".encode()).digest()
    return f"00:0c:29:{h[0]:02x}:{h[1]:02x}:{h[2]:02x}"


def policy() -> vim.host.NetworkPolicy:
    """The effective policy of a standard switch as ESXi's installer leaves it."""
    return vim.host.NetworkPolicy(
        security=vim.host.NetworkPolicy.SecurityPolicy(allowPromiscuous=False, macChanges=False, forgedTransmits=False),
        nicTeaming=vim.host.NetworkPolicy.NicTeamingPolicy(
            policy="loadbalance_srcid",
            reversePolicy=True,
            notifySwitches=True,
            rollingOrder=False,
            failureCriteria=vim.host.NetworkPolicy.NicFailureCriteria(
                checkSpeed="minimum",
                speed=10,
                checkDuplex=False,
                fullDuplex=False,
                checkErrorPercent=False,
                percentage=0,
                checkBeacon=False,
            ),
            nicOrder=vim.host.NetworkPolicy.NicOrderPolicy(activeNic=[PNIC]),
        ),
        offloadPolicy=vim.host.NetOffloadCapabilities(csumOffload=True, tcpSegmentation=True, zeroCopyXmit=True),
        shapingPolicy=vim.host.NetworkPolicy.TrafficShapingPolicy(enabled=False),
    )


def _vm_ports(host: HostSystem, network_moid: str | None) -> list[vim.host.PortGroup.Port]:
    """One port per connected NIC of the host's powered-on VMs on that network."""
    ports: list[vim.host.PortGroup.Port] = []
    for vm in host.vms():
        if vm.power_state != "poweredOn":
            continue
        for dev in vm.nics():
            backing = dev.backing
            net = getattr(backing, "network", None)
            if net is not None and net._moId == network_moid and dev.macAddress:
                key = f"key-vim.host.PortGroup.Port-{50331648 + len(ports)}"
                ports.append(vim.host.PortGroup.Port(key=key, mac=[dev.macAddress], type="virtualMachine"))
    return ports


def portgroups(host: HostSystem) -> list[vim.host.PortGroup]:
    names = [(n.name, n.moId) for n in host.networks()] + [(MANAGEMENT, None)]
    out = []
    for name, moid in names:
        ports = (
            _vm_ports(host, moid)
            if moid
            else [
                vim.host.PortGroup.Port(
                    key="key-vim.host.PortGroup.Port-33554436", mac=[host_mac(host, VNIC)], type="host"
                )
            ]
        )
        out.append(
            vim.host.PortGroup(
                key=portgroup_key(name),
                port=ports,
                vswitch=vswitch_key(),
                computedPolicy=policy(),
                spec=vim.host.PortGroup.Specification(
                    name=name,
                    vlanId=0,
                    vswitchName=VSWITCH,
                    policy=vim.host.NetworkPolicy(
                        security=vim.host.NetworkPolicy.SecurityPolicy(),
                        nicTeaming=vim.host.NetworkPolicy.NicTeamingPolicy(),
                        offloadPolicy=vim.host.NetOffloadCapabilities(),
                        shapingPolicy=vim.host.NetworkPolicy.TrafficShapingPolicy(),
                    ),
                ),
            )
        )
    return out


def vswitches(host: HostSystem) -> list[vim.host.VirtualSwitch]:
    groups = portgroups(host)
    used = sum(len(pg.port) for pg in groups)
    return [
        vim.host.VirtualSwitch(
            name=VSWITCH,
            key=vswitch_key(),
            numPorts=VSWITCH_PORTS + 8,
            numPortsAvailable=VSWITCH_PORTS - used,
            mtu=1500,
            portgroup=[pg.key for pg in groups],
            pnic=[pnic_key()],
            spec=vim.host.VirtualSwitch.Specification(
                numPorts=VSWITCH_PORTS,
                bridge=vim.host.VirtualSwitch.BondBridge(
                    nicDevice=[PNIC],
                    beacon=vim.host.VirtualSwitch.BeaconConfig(interval=1),
                    linkDiscoveryProtocolConfig=vim.host.LinkDiscoveryProtocolConfig(
                        protocol="cdp", operation="listen"
                    ),
                ),
                policy=policy(),
                mtu=1500,
            ),
        )
    ]


def pnics(host: HostSystem) -> list[vim.host.PhysicalNic]:
    speed = vim.host.PhysicalNic.LinkSpeedDuplex(speedMb=10000, duplex=True)
    return [
        vim.host.PhysicalNic(
            key=pnic_key(),
            device=PNIC,
            pci="0000:0b:00.0",
            driver="nvmxnet3",
            linkSpeed=speed,
            validLinkSpecification=[speed],
            spec=vim.host.PhysicalNic.Specification(linkSpeed=speed),
            wakeOnLanSupported=False,
            mac=host_mac(host, PNIC),
            fcoeConfiguration=None,
            vmDirectPathGen2Supported=False,
            resourcePoolSchedulerAllowed=True,
            autoNegotiateSupported=False,
        )
    ]


def vnics(host: HostSystem) -> list[vim.host.VirtualNic]:
    return [
        vim.host.VirtualNic(
            device=VNIC,
            key=f"key-vim.host.VirtualNic-{VNIC}",
            portgroup=MANAGEMENT,
            port="key-vim.host.PortGroup.Port-33554436",
            spec=vim.host.VirtualNic.Specification(
                ip=vim.host.IpConfig(dhcp=False, ipAddress=VMK_IP, subnetMask="255.0.0.0"),
                mac=host_mac(host, VNIC),
                portgroup=MANAGEMENT,
                mtu=1500,
                tsoEnabled=True,
                netStackInstanceKey="defaultTcpipStack",
            ),
        )
    ]


def dns_config(host: HostSystem) -> vim.host.DnsConfig:
    short, _, domain = host.name.partition(".")
    return vim.host.DnsConfig(
        dhcp=False,
        hostName=short,
        domainName=domain or "localdomain",
        address=[],
        searchDomain=[domain] if domain else [],
    )


def route_config() -> vim.host.IpRouteConfig:
    return vim.host.IpRouteConfig(defaultGateway=VMK_IP, gatewayDevice=VNIC)


def network_info(host: HostSystem) -> vim.host.NetworkInfo:
    return vim.host.NetworkInfo(
        vswitch=vswitches(host),
        portgroup=portgroups(host),
        pnic=pnics(host),
        vnic=vnics(host),
        dnsConfig=dns_config(host),
        ipRouteConfig=route_config(),
        routeTableInfo=vim.host.IpRouteTableInfo(
            ipRoute=[
                vim.host.IpRouteEntry(network="0.0.0.0", prefixLength=0, gateway=VMK_IP, deviceName=VNIC),
                vim.host.IpRouteEntry(network="127.0.0.0", prefixLength=8, gateway="0.0.0.0", deviceName=VNIC),
            ]
        ),
        atBootIpV6Enabled=False,
        ipV6Enabled=False,
    )


# ------------------------------------------------------------------ storage


def disk_blocks(host: HostSystem) -> int:
    """The local disk's size in blocks: the data directory's file system, where datastores live."""
    stores = host.datastores()
    capacity = stores[0].space()[0] if stores else 64 * 2**30
    return capacity // BLOCK_SIZE


def storage_device_info(host: HostSystem) -> vim.host.StorageDeviceInfo:
    uuid = "0000000000766d686261303a303a30"  # ESXi's id of an mpx disk: its name in hex, zero-padded
    lun_key = f"key-vim.host.ScsiDisk-{uuid}"
    hba = vim.host.ParallelScsiHba(
        key=f"key-vim.host.ParallelScsiHba-{HBA}",
        device=HBA,
        bus=3,
        status="unknown",
        model="PVSCSI SCSI Controller",
        driver="pvscsi",
        pci="0000:03:00.0",
        storageProtocol="scsi",
    )
    disk = vim.host.ScsiDisk(
        deviceName=f"/vmfs/devices/disks/{DISK}",
        deviceType="disk",
        key=lun_key,
        uuid=uuid,
        canonicalName=DISK,
        displayName=f"Local VMware Disk ({DISK})",
        lunType="disk",
        vendor="VMware  ",
        model="Virtual disk    ",
        revision="2.0 ",
        scsiLevel=6,
        serialNumber="unavailable",
        operationalState=["ok"],
        capabilities=vim.host.ScsiLun.Capabilities(updateDisplayNameSupported=True),
        queueDepth=1024,
        capacity=vim.host.DiskDimensions.Lba(blockSize=BLOCK_SIZE, block=disk_blocks(host)),
        devicePath=f"/vmfs/devices/disks/{DISK}",
        ssd=True,
        localDisk=True,
        emulatedDIXDIFEnabled=False,
        scsiDiskType="native512",
    )
    path = vim.host.MultipathInfo.Path(
        key=f"key-vim.host.MultipathInfo.Path-{HBA}:C0:T0:L0",
        name=f"{HBA}:C0:T0:L0",
        pathState="active",
        state="active",
        isWorkingPath=True,
        adapter=hba.key,
        lun=f"key-vim.host.MultipathInfo.LogicalUnit-{uuid}",
    )
    return vim.host.StorageDeviceInfo(
        hostBusAdapter=[hba],
        scsiLun=[disk],
        scsiTopology=vim.host.ScsiTopology(
            adapter=[
                vim.host.ScsiTopology.Interface(
                    key=f"key-vim.host.ScsiTopology.Interface-{HBA}",
                    adapter=hba.key,
                    target=[
                        vim.host.ScsiTopology.Target(
                            key=f"key-vim.host.ScsiTopology.Target-{HBA}:0:0",
                            target=0,
                            lun=[
                                vim.host.ScsiTopology.Lun(
                                    key=f"key-vim.host.ScsiTopology.Lun-{uuid}", lun=0, scsiLun=lun_key
                                )
                            ],
                            transport=vim.host.ParallelScsiTargetTransport(),
                        )
                    ],
                )
            ]
        ),
        multipathInfo=vim.host.MultipathInfo(
            lun=[
                vim.host.MultipathInfo.LogicalUnit(
                    key=f"key-vim.host.MultipathInfo.LogicalUnit-{uuid}",
                    id=uuid,
                    lun=lun_key,
                    path=[path],
                    policy=vim.host.MultipathInfo.FixedLogicalUnitPolicy(policy="VMW_PSP_FIXED", prefer=path.name),
                )
            ]
        ),
        softwareInternetScsiEnabled=False,
    )
