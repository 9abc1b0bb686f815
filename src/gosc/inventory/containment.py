"""Which entities each container holds directly: the parent-to-children index that
container views read, and the log of where entities moved that property collectors
read to know which traversals a change touches.

A container holds its inventory children (``parent``), and a host or resource pool also
the VMs that run in it (a VM's ``host`` and ``pool``).  The index follows the inventory
through ``ServiceInstance.notify``: a notified entity whose containers differ from the
recorded ones has moved (or was destroyed), and an entity count that differs from the
index's means entities were registered without a notification of their own (a new VM
notifies its folder, ``create_vm`` in-process nothing): then the index is rebuilt and the
differences logged, so nothing is missed whichever object was notified.

Each entry of the log is (entity moId, containers before, containers after); a reader
keeps the position it has read up to (``changes``).  A reader that falls further behind
than the log keeps is told so and recomputes everything.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pyVmomi import vim

from .base import ManagedEntity, ManagedObject

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

Move = tuple[str, tuple[str, ...], tuple[str, ...]]  # entity, containers before, containers after
LOG_SIZE = 4096  # moves kept for readers; a reader further behind recomputes everything


def containers_of(entity: ManagedEntity) -> tuple[str, ...]:
    """The containers that hold ``entity`` directly: its parent, and for a VM its host
    and resource pool (by managed type: this module must not import the VM's)."""
    out = [entity.parent_obj.moId] if entity.parent_obj is not None else []
    if entity.vim_type is vim.VirtualMachine:
        for attr in ("host", "pool"):
            holder = getattr(entity, attr, None)
            if isinstance(holder, ManagedEntity) and holder.moId not in out:
                out.append(holder.moId)
    return tuple(out)


class Containment:
    def __init__(self, si: ServiceInstance) -> None:
        self.si = si
        self._where: dict[str, tuple[str, ...]] = {}
        self._children: dict[str, dict[str, ManagedEntity]] = {}
        self._built = False
        self._log: list[Move] = []
        self._log_start = 0  # the sequence number of _log[0]

    # ------------------------------------------------------------ keeping step

    @property
    def end(self) -> int:
        """The sequence number the next move will get."""
        return self._log_start + len(self._log)

    def _place(self, entity: ManagedEntity, where: tuple[str, ...]) -> None:
        for c in self._where.get(entity.moId, ()):
            kids = self._children.get(c)
            if kids is not None:
                kids.pop(entity.moId, None)
        if where:
            self._where[entity.moId] = where
        else:
            self._where.pop(entity.moId, None)
        for c in where:
            self._children.setdefault(c, {})[entity.moId] = entity

    def _record(self, move: Move) -> None:
        self._log.append(move)
        if len(self._log) > LOG_SIZE:
            drop = len(self._log) - LOG_SIZE
            del self._log[:drop]
            self._log_start += drop

    def _rebuild(self) -> None:
        """Read the whole inventory again; log what differs from the index (not the first time)."""
        entities = self.si.entities
        seen: set[str] = set()
        for moid, entity in list(entities.items()):
            seen.add(moid)
            where = containers_of(entity) or ("",)  # the root folder: held by nothing, but indexed
            old = self._where.get(moid)
            if old != where:
                self._place(entity, where)
                if self._built:
                    self._record((moid, old or (), where))
        for moid in [m for m in self._where if m not in seen]:
            old = self._where.pop(moid)
            for c in old:
                self._children.get(c, {}).pop(moid, None)
            self._children.pop(moid, None)
            if self._built:
                self._record((moid, old, ()))
        self._built = True

    def observe(self, obj: ManagedObject, prop: str | None = None) -> None:
        """Bring the index up to date after ``obj`` was notified (idempotent: every
        reader calls it for the same notification)."""
        if not self._built:
            self._rebuild()
            return
        moid = obj.moId
        if isinstance(obj, ManagedEntity) or moid in self._where:
            old = self._where.get(moid)
            alive = self.si.entities.get(moid) is obj
            where = (containers_of(obj) or ("",)) if alive and isinstance(obj, ManagedEntity) else None
            if where is None and old is not None and moid not in self.si.entities:
                self._where.pop(moid)
                for c in old:
                    self._children.get(c, {}).pop(moid, None)
                self._children.pop(moid, None)
                self._record((moid, old, ()))
            elif where is not None and where != old:  # moved, or new and telling of itself
                assert isinstance(obj, ManagedEntity)
                self._place(obj, where)
                self._record((moid, old or (), where))
        if len(self.si.entities) != len(self._where):
            self._rebuild()

    def changes(self, obj: ManagedObject, prop: str | None, since: int) -> tuple[list[Move] | None, int]:
        """The moves after sequence number ``since`` once ``obj``'s notification is taken
        in, and the new position; None: ``since`` is older than the log keeps."""
        self.observe(obj, prop)
        if since < self._log_start:
            return None, self.end
        return self._log[since - self._log_start :], self.end

    # ------------------------------------------------------------ reading

    def below(self, container: ManagedEntity, recursive: bool) -> list[ManagedEntity]:
        """What ``container`` holds directly (in the order it came in), or with
        ``recursive`` at any depth, each entity once (a VM is in its folder, its host and
        its pool), breadth first."""
        if not self._built or len(self.si.entities) != len(self._where):
            self._rebuild()
        objects, children = self.si.objects, self._children
        out: list[ManagedEntity] = []
        seen: set[str] = set()
        todo = deque([container.moId])
        while todo:
            for moid, entity in children.get(todo.popleft(), {}).items():
                if moid in seen or moid not in objects:
                    continue
                seen.add(moid)
                out.append(entity)
                if recursive and moid in children:  # a container (not each of 100,000 VMs)
                    todo.append(moid)
        return out

    def above(self, moids: Iterable[str]) -> set[str]:
        """``moids`` and every container that holds them, directly or not."""
        out: set[str] = set()
        todo = [m for m in moids if m]
        while todo:
            m = todo.pop()
            if m in out:
                continue
            out.add(m)
            todo.extend(c for c in self._where.get(m, ()) if c and c not in out)
        return out
