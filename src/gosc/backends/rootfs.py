"""Root-filesystem guests: a guest is a directory holding a Linux (or Windows) tree.

The tree lives at ``<data>/guests/<instanceUuid>/root``.  Powering on starts a tools
agent in the server process, connected to the VM's tools channel through a socketpair
so that every byte goes through the same agent protocol as a guest in namespaces.
The backend plays the virtual hardware: it writes ``sys/class/net/<if>/address`` with
the VM's MACs (what a guest kernel would show), and nothing else of the guest.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from ..formats.rules import NIC_NAMES
from ..guest.agent import ToolsAgent
from ..guest.guestpath import GuestRoot
from ..guest.guestprocs import Place
from ..guest.guesttree import copy_tree, remove_tree
from ..guest.vmx import ToolsConnection

if TYPE_CHECKING:
    from ..inventory.virtual_machine import VirtualMachine

# VMware's PCI slot order for vmxnet3 NICs as a modern Linux names them.
NET = "/sys/class/net"


class RootfsBackend:
    name = "rootfs"

    def __init__(self, guests_dir: Path) -> None:
        self.guests_dir = guests_dir
        self.agents: dict[str, ToolsAgent] = {}

    def root_of(self, vm: VirtualMachine) -> Path:
        return self.guests_dir / vm.instance_uuid / "root"

    def guest_place(self, vm: VirtualMachine) -> Place | None:
        """Where guest operations find the tree (None: its tools are not running)."""
        return Place(self.root_of(vm), self.root_of(vm)) if vm.moId in self.agents else None

    # ------------------------------------------------------------ trees

    def create_from_skeleton(self, vm: VirtualMachine, family: str) -> None:
        from ..guest.skeletons import copy_skeleton

        copy_skeleton(family, self.root_of(vm), vm.macs())

    def clone_tree(self, source: VirtualMachine, child: VirtualMachine) -> None:
        dst = self.root_of(child)
        shutil.copytree(self.root_of(source), dst, symlinks=True)
        self.write_macs(child)

    def write_macs(self, vm: VirtualMachine) -> None:
        """Inside the guest tree (gosc.guest.guestpath): a symlinked sys/class/net is the
        guest's own business and never leads the write to the host."""
        with GuestRoot(self.root_of(vm)) as guest:
            existing = [n for n in guest.listdir(NET) if n != "lo"]
            names = existing if len(existing) >= len(vm.macs()) else list(NIC_NAMES)
            for name, mac in zip(names, vm.macs(), strict=False):
                guest.write_atomic(f"{NET}/{name}/address", (mac + "\n").encode(), 0o644)

    def destroy_tree(self, vm: VirtualMachine) -> None:
        shutil.rmtree(self.guests_dir / vm.instance_uuid, ignore_errors=True)  # its snapshots are inside

    # ------------------------------------------------------------ snapshots (gosc.guest.guesttree)

    def snapshot_dir(self, vm: VirtualMachine, key: str) -> Path:
        return self.guests_dir / vm.instance_uuid / "snapshots" / key

    def capture_snapshot(self, vm: VirtualMachine, key: str, parent: str | None) -> None:
        """Copy the tree into the VM's snapshot store, sharing with ``parent``'s copy the
        files unchanged since (a snapshot store is never written once made)."""
        dst = self.snapshot_dir(vm, key)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f"{key}.new")
        remove_tree(tmp)
        link_from = self.snapshot_dir(vm, parent) if parent else None
        copy_tree(self.root_of(vm), tmp, link_from=link_from if link_from and link_from.is_dir() else None)
        tmp.rename(dst)

    def restore_snapshot(self, vm: VirtualMachine, key: str) -> None:
        """The tree becomes a copy of the snapshot's (the guest is not running): the new
        tree is complete before it replaces the old one, so a failure leaves the old one."""
        root = self.root_of(vm)
        new, old = root.with_name("root.new"), root.with_name("root.old")
        remove_tree(new)
        copy_tree(self.snapshot_dir(vm, key), new)
        remove_tree(old)
        root.rename(old)
        new.rename(root)
        remove_tree(old)

    def delete_snapshot(self, vm: VirtualMachine, key: str) -> None:
        remove_tree(self.snapshot_dir(vm, key))

    def clone_from_snapshot(self, source: VirtualMachine, key: str, child: VirtualMachine) -> None:
        """A clone of the source as the snapshot has it; its blocks are shared where the
        file system clones files (a live tree is never hard-linked to a snapshot)."""
        dst = self.root_of(child)
        dst.parent.mkdir(parents=True, exist_ok=True)
        copy_tree(self.snapshot_dir(source, key), dst)  # nothing is left at dst if it fails
        self.write_macs(child)

    # ------------------------------------------------------------ power

    async def power_on(self, vm: VirtualMachine, tools: ToolsConnection) -> None:
        if not vm.tools_installed:
            return
        host_sock, guest_sock = socket.socketpair()
        agent = ToolsAgent(self.root_of(vm), vm_id=vm.instance_uuid)
        g_reader, g_writer = await asyncio.open_unix_connection(sock=guest_sock)
        h_reader, h_writer = await asyncio.open_unix_connection(sock=host_sock)
        tools.attach(h_reader, h_writer, vm.name)
        agent.attach(g_reader, g_writer)
        self.agents[vm.moId] = agent

    async def power_off(self, vm: VirtualMachine, tools: ToolsConnection) -> None:
        agent = self.agents.pop(vm.moId, None)
        if agent is not None:
            await agent.stop()
        await tools.close()
