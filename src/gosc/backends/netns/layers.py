"""The guests' trees: overlayfs layers under ``<data>/guests/<instanceUuid>/``.

``layers/<n>`` directories and ``state.json`` naming the VM's writable ``upper`` layer and
its read-only ``lowers`` (paths relative to the guests directory).  A VM made from a
skeleton has the skeleton as ``layers/0`` and an empty upper.  A clone is copy-on-write:
first the source's upper, when it holds changes, is frozen (``_freeze``: a stopped source's
upper becomes one of its lowers and it gets a fresh upper; a running source's upper, which
its agent keeps writing through the overlay it mounted at boot, is copied into a new
read-only layer), then the child gets those read-only layers and an empty upper of its own,
with its MACs.  A destroyed VM keeps the layers its clones still read until the last of
them is gone.

A snapshot is the same freeze: ``state.json``'s ``snapshots`` maps its key to the lowers
of that moment.  A revert gives the VM those lowers and a fresh empty upper; a linked clone
from a snapshot starts on them too.  Layers nothing names any more (an upper a revert
dropped, a removed snapshot's own changes) are collected.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...formats.rules import NIC_NAMES
from ...guest.guestpath import GuestRoot
from ...guest.guesttree import copy_tree
from ...guest.skeletons import copy_skeleton

if TYPE_CHECKING:
    from ...inventory.virtual_machine import VirtualMachine


class Layers:
    def __init__(self, guests_dir: Path, running_pid: Callable[[VirtualMachine], int | None]) -> None:
        self.guests_dir = guests_dir
        self.running_pid = running_pid  # the holder of a running VM's namespaces: None when it is off
        self._lock = threading.Lock()

    def root_of(self, vm: VirtualMachine) -> Path:
        """The guest's / as the agent sees it (mounted only inside the guest's namespace)."""
        return self.guests_dir / vm.instance_uuid / "root"

    def state_path(self, uuid: str) -> Path:
        return self.guests_dir / uuid / "state.json"

    def state(self, vm: VirtualMachine) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.state_path(vm.instance_uuid).read_text())
        return state

    def save_state(self, uuid: str, state: dict[str, Any]) -> None:
        path = self.state_path(uuid)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, path)

    def layers(self, vm: VirtualMachine) -> list[Path]:
        """The VM's layers, top (writable) first."""
        st = self.state(vm)
        return [self.guests_dir / p for p in [st["upper"], *st["lowers"]]]

    def create_from_skeleton(self, vm: VirtualMachine, family: str) -> None:
        d = self.guests_dir / vm.instance_uuid
        copy_skeleton(family, d / "layers/0", vm.macs())
        (d / "layers/1").mkdir()
        (d / "root").mkdir()
        self.save_state(
            vm.instance_uuid,
            {"upper": f"{vm.instance_uuid}/layers/1", "lowers": [f"{vm.instance_uuid}/layers/0"], "next": 2},
        )

    def _freeze(self, vm: VirtualMachine) -> list[str]:
        """Read-only layers showing the VM's tree as it is now (under the lock).  A stopped
        VM's upper, when it holds changes, becomes read-only itself and the VM gets a fresh
        one; a running VM's upper is copied into a new read-only layer instead: its agent's
        sandbox keeps the overlay it mounted at boot, so that upper stays its writable layer."""
        st = self.state(vm)
        upper = self.guests_dir / st["upper"]
        if not any(upper.iterdir()):
            return list(st["lowers"])
        new = f"{vm.instance_uuid}/layers/{st['next']}"
        st["next"] += 1
        if self.running_pid(vm) is None:
            (self.guests_dir / new).mkdir(parents=True)
            st.update(upper=new, lowers=[st["upper"], *st["lowers"]])
            self.save_state(vm.instance_uuid, st)
            return list(st["lowers"])
        copy_tree(upper, self.guests_dir / new)  # whiteouts (0/0 nodes) and overlay xattrs as they are
        self.save_state(vm.instance_uuid, st)
        return [new, *st["lowers"]]

    def clone_tree(self, source: VirtualMachine, child: VirtualMachine) -> None:
        with self._lock:
            self._start_child(child, self._freeze(source))
        self.write_macs(child)

    def _start_child(self, child: VirtualMachine, lowers: list[str]) -> None:
        d = self.guests_dir / child.instance_uuid
        (d / "layers/0").mkdir(parents=True)
        (d / "root").mkdir()
        self.save_state(
            child.instance_uuid, {"upper": f"{child.instance_uuid}/layers/0", "lowers": list(lowers), "next": 1}
        )

    # ------------------------------------------------------------ snapshots

    def capture_snapshot(self, vm: VirtualMachine, key: str, parent: str | None) -> None:
        with self._lock:
            lowers = self._freeze(vm)
            st = self.state(vm)
            st.setdefault("snapshots", {})[key] = lowers
            self.save_state(vm.instance_uuid, st)

    def restore_snapshot(self, vm: VirtualMachine, key: str) -> None:
        """The snapshot's layers under a fresh upper (the guest is not running); the old upper goes."""
        with self._lock:
            st = self.state(vm)
            new = f"{vm.instance_uuid}/layers/{st['next']}"
            (self.guests_dir / new).mkdir(parents=True)
            st.update(upper=new, lowers=list(st["snapshots"][key]), next=st["next"] + 1)
            self.save_state(vm.instance_uuid, st)
            self._collect()

    def delete_snapshot(self, vm: VirtualMachine, key: str) -> None:
        with self._lock:
            st = self.state(vm)
            if st.get("snapshots", {}).pop(key, None) is not None:
                self.save_state(vm.instance_uuid, st)
            self._collect()

    def clone_from_snapshot(self, source: VirtualMachine, key: str, child: VirtualMachine) -> None:
        """A linked clone: the snapshot's layers, shared, under the child's own empty upper."""
        with self._lock:
            self._start_child(child, self.state(source)["snapshots"][key])
        self.write_macs(child)

    def write_macs(self, vm: VirtualMachine) -> None:
        """The virtual hardware: sys/class/net/<if>/address for the VM's MACs, in its upper layer."""
        layers = self.layers(vm)
        names = self.nic_names(layers, vm)
        with GuestRoot(layers[0]) as upper:  # a tree: its symlinks resolve inside it
            for name, mac in zip(names, vm.macs(), strict=False):
                upper.write_atomic(f"/sys/class/net/{name}/address", (mac.lower() + "\n").encode(), 0o644)

    def nic_names(self, layers: list[Path], vm: VirtualMachine) -> list[str]:
        seen: list[str] = []
        for layer in layers:
            net = layer / "sys/class/net"
            for p in sorted(net.iterdir()) if net.is_dir() else []:
                if p.is_dir() and p.name != "lo" and p.name not in seen:
                    seen.append(p.name)
        ordered = sorted(seen, key=lambda n: NIC_NAMES.index(n) if n in NIC_NAMES else 100)
        return ordered if len(ordered) >= len(vm.macs()) else list(NIC_NAMES)

    def mount_options(self, vm: VirtualMachine) -> str:
        st = self.state(vm)
        upper = self.guests_dir / st["upper"]
        work = upper.parent.parent / f"work-{upper.name}"
        work.mkdir(exist_ok=True)
        lowers = ":".join(str(self.guests_dir / p) for p in st["lowers"])
        return f"lowerdir={lowers},upperdir={upper},workdir={work}"

    def destroy_tree(self, vm: VirtualMachine) -> None:
        with self._lock:
            d = self.guests_dir / vm.instance_uuid
            if self.state_path(vm.instance_uuid).exists():
                self.state_path(vm.instance_uuid).unlink()
                (d / "destroyed").touch()
            self._collect()

    def _collect(self) -> None:
        """Remove the layers no VM or snapshot reads any more: destroyed VMs' (their
        directory too once empty), and those a revert or a removed snapshot left unnamed.
        A directory without state.json nor marker is being made: it is left alone."""
        used: set[str] = set()
        live: list[Path] = []
        for st_path in self.guests_dir.glob("*/state.json"):
            with contextlib.suppress(OSError, ValueError):
                st = json.loads(st_path.read_text())
                used.update([st["upper"], *st["lowers"]])
                for lowers in st.get("snapshots", {}).values():
                    used.update(lowers)
                live.append(st_path.parent)
        for d in [m.parent for m in self.guests_dir.glob("*/destroyed")] + live:
            layers = d / "layers"
            for layer in sorted(layers.iterdir()) if layers.is_dir() else []:
                if f"{d.name}/layers/{layer.name}" not in used:
                    shutil.rmtree(layer, ignore_errors=True)
                    shutil.rmtree(d / f"work-{layer.name}", ignore_errors=True)
            if d not in live and (not layers.is_dir() or not any(layers.iterdir())):
                shutil.rmtree(d, ignore_errors=True)
