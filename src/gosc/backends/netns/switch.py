"""The virtual switch: one Linux bridge per port group in the host namespace
``<prefix>-host``; a port group with an IPv4 address gets it on its bridge and a dnsmasq
(Debian's dnsmasq-base) serving DHCP on it.  The machine's own network namespace is
never touched."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import subprocess
from pathlib import Path

from .processes import NETNS_DIR, OWNER_ENV, ip_batch, kill


class Switch:
    def __init__(self, prefix: str, host_ns: str, run_dir: Path, networks: dict[str, str | None]) -> None:
        self.prefix = prefix
        self.host_ns = host_ns
        self.run_dir = run_dir  # dnsmasq leases
        self.networks = networks
        self.bridges: dict[str, str] = {}  # port group -> bridge name in the host namespace
        self.dnsmasq: dict[str, asyncio.subprocess.Process] = {}
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        for proc in self.dnsmasq.values():
            await kill(proc)
        self.dnsmasq.clear()
        self.bridges.clear()

    async def bridge(self, port_group: str) -> str:
        """The bridge of ``port_group``, made (with its address and DHCP) on first use."""
        async with self._lock:
            if port_group in self.bridges:
                return self.bridges[port_group]
            n = len(self.bridges)
            br = f"br{n}"
            mac = f"02:67:73:{n >> 8 & 0xFF:02x}:{n & 0xFF:02x}:01"
            lines = [f"link add {br} address {mac} type bridge", f"link set {br} up"]
            cidr = self.networks.get(port_group)
            if cidr:
                lines.insert(1, f"addr add {cidr} dev {br}")
            await ip_batch(lines, self.host_ns)
            self.bridges[port_group] = br
            if cidr and ipaddress.ip_interface(cidr).version == 4:
                await self._start_dnsmasq(br, ipaddress.ip_interface(cidr))
            return br

    async def _start_dnsmasq(self, br: str, iface: ipaddress.IPv4Interface | ipaddress.IPv6Interface) -> None:
        net = iface.network
        hosts = net.num_addresses
        first, last = net.network_address + hosts // 2, net.network_address + hosts - 2 - hosts // 8
        args = [
            "setpriv",
            "--pdeathsig",
            "KILL",
            "nsenter",
            f"--net={NETNS_DIR / self.host_ns}",
            "dnsmasq",
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--port=0",
            f"--interface={br}",
            "--bind-interfaces",
            "--except-interface=lo",
            f"--dhcp-range={first},{last},{net.netmask},1h",
            "--dhcp-broadcast",
            "--dhcp-authoritative",
            f"--dhcp-option=option:router,{iface.ip}",
            "--user=root",
            "--group=root",
            f"--dhcp-leasefile={self.run_dir / (br + '.leases')}",
            "--pid-file",
            "--log-facility=-",
            "--quiet-dhcp",
        ]
        proc = await asyncio.create_subprocess_exec(
            *args,
            env=dict(os.environ, **{OWNER_ENV: self.prefix}),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.dnsmasq[br] = proc
