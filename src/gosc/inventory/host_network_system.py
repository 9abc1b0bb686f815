"""HostNetworkSystem: a host's network configuration (``configManager.networkSystem``).

It reads what ``host_network`` builds from the inventory, so that ``networkInfo`` and
``HostSystem.config.network`` always agree with the datacenter's ``Network`` objects.
gosc's hosts keep one switch: the methods that would change it are not implemented.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim.faults import fault
from . import host_network
from .base import CallContext, ManagedObject

if TYPE_CHECKING:
    from .host_system import HostSystem
    from .service_instance import ServiceInstance


class HostNetworkSystem(ManagedObject):
    vim_type = vim.host.NetworkSystem

    def __init__(self, si: ServiceInstance, moId: str, host: HostSystem) -> None:
        super().__init__(si, moId)
        self.host = host

    @classmethod
    def of(cls, host: HostSystem) -> HostNetworkSystem:
        """The host's network system (made on first use: it keeps no state, so nothing is stored)."""
        obj = host.si.objects.get(f"networkSystem-{host.moId}")
        if isinstance(obj, HostNetworkSystem):
            return obj
        return host.si.register(cls(host.si, f"networkSystem-{host.moId}", host))

    def prop_networkInfo(self, ctx: CallContext) -> vim.host.NetworkInfo:
        return host_network.network_info(self.host)

    def prop_networkConfig(self, ctx: CallContext) -> vim.host.NetworkConfig:
        info = host_network.network_info(self.host)
        return vim.host.NetworkConfig(
            vswitch=[
                vim.host.VirtualSwitch.Config(changeOperation="edit", name=v.name, spec=v.spec) for v in info.vswitch
            ],
            portgroup=[vim.host.PortGroup.Config(changeOperation="edit", spec=p.spec) for p in info.portgroup],
            pnic=[vim.host.PhysicalNic.Config(device=p.device, spec=p.spec) for p in info.pnic],
            vnic=[
                vim.host.VirtualNic.Config(changeOperation="edit", device=v.device, portgroup=v.portgroup, spec=v.spec)
                for v in info.vnic
            ],
            dnsConfig=info.dnsConfig,
            ipRouteConfig=info.ipRouteConfig,
        )

    def prop_dnsConfig(self, ctx: CallContext) -> vim.host.DnsConfig:
        return host_network.dns_config(self.host)

    def prop_ipRouteConfig(self, ctx: CallContext) -> vim.host.IpRouteConfig:
        return host_network.route_config()

    def prop_capabilities(self, ctx: CallContext) -> vim.host.NetCapabilities:
        return vim.host.NetCapabilities(
            canSetPhysicalNicLinkSpeed=False,
            supportsNicTeaming=True,
            nicTeamingPolicy=["loadbalance_ip", "loadbalance_srcmac", "loadbalance_srcid", "failover_explicit"],
            supportsVlan=True,
            usesServiceConsoleNic=False,
            supportsNetworkHints=True,
            vswitchConfigSupported=True,
            vnicConfigSupported=True,
            ipRouteConfigSupported=True,
            dnsConfigSupported=True,
            dhcpOnVnicSupported=True,
            ipV6Supported=True,
            backupNfcNiocSupported=False,
        )

    def prop_offloadCapabilities(self, ctx: CallContext) -> vim.host.NetOffloadCapabilities:
        return vim.host.NetOffloadCapabilities(csumOffload=True, tcpSegmentation=True, zeroCopyXmit=True)

    def QueryNetworkHint(
        self, ctx: CallContext, device: list[str] | None = None
    ) -> list[vim.host.PhysicalNic.NetworkHint]:
        known = [p.device for p in host_network.pnics(self.host)]
        for i, d in enumerate(device or []):
            if d not in known:
                raise fault(vim.fault.NotFound, f"The host has no physical NIC '{d}' (device[{i}]).")
        return [
            vim.host.PhysicalNic.NetworkHint(
                device=d,
                subnet=[vim.host.PhysicalNic.NetworkHint.IpNetwork(vlanId=0, ipSubnet="127.0.0.0/8")],
            )
            for d in (device or known)
        ]

    def RefreshNetworkSystem(self, ctx: CallContext) -> None:
        """Nothing to refresh: every read is built from the inventory as it is now."""
