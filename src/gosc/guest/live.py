"""The live side of a guest in Linux namespaces: what a booted Linux does with its files.

The tools agent of a ``netns`` guest runs in a sandbox inside the guest's network and UTS
namespaces with the guest tree as its ``/`` (gosc.guest.runtime); ``LiveGuest`` is its
``live`` hook (see ToolsAgent).  It holds only CAP_NET_ADMIN, CAP_NET_RAW and
CAP_NET_BIND_SERVICE: ``ip`` is the runtime's (``ip``, a command line prefix), the host
name is set by the host on the agent's request (``set_hostname``: sethostname needs
CAP_SYS_ADMIN), and the guest's rp_filter is switched off by the netns backend's holder
before the agent starts (its /proc is read-only).

* ``boot()``: loopback up, host name from /etc/hostname, every NIC's static addresses
  and routes from the network files the family uses, read by that format's own reader
  (gosc.guest.engine.network; what the distro's network service does at boot);
* ``apply_network(root)``: the same after a customization has rewritten the files
  (addresses flushed and re-added, routes replaced, host name set);
* ``guest_info()``: host name and per-NIC addresses read from the LIVE namespace
  (``ip -j addr``), never from the files: what VMware Tools reports;
* ``network_start()``: the ``network.start`` TCLO of StartGuestNetwork_Task: bring the
  NICs up and run DHCP on every NIC the files configure for DHCP.  The DHCP client is
  the small RFC 2131 client below (DISCOVER/OFFER/REQUEST/ACK with the broadcast flag
  over a UDP socket bound to the NIC), so a guest needs no dhclient or udhcpc: gosc's
  virtual switch runs Debian's dnsmasq as the server;
* ``abort()``: kill what the agent started (a customization script) on
  ``deployPkg.abort``.

Addresses and routes are applied with one ``ip -batch`` per change (iproute2).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import random
import select
import socket
import struct
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import introspect
from .guestpath import GuestRoot

log = logging.getLogger(__name__)


class LiveGuest:
    def __init__(
        self, root: Path, ip: Sequence[str] = ("ip",), set_hostname: Callable[[str], None] = socket.sethostname
    ) -> None:
        self.root = root
        self.ip = list(ip)  # how to run iproute2's ip (gosc.guest.runtime.tool_argv in the sandbox)
        self.set_hostname = set_hostname

    def _ip_json(self, *args: str) -> Any:
        out = subprocess.run([*self.ip, "-j", *args], capture_output=True, text=True, check=True).stdout
        return json.loads(out or "[]")

    def _ip_batch(self, lines: list[str]) -> None:
        if not lines:
            return
        proc = subprocess.run(
            [*self.ip, "-force", "-batch", "-"], input="\n".join(lines) + "\n", capture_output=True, text=True
        )
        if proc.returncode != 0:
            errors = " ".join(proc.stderr.split())
            raise RuntimeError(f"ip: {errors or 'failed'}")

    # ------------------------------------------------------------ boot / customization

    def boot(self) -> None:
        self._ip_batch(["link set lo up"])
        self.apply_sync(boot=True)

    async def apply_network(self, root: Path) -> None:
        await asyncio.to_thread(self.apply_sync)

    def apply_sync(self, boot: bool = False) -> None:
        with GuestRoot(self.root) as guest:  # the guest's files, read inside its tree
            name = introspect.host_name(guest)
            configured = introspect.configured_nics(guest)
        if name:
            self.set_hostname(name.split(".")[0])
        links = self.links()
        lines: list[str] = []
        default_seen: set[int] = set()
        for nic in configured:
            dev = _live_name(nic, links)
            if dev is None:
                continue
            addresses = nic.iface.addresses if nic.iface else []
            if not boot or addresses:
                lines.append(f"addr flush dev {dev} scope global")
            for cidr in addresses:
                lines.append(f"addr add {cidr} dev {dev}" + (" nodad" if ":" in cidr else ""))
            lines.append(f"link set {dev} up")
            for r in nic.iface.all_routes if nic.iface else []:
                if r.to == "default":
                    if r.family in default_seen and r.metric is None:
                        continue
                    default_seen.add(r.family)
                fam = "-6 " if r.family == 6 else ""
                metric = f" metric {r.metric}" if r.metric else ""
                lines.append(f"{fam}route replace {r.to} via {r.via} dev {dev}{metric}")
        self._ip_batch(lines)

    def links(self) -> dict[str, str]:
        """Live interface name -> MAC (lowercase), without lo."""
        return {
            link["ifname"]: link.get("address", "").lower()
            for link in self._ip_json("link", "show")
            if link["ifname"] != "lo"
        }

    # ------------------------------------------------------------ what the tools report

    def guest_info(self) -> dict[str, Any]:
        nics = []
        for link in self._ip_json("addr", "show"):
            if link["ifname"] == "lo" or link.get("link_type") != "ether":
                continue
            addrs, dhcp = [], False
            for a in link.get("addr_info", []):
                if a.get("scope") != "global" or a.get("tentative"):
                    continue
                addrs.append(f"{a['local']}/{a['prefixlen']}")
                dhcp = dhcp or bool(a.get("dynamic"))
            nics.append(
                {"name": link["ifname"], "mac": link.get("address", "").lower(), "ipAddress": addrs, "dhcp": dhcp}
            )
        return {"hostName": socket.gethostname(), "nics": nics}

    # ------------------------------------------------------------ network.start (DHCP)

    async def network_start(self) -> str:
        return await asyncio.to_thread(self.network_start_sync)

    def network_start_sync(self, timeout: float = 10.0) -> str:
        links = self.links()
        self.apply_sync()  # static NICs as configured; DHCP NICs come up without an address
        got = []
        for nic in introspect.configured_nics(self.root):
            dev = _live_name(nic, links)
            if dev is None or nic.iface is None or nic.iface.ipv4 != "dhcp":
                continue
            lease = dhcp_lease(dev, links[dev], timeout=timeout)
            lines = [
                f"addr flush dev {dev} scope global",
                f"addr add {lease.address}/{lease.prefix} dev {dev} valid_lft {lease.seconds} preferred_lft {lease.seconds}",
            ]
            if lease.router:
                lines.append(f"route replace default via {lease.router} dev {dev}")
            self._ip_batch(lines)
            got.append(f"{dev}={lease.address}/{lease.prefix}")
        return " ".join(got)


def _live_name(nic: introspect.ConfiguredNic, links: dict[str, str]) -> str | None:
    for name, mac in links.items():
        if mac == nic.mac:
            return name
    return nic.name if nic.name in links else None


# ---------------------------------------------------------------- a small DHCP client


class Lease:
    def __init__(self, address: str, prefix: int, router: str | None, seconds: int, server: str) -> None:
        self.address, self.prefix, self.router, self.seconds, self.server = address, prefix, router, seconds, server


_MAGIC = b"\x63\x82\x53\x63"
DISCOVER, OFFER, REQUEST, ACK, NAK = 1, 2, 3, 5, 6


def _packet(xid: int, mac: bytes, msg_type: int, extra: list[tuple[int, bytes]]) -> bytes:
    head = struct.pack(
        "!BBBBIHH4s4s4s4s16s64s128s",
        1,
        1,
        6,
        0,
        xid,
        0,
        0x8000,
        b"\0" * 4,
        b"\0" * 4,
        b"\0" * 4,
        b"\0" * 4,
        mac.ljust(16, b"\0"),
        b"",
        b"",
    )
    opts = bytes([53, 1, msg_type]) + bytes([55, 4, 1, 3, 51, 54])  # ask: subnet, router, lease time, server id
    for code, value in extra:
        opts += bytes([code, len(value)]) + value
    return head + _MAGIC + opts + b"\xff"


def _parse(data: bytes) -> tuple[int, str, dict[int, bytes]] | None:
    if len(data) < 240 or data[236:240] != _MAGIC or data[0] != 2:
        return None
    xid = struct.unpack("!I", data[4:8])[0]
    yiaddr = socket.inet_ntoa(data[16:20])
    opts: dict[int, bytes] = {}
    i = 240
    while i < len(data):
        code = data[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        if i + 1 >= len(data):
            break
        n = data[i + 1]
        opts[code] = data[i + 2 : i + 2 + n]
        i += 2 + n
    return xid, yiaddr, opts


def dhcp_lease(dev: str, mac: str, timeout: float = 10.0) -> Lease:
    """DISCOVER -> OFFER -> REQUEST -> ACK on ``dev`` (which must be up); the lease."""
    hw = bytes.fromhex(mac.replace(":", ""))
    xid = random.getrandbits(32)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
        s.bind(("0.0.0.0", 68))
        deadline = time.monotonic() + timeout

        def exchange(packet: bytes, want: int) -> tuple[str, dict[int, bytes]]:
            while time.monotonic() < deadline:
                s.sendto(packet, ("255.255.255.255", 67))
                resend = time.monotonic() + 1.0
                while time.monotonic() < min(resend, deadline):
                    ready, _, _ = select.select([s], [], [], max(0.0, min(resend, deadline) - time.monotonic()))
                    if not ready:
                        continue
                    parsed = _parse(s.recv(2048))
                    if parsed is None or parsed[0] != xid or 53 not in parsed[2]:
                        continue
                    kind = parsed[2][53][0]
                    if kind == NAK:
                        raise RuntimeError(f"DHCP server refused the lease on {dev}")
                    if kind == want:
                        return parsed[1], parsed[2]
            raise RuntimeError(f"no DHCP answer on {dev} within {timeout:g} s")

        offered, opts = exchange(_packet(xid, hw, DISCOVER, []), OFFER)
        server = opts.get(54, b"")
        request = _packet(xid, hw, REQUEST, [(50, socket.inet_aton(offered)), (54, server)])
        address, opts = exchange(request, ACK)
    mask = socket.inet_ntoa(opts[1]) if 1 in opts else "255.255.255.0"
    prefix = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
    router = socket.inet_ntoa(opts[3][:4]) if len(opts.get(3, b"")) >= 4 else None
    seconds = struct.unpack("!I", opts[51])[0] if len(opts.get(51, b"")) == 4 else 3600
    return Lease(
        address, prefix, router, min(seconds, 0xFFFFFFFE), socket.inet_ntoa(server) if len(server) == 4 else ""
    )
