"""Live guests in Linux namespaces (needs root).

A powered-on VM is

* a *holder* process (``sleep infinity`` started by ``unshare --net --uts --mount``) that
  owns the guest's network, UTS and mount namespaces; its network namespace is also
  named ``<prefix>-<moId>`` (``ip netns attach``) so that ``ip netns exec`` can look in;
* the guest tree mounted at ``<data>/guests/<instanceUuid>/root`` *inside* the guest's
  mount namespace only (an overlay of the VM's layers, see below): on the machine that
  path is an empty directory, so nothing is left mounted outside a guest;
* one veth pair per NIC: the guest end named as the guest expects (its
  ``sys/class/net/<if>``, e.g. ``ens192``) with the VM's MAC, the host end ``v<n>-<i>``
  on the port group's bridge in the gosc host namespace ``<prefix>-host``.  The NIC's
  ``connectable.connected`` is the host end's link state, kept in step by listening to
  inventory changes (an instant clone's NICs come up when its customization succeeds);
* the tools agent, ``python -m gosc.guest.agent_process``, in a sandbox made inside the
  guest's network and UTS namespaces (gosc.guest.runtime.agent_spec: the guest tree as
  ``/``, its runtime read-only under /usr/lib/gosc-tools, its own mount, PID and IPC
  namespaces, host uid 0 with only CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE,
  no_new_privs), talking to the VM's ToolsConnection over an inherited Unix socket.  What
  it may not do the backend does for it (``_GuestHost``): set the guest's host name, and
  run a custom script's sandbox in the guest's network namespace.

The virtual switch: the host namespace holds one Linux bridge per port group; a port
group with an address (``VM Network`` = 192.168.10.1/24 by default) gets it on its bridge
and a dnsmasq (Debian's dnsmasq-base) serving DHCP on it.  The machine's own network
namespace is never touched.

Trees are overlayfs layers under ``<data>/guests/<instanceUuid>/``: ``layers/<n>``
directories and ``state.json`` naming the VM's writable ``upper`` layer and its read-only
``lowers`` (paths relative to the guests directory).  A VM made from a skeleton has the
skeleton as ``layers/0`` and an empty upper.  An instant clone is copy-on-write: first the
source's upper, when it holds changes, is frozen into its lowers and the source gets a
fresh upper (remounted in its namespace while it runs: vSphere's "delta disk for both"),
then the child gets the source's lowers and an empty upper of its own, with its MACs.
A destroyed VM keeps the layers its clones still read until the last of them is gone.

Every process gosc starts here carries ``GOSC_NETNS_OWNER=<prefix>`` in its environment
and dies with the server (``setpriv --pdeathsig KILL``; sandboxes: bwrap's
--die-with-parent from gosc.guest.sandbox's launcher thread); namespaces are named with
the prefix.  ``recover()`` (at start and at stop) kills and removes whatever carries them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..guest import sandbox
from ..guest.runtime import ToolsRuntime, agent_command, agent_spec
from ..guest.vmx import ScriptRequest, ToolsConnection

if TYPE_CHECKING:
    from ..inventory.virtual_machine import VirtualMachine

log = logging.getLogger(__name__)

NIC_NAMES = ("ens192", "ens224", "ens256", "ens161", "ens193", "ens225", "ens257", "ens162", "ens194", "ens226")
DEFAULT_NETWORKS = {"VM Network": "192.168.10.1/24"}
OWNER_ENV = "GOSC_NETNS_OWNER"
AGENT_START_TIMEOUT = 15.0
NETNS_DIR = Path("/run/netns")


def parse_network(value: str) -> tuple[str, str | None]:
    """``"NAME=CIDR"`` or ``"NAME"`` (a bridge without address or DHCP)."""
    name, sep, cidr = value.partition("=")
    if sep and cidr:
        ipaddress.ip_interface(cidr)  # ValueError for a bad one
    return name.strip(), (cidr.strip() or None) if sep else None


@dataclass
class Guest:
    """A running guest's processes and links."""

    vm: VirtualMachine
    holder: asyncio.subprocess.Process
    netns: str
    links: list[str] = field(default_factory=list)  # host ends, by NIC index
    link_up: list[bool] = field(default_factory=list)
    agent: subprocess.Popen[bytes] | None = None  # the sandbox's bwrap
    watcher: asyncio.Task[None] | None = None
    channel: asyncio.Server | None = None  # where a restarted agent connects
    stopping: bool = False


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
        self.bridges: dict[str, str] = {}  # port group -> bridge name in the host namespace
        self.dnsmasq: dict[str, asyncio.subprocess.Process] = {}
        self._tree_lock = threading.Lock()
        self._bridge_lock: asyncio.Lock | None = None
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
        self._bridge_lock = asyncio.Lock()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        _run(["ip", "netns", "add", self.host_ns])
        _run(["ip", "-n", self.host_ns, "link", "set", "lo", "up"])
        self._started = True
        for name in self.networks:
            await self._bridge(name)
        self._loop = asyncio.get_running_loop()
        if si is not None and self._si is None:
            self._si = si
            si.subscribe(self._on_change)

    async def close(self) -> None:
        """Stop every guest, the DHCP servers and the host namespace; sweep leftovers."""
        for guest in list(self.guests.values()):
            await self._teardown(guest)
        for proc in self.dnsmasq.values():
            await _kill(proc)
        self.dnsmasq.clear()
        self.bridges.clear()
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

    async def _bridge(self, port_group: str) -> str:
        assert self._bridge_lock is not None
        async with self._bridge_lock:
            if port_group in self.bridges:
                return self.bridges[port_group]
            n = len(self.bridges)
            br = f"br{n}"
            mac = f"02:67:73:{n >> 8 & 0xFF:02x}:{n & 0xFF:02x}:01"
            lines = [f"link add {br} address {mac} type bridge", f"link set {br} up"]
            cidr = self.networks.get(port_group)
            if cidr:
                lines.insert(1, f"addr add {cidr} dev {br}")
            await _ip_batch(lines, self.host_ns)
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
            *args, env=self._env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.dnsmasq[br] = proc

    # ------------------------------------------------------------ trees (overlay layers)

    def root_of(self, vm: VirtualMachine) -> Path:
        """The guest's / as the agent sees it (mounted only inside the guest's namespace)."""
        return self.guests_dir / vm.instance_uuid / "root"

    def _state_path(self, uuid: str) -> Path:
        return self.guests_dir / uuid / "state.json"

    def _state(self, vm: VirtualMachine) -> dict[str, Any]:
        return json.loads(self._state_path(vm.instance_uuid).read_text())

    def _save_state(self, uuid: str, state: dict[str, Any]) -> None:
        path = self._state_path(uuid)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, path)

    def layers(self, vm: VirtualMachine) -> list[Path]:
        """The VM's layers, top (writable) first."""
        st = self._state(vm)
        return [self.guests_dir / p for p in [st["upper"], *st["lowers"]]]

    def create_from_skeleton(self, vm: VirtualMachine, family: str) -> None:
        from ..guest.skeletons import copy_skeleton

        d = self.guests_dir / vm.instance_uuid
        copy_skeleton(family, d / "layers/0", vm.macs())
        (d / "layers/1").mkdir()
        (d / "root").mkdir()
        self._save_state(
            vm.instance_uuid,
            {"upper": f"{vm.instance_uuid}/layers/1", "lowers": [f"{vm.instance_uuid}/layers/0"], "next": 2},
        )

    def clone_tree(self, source: VirtualMachine, child: VirtualMachine) -> None:
        with self._tree_lock:
            st = self._state(source)
            upper = self.guests_dir / st["upper"]
            if any(upper.iterdir()):  # changes since the last freeze: they become read-only
                new = f"{source.instance_uuid}/layers/{st['next']}"
                (self.guests_dir / new).mkdir(parents=True)
                st = {"upper": new, "lowers": [st["upper"], *st["lowers"]], "next": st["next"] + 1}
                self._save_state(source.instance_uuid, st)
                guest = self.guests.get(source.moId)
                if guest is not None:
                    self._remount(source, guest.holder.pid)
            d = self.guests_dir / child.instance_uuid
            (d / "layers/0").mkdir(parents=True)
            (d / "root").mkdir()
            self._save_state(
                child.instance_uuid,
                {"upper": f"{child.instance_uuid}/layers/0", "lowers": list(st["lowers"]), "next": 1},
            )
        self.write_macs(child)

    def write_macs(self, vm: VirtualMachine) -> None:
        """The virtual hardware: sys/class/net/<if>/address for the VM's MACs, in its upper layer."""
        layers = self.layers(vm)
        names = self._nic_names(layers, vm)
        from ..guest.guestpath import GuestRoot

        with GuestRoot(layers[0]) as upper:  # a tree: its symlinks resolve inside it
            for name, mac in zip(names, vm.macs(), strict=False):
                upper.write_atomic(f"/sys/class/net/{name}/address", (mac.lower() + "\n").encode(), 0o644)

    def _nic_names(self, layers: list[Path], vm: VirtualMachine) -> list[str]:
        seen: list[str] = []
        for layer in layers:
            net = layer / "sys/class/net"
            for p in sorted(net.iterdir()) if net.is_dir() else []:
                if p.is_dir() and p.name != "lo" and p.name not in seen:
                    seen.append(p.name)
        ordered = sorted(seen, key=lambda n: NIC_NAMES.index(n) if n in NIC_NAMES else 100)
        return ordered if len(ordered) >= len(vm.macs()) else list(NIC_NAMES)

    def _mount_options(self, vm: VirtualMachine) -> str:
        st = self._state(vm)
        upper = self.guests_dir / st["upper"]
        work = upper.parent.parent / f"work-{upper.name}"
        work.mkdir(exist_ok=True)
        lowers = ":".join(str(self.guests_dir / p) for p in st["lowers"])
        return f"lowerdir={lowers},upperdir={upper},workdir={work}"

    def _remount(self, vm: VirtualMachine, pid: int) -> None:
        """Switch a running guest to its new layers (new overlay, then swap it in)."""
        root = self.root_of(vm)
        staging = root.parent / "root.new"
        staging.mkdir(exist_ok=True)
        script = 'mount -t overlay overlay -o "$1" "$2" && umount -l "$3" && mount --move "$2" "$3"'
        _run(
            [
                "nsenter",
                "-t",
                str(pid),
                "-m",
                "sh",
                "-c",
                script,
                "sh",
                self._mount_options(vm),
                str(staging),
                str(root),
            ]
        )

    def destroy_tree(self, vm: VirtualMachine) -> None:
        with self._tree_lock:
            d = self.guests_dir / vm.instance_uuid
            if self._state_path(vm.instance_uuid).exists():
                self._state_path(vm.instance_uuid).unlink()
                (d / "destroyed").touch()
            self._collect()

    def _collect(self) -> None:
        """Remove destroyed VMs' layers that no VM reads any more."""
        used: set[str] = set()
        for st_path in self.guests_dir.glob("*/state.json"):
            with contextlib.suppress(OSError, ValueError):
                st = json.loads(st_path.read_text())
                used.update([st["upper"], *st["lowers"]])
        for marker in self.guests_dir.glob("*/destroyed"):
            d = marker.parent
            layers = d / "layers"
            for layer in sorted(layers.iterdir()) if layers.is_dir() else []:
                if f"{d.name}/layers/{layer.name}" not in used:
                    shutil.rmtree(layer, ignore_errors=True)
            if not layers.is_dir() or not any(layers.iterdir()):
                shutil.rmtree(d, ignore_errors=True)

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
            await asyncio.to_thread(self._mount_options, vm),
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
        await _run_async(["ip", "netns", "attach", guest.netns, str(pid)])
        names = await asyncio.to_thread(self._nic_names, await asyncio.to_thread(self.layers, vm), vm)
        num = vm.moId.rsplit("-", 1)[-1]
        lines, inside = [], ["link set lo up"]
        for i, (dev, name) in enumerate(zip(vm.nics(), names, strict=False)):
            host_end = f"v{num}-{i}"[:15]
            br = await self._bridge(dev.backing.deviceName if dev.backing and dev.backing.deviceName else "VM Network")
            up = bool(dev.connectable is None or dev.connectable.connected)
            lines += [
                f"link add {host_end} type veth peer name {name} address {dev.macAddress.lower()} netns {pid}",
                f"link set {host_end} master {br}",
                f"link set {host_end} {'up' if up else 'down'}",
            ]
            inside.append(f"link set {name} up")  # the guest's side of the cable: up, as a booted OS has it
            guest.links.append(host_end)
            guest.link_up.append(up)
        await _ip_batch(lines, self.host_ns)
        await _ip_batch(inside, guest.netns)

    async def _start_agent(self, guest: Guest, tools: ToolsConnection) -> None:
        vm = guest.vm
        assert self._runtime is not None
        tools.guest_host = _GuestHost(self, guest)
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
        await _wait_popen(guest.agent)
        if not guest.stopping:
            log.warning("%s: the tools agent exited (%s)", guest.vm.name, guest.agent.returncode)
            await guest.vm.tools.close()
            guest.vm.on_tools_state()

    async def set_hostname(self, guest: Guest, name: str) -> None:
        """sethostname in the guest's UTS namespace (``name``: one DNS label, checked by the
        ToolsConnection), for its agent, which lacks CAP_SYS_ADMIN."""
        await _run_async(["nsenter", "-t", str(guest.holder.pid), "-u", "hostname", name])

    async def run_script(self, guest: Guest, request: ScriptRequest, cancel: threading.Event) -> sandbox.Completed:
        """A custom script's sandbox for a guest's agent: made inside the guest's namespaces,
        the guest tree as /, the guest's network, a user namespace without capabilities.
        Run in a thread of its own: a script may take minutes."""
        pid = guest.holder.pid
        root = self.root_of(guest.vm)
        spec = sandbox.SandboxSpec(
            root=root,
            view=Path(f"/proc/{pid}/root") / root.relative_to("/"),
            cwd=request.cwd,
            env=request.env,
            network=sandbox.Network.JOIN_CURRENT,
            enter=pid,
            host_env={OWNER_ENV: self.prefix},
        )
        loop = asyncio.get_running_loop()
        done: asyncio.Future[sandbox.Completed] = loop.create_future()

        def work() -> None:
            try:
                result = sandbox.run(spec, request.command, request.timeout, cancel)
            except BaseException as e:
                # bound now: Python unbinds ``e`` when the except block ends, before the loop runs this
                loop.call_soon_threadsafe(lambda exc=e: done.done() or done.set_exception(exc))
            else:
                loop.call_soon_threadsafe(lambda: done.done() or done.set_result(result))

        threading.Thread(target=work, name=f"gosc-script-{guest.vm.moId}", daemon=True).start()
        try:
            return await done
        except asyncio.CancelledError:
            cancel.set()
            raise

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
            await _kill_popen(guest.agent)
        if guest.watcher is not None:
            guest.watcher.cancel()
        if guest.links:
            await _ip_batch([f"link del {link}" for link in guest.links], self.host_ns, check=False)
        await _kill(guest.holder)
        await _run_async(["ip", "netns", "del", guest.netns], check=False)
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
        task = asyncio.get_running_loop().create_task(_ip_batch(changes, self.host_ns, check=False))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # ------------------------------------------------------------ looking inside

    def guest_pid(self, vm: VirtualMachine) -> int | None:
        guest = self.guests.get(vm.moId)
        return guest.holder.pid if guest else None


class _GuestHost:
    """A ToolsConnection's ``guest_host``: what the backend does for one guest's agent."""

    def __init__(self, backend: NetnsBackend, guest: Guest) -> None:
        self.backend, self.guest = backend, guest

    async def set_hostname(self, name: str) -> None:
        await self.backend.set_hostname(self.guest, name)

    async def run_script(self, request: ScriptRequest, cancel: threading.Event) -> sandbox.Completed:
        return await self.backend.run_script(self.guest, request, cancel)


# ---------------------------------------------------------------- helpers


def owned_pids(prefix: str) -> list[int]:
    """Processes whose environment says a gosc netns backend with this prefix started them."""
    marker = f"{OWNER_ENV}={prefix}".encode()
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            env = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        if marker in env.split(b"\0"):
            out.append(int(entry))
    return out


def owned_netns(prefix: str) -> list[str]:
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix + "-"))


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])}: {proc.stderr.strip()}")


async def _run_async(args: list[str], check: bool = True, stdin: bytes | None = None) -> None:
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, err = await proc.communicate(stdin)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])}: {err.decode(errors='replace').strip()}")


async def _ip_batch(lines: list[str], netns: str, check: bool = True) -> None:
    if lines:
        await _run_async(
            ["ip", "-n", netns, "-force", "-batch", "-"], check=check, stdin=("\n".join(lines) + "\n").encode()
        )


async def _kill(proc: asyncio.subprocess.Process, sig: int = signal.SIGKILL) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            await asyncio.wait_for(proc.wait(), 3)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


async def _wait_popen(proc: subprocess.Popen[Any], timeout: float | None = None) -> int:
    """Await a subprocess.Popen's end on the loop (a pidfd), without a thread per process."""
    if proc.poll() is not None:
        return proc.returncode
    fd = os.pidfd_open(proc.pid)
    try:
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[None] = loop.create_future()
        loop.add_reader(fd, lambda: ended.done() or ended.set_result(None))
        try:
            await asyncio.wait_for(ended, timeout)
        finally:
            loop.remove_reader(fd)
    finally:
        os.close(fd)
    return proc.wait()


async def _kill_popen(proc: subprocess.Popen[Any]) -> None:
    """Kill a sandbox: its bwrap's process group; --die-with-parent and its PID namespace
    take every process inside."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    await _wait_popen(proc, 3)
