"""The netns backend: power (a guest's namespaces, NICs and tools agent), and the
NIC link state; gosc.backends.netns describes the whole."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...guest import sandbox
from ...guest.guestprocs import Place
from ...guest.runtime import ToolsRuntime, agent_command, agent_spec
from ...guest.vmx import ToolsConnection
from .guest_host import Guest, GuestHost
from .layers import Layers
from .processes import OWNER_ENV, ip_batch, kill, kill_popen, owned_netns, owned_pids, run, run_async, wait_popen
from .switch import Switch

if TYPE_CHECKING:
    from ...inventory.virtual_machine import VirtualMachine

log = logging.getLogger(__name__)

DEFAULT_NETWORKS = {"VM Network": "192.168.10.1/24"}
AGENT_START_TIMEOUT = 15.0


def parse_network(value: str) -> tuple[str, str | None]:
    """``"NAME=CIDR"`` or ``"NAME"`` (a bridge without address or DHCP)."""
    name, sep, cidr = value.partition("=")
    if sep and cidr:
        ipaddress.ip_interface(cidr)  # ValueError for a bad one
    return name.strip(), (cidr.strip() or None) if sep else None


class NetnsBackend:
    name = "netns"

    def __init__(
        self, guests_dir: Path, run_dir: Path, *, prefix: str = "gosc", networks: dict[str, str | None] | None = None
    ) -> None:
        if not prefix or len(prefix) > 12 or not prefix.replace("-", "").isalnum():
            raise ValueError("the netns prefix must be 1-12 letters, digits or '-'")
        self.guests_dir = guests_dir
        self.run_dir = run_dir  # dnsmasq leases
        self.prefix = prefix
        self.host_ns = f"{prefix}-host"
        self.networks = dict(DEFAULT_NETWORKS if networks is None else networks)
        self.guests: dict[str, Guest] = {}
        self.trees = Layers(guests_dir, self._holder_pid)
        self.switch: Switch | None = None
        self._started = False
        self._si: Any = None
        self._pending: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runtime: ToolsRuntime | None = None  # what live agents see under /usr/lib/gosc-tools

    # ------------------------------------------------------------ lifecycle of the switch

    async def start(self, si: Any = None) -> None:
        """Remove what an earlier server with this prefix left behind; build the switch."""
        if os.geteuid() != 0:
            raise RuntimeError("the netns guest backend needs root (namespaces, veths, bridges, mounts)")
        for tool in ("ip", "unshare", "nsenter", "setpriv", "dnsmasq", "bwrap", "hostname"):
            if shutil.which(tool) is None:
                raise RuntimeError(
                    f"the netns guest backend needs {tool} (iproute2, util-linux, dnsmasq-base, bubblewrap, hostname)"
                )
        await asyncio.to_thread(self.recover)
        if self._runtime is None:
            self._runtime = await asyncio.to_thread(ToolsRuntime.discover)
        self.switch = Switch(self.prefix, self.host_ns, self.run_dir, self.networks)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        run(["ip", "netns", "add", self.host_ns])
        run(["ip", "-n", self.host_ns, "link", "set", "lo", "up"])
        self._started = True
        for name in self.networks:
            await self.switch.bridge(name)
        self._loop = asyncio.get_running_loop()
        if si is not None and self._si is None:
            self._si = si
            si.subscribe(self._on_change)

    async def close(self) -> None:
        """Stop every guest, the DHCP servers and the host namespace; sweep leftovers."""
        for guest in list(self.guests.values()):
            await self._teardown(guest)
        if self.switch is not None:
            await self.switch.close()
        if self._si is not None:
            with contextlib.suppress(ValueError):
                self._si.unsubscribe(self._on_change)
            self._si = None
        await asyncio.to_thread(self.recover)
        self._started = False

    def recover(self) -> None:
        """Kill the processes and delete the namespaces named with this prefix (idempotent)."""
        for pid in owned_pids(self.prefix):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while owned_pids(self.prefix) and time.monotonic() < deadline:
            time.sleep(0.02)
        for name in owned_netns(self.prefix):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        for leases in self.run_dir.glob("*.leases") if self.run_dir.is_dir() else []:
            leases.unlink(missing_ok=True)

    def _env(self) -> dict[str, str]:
        return dict(os.environ, **{OWNER_ENV: self.prefix})

    # ------------------------------------------------------------ trees (gosc.backends.netns.layers)

    def root_of(self, vm: VirtualMachine) -> Path:
        """The guest's / as the agent sees it (mounted only inside the guest's namespace)."""
        return self.trees.root_of(vm)

    def create_from_skeleton(self, vm: VirtualMachine, family: str) -> None:
        self.trees.create_from_skeleton(vm, family)

    def clone_tree(self, source: VirtualMachine, child: VirtualMachine) -> None:
        self.trees.clone_tree(source, child)

    def write_macs(self, vm: VirtualMachine) -> None:
        self.trees.write_macs(vm)

    def destroy_tree(self, vm: VirtualMachine) -> None:
        self.trees.destroy_tree(vm)

    def guest_place(self, vm: VirtualMachine) -> Place | None:
        """Where guest operations find a running guest: its tree inside its own mount
        namespace, reached here through the holder's /proc root; programs are made in
        its namespaces (None: not running)."""
        pid = self._holder_pid(vm)
        if pid is None:
            return None
        root = self.root_of(vm)
        view = Path(f"/proc/{pid}/root") / root.relative_to("/")
        return Place(root, view, enter=pid, host_env={OWNER_ENV: self.prefix})

    def capture_snapshot(self, vm: VirtualMachine, key: str, parent: str | None) -> None:
        self.trees.capture_snapshot(vm, key, parent)

    def restore_snapshot(self, vm: VirtualMachine, key: str) -> None:
        self.trees.restore_snapshot(vm, key)

    def delete_snapshot(self, vm: VirtualMachine, key: str) -> None:
        self.trees.delete_snapshot(vm, key)

    def clone_from_snapshot(self, source: VirtualMachine, key: str, child: VirtualMachine) -> None:
        self.trees.clone_from_snapshot(source, key, child)

    def _holder_pid(self, vm: VirtualMachine) -> int | None:
        guest = self.guests.get(vm.moId)
        return guest.holder.pid if guest is not None else None

    # ------------------------------------------------------------ power

    def netns_name(self, vm: VirtualMachine) -> str:
        return f"{self.prefix}-{vm.moId}"

    async def power_on(self, vm: VirtualMachine, tools: ToolsConnection) -> None:
        if not self._started:
            raise RuntimeError("the netns backend is not started")
        if vm.moId in self.guests:
            await self._teardown(self.guests[vm.moId])
        root = self.root_of(vm)
        root.mkdir(parents=True, exist_ok=True)
        # rp_filter off (a DHCP client receives broadcasts on a NIC without an address yet; a
        # fresh netns inherits the machine's defaults): here, as the agent's /proc is read-only.
        script = (
            'mount -t overlay overlay -o "$1" "$2" && '
            "echo 0 >/proc/sys/net/ipv4/conf/all/rp_filter && echo 0 >/proc/sys/net/ipv4/conf/default/rp_filter && "
            "echo ready && exec sleep infinity </dev/null >/dev/null 2>&1"
        )
        holder = await asyncio.create_subprocess_exec(
            "setpriv",
            "--pdeathsig",
            "KILL",
            "unshare",
            "--net",
            "--uts",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "sh",
            await asyncio.to_thread(self.trees.mount_options, vm),
            str(root),
            env=self._env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        guest = Guest(vm, holder, self.netns_name(vm))
        self.guests[vm.moId] = guest
        try:
            assert holder.stdout is not None and holder.stderr is not None
            line = await asyncio.wait_for(holder.stdout.readline(), 10)
            if line.strip() != b"ready":
                err = (await holder.stderr.read()).decode(errors="replace").strip()
                raise RuntimeError(f"{vm.name}: the guest namespaces did not start: {err or 'no answer'}")
            await self._plug(guest)
            if vm.tools_installed:
                await self._open_channel(guest, tools)
                await self._start_agent(guest, tools)
        except BaseException:
            await self._teardown(guest)
            raise

    async def _plug(self, guest: Guest) -> None:
        vm, pid = guest.vm, guest.holder.pid
        await run_async(["ip", "netns", "attach", guest.netns, str(pid)])
        names = await asyncio.to_thread(self.trees.nic_names, await asyncio.to_thread(self.trees.layers, vm), vm)
        num = vm.moId.rsplit("-", 1)[-1]
        assert self.switch is not None
        lines, inside = [], ["link set lo up"]
        for i, (dev, name) in enumerate(zip(vm.nics(), names, strict=False)):
            host_end = f"v{num}-{i}"[:15]
            # A NIC on a standard port group names it in its backing's deviceName.
            port_group: str | None = getattr(dev.backing, "deviceName", None)
            br = await self.switch.bridge(port_group or "VM Network")
            up = bool(dev.connectable is None or dev.connectable.connected)
            lines += [
                f"link add {host_end} type veth peer name {name} address {(dev.macAddress or '').lower()} netns {pid}",
                f"link set {host_end} master {br}",
                f"link set {host_end} {'up' if up else 'down'}",
            ]
            inside.append(f"link set {name} up")  # the guest's side of the cable: up, as a booted OS has it
            guest.links.append(host_end)
            guest.link_up.append(up)
        await ip_batch(lines, self.host_ns)
        await ip_batch(inside, guest.netns)

    async def _start_agent(self, guest: Guest, tools: ToolsConnection) -> None:
        vm = guest.vm
        assert self._runtime is not None
        tools.guest_host = GuestHost(guest, self.root_of(vm), self.prefix)
        spec = agent_spec(self._runtime, guest.holder.pid, self.root_of(vm), {OWNER_ENV: self.prefix})
        host_sock, guest_sock = socket.socketpair()
        try:
            fd = guest_sock.fileno()
            agent = await asyncio.to_thread(
                sandbox.popen,
                spec,
                agent_command(self._runtime, vm.instance_uuid, fd),
                pass_fds=(fd,),
                stdin=subprocess.DEVNULL,
            )
        finally:
            guest_sock.close()
        guest.agent = agent
        reader, writer = await asyncio.open_unix_connection(sock=host_sock)
        tools.attach(reader, writer, vm.name)
        attached = tools.last_heartbeat
        guest.watcher = asyncio.get_running_loop().create_task(self._watch_agent(guest))
        # Powered on means the tools are up (an instant clone's are: its memory is the source's).
        deadline = time.monotonic() + AGENT_START_TIMEOUT
        while tools.last_heartbeat == attached and agent.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.005)

    def channel_path(self, vm: VirtualMachine) -> Path:
        """The VM's tools channel: an agent started by hand in the guest (after the first
        one died, as one restarts vmtoolsd) connects here with ``--connect``."""
        return self.run_dir / f"{vm.moId}.tools.sock"

    async def _open_channel(self, guest: Guest, tools: ToolsConnection) -> None:
        path = self.channel_path(guest.vm)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)

        async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await tools.close()  # one agent at a time: the newest is the guest's tools
            tools.attach(reader, writer, guest.vm.name)
            guest.vm.on_tools_state()

        guest.channel = await asyncio.start_unix_server(connected, path=str(path))
        path.chmod(0o600)

    async def _watch_agent(self, guest: Guest) -> None:
        assert guest.agent is not None
        await wait_popen(guest.agent)
        if not guest.stopping:
            log.warning("%s: the tools agent exited (%s)", guest.vm.name, guest.agent.returncode)
            await guest.vm.tools.close()
            guest.vm.on_tools_state()

    async def power_off(self, vm: VirtualMachine, tools: ToolsConnection) -> None:
        guest = self.guests.get(vm.moId)
        if guest is not None:
            await self._teardown(guest)
        await tools.close()

    async def _teardown(self, guest: Guest) -> None:
        guest.stopping = True
        if self.guests.get(guest.vm.moId) is guest:
            del self.guests[guest.vm.moId]
        await guest.vm.tools.close()
        if guest.channel is not None:
            guest.channel.close()
            self.channel_path(guest.vm).unlink(missing_ok=True)
        if guest.agent is not None:
            await kill_popen(guest.agent)
        if guest.watcher is not None:
            guest.watcher.cancel()
        if guest.links:
            await ip_batch([f"link del {link}" for link in guest.links], self.host_ns, check=False)
        await kill(guest.holder)
        await run_async(["ip", "netns", "del", guest.netns], check=False)
        await asyncio.to_thread(shutil.rmtree, self.root_of(guest.vm).parent / "root.new", True)

    # ------------------------------------------------------------ NIC connection state

    def _on_change(self, obj: Any, prop: str | None) -> None:
        guest = self.guests.get(getattr(obj, "moId", ""))
        if guest is None or guest.vm is not obj or guest.stopping:
            return
        wanted = [bool(d.connectable is None or d.connectable.connected) for d in obj.nics()][: len(guest.links)]
        if wanted != guest.link_up:
            changes = [
                f"link set {link} {'up' if up else 'down'}"
                for link, up, was in zip(guest.links, wanted, guest.link_up, strict=False)
                if up != was
            ]
            guest.link_up = wanted
            if self._loop is not None:  # notifications may come from any thread: apply on the loop
                self._loop.call_soon_threadsafe(self._spawn_link_change, changes)

    def _spawn_link_change(self, changes: list[str]) -> None:
        task = asyncio.get_running_loop().create_task(ip_batch(changes, self.host_ns, check=False))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
