"""PropertyCollector, updates: filters, what each session was last told, and the object
updates (enter, modify, leave) between that and what is true now.

The collector (property_collector.py) calls ``diff`` at every change notification and
``take`` when WaitForUpdates answers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..vim import types as T
from ..vim.faults import not_found
from .base import CallContext, ManagedObject
from .property_retrieval import PC, collect, fingerprint

if TYPE_CHECKING:
    from .property_collector import PropertyCollector


class PropertyFilter(ManagedObject):
    vim_type = PC.Filter

    def __init__(self, collector: PropertyCollector, moId: str, owner: str, spec: PC.FilterSpec, partial: bool) -> None:
        super().__init__(collector.si, moId)
        self.collector = collector
        self.owner = owner
        self.spec = spec
        self.partialUpdates = partial

    def prop_spec(self, ctx: CallContext) -> PC.FilterSpec:
        return self.spec

    def prop_partialUpdates(self, ctx: CallContext) -> bool:
        return self.partialUpdates

    def DestroyPropertyFilter(self, ctx: CallContext) -> None:
        if ctx.session is None or ctx.session.key != self.owner:
            raise not_found(self.ref)
        self.collector.remove_filter(self)


# An object update not yet answered, with the reference of the filter it is for.
Pending = tuple[T.ManagedObject, PC.ObjectUpdate]


@dataclass
class _Reported:
    ref: T.ManagedObject
    values: dict[str, str]
    missing: dict[str, str]


@dataclass
class SessionState:
    """What one session's collector holds."""

    filters: dict[str, PropertyFilter] = field(default_factory=dict)
    version: int = 0
    reported: dict[str, dict[str, _Reported]] = field(default_factory=dict)  # filter -> obj -> last seen
    pending: list[Pending] = field(default_factory=list)  # (filter ref, ObjectUpdate) not yet answered
    changed: asyncio.Event | None = None
    cancelled: bool = False
    ctx: CallContext | None = None  # the session's latest call: its version and rights read for updates
    tokens: dict[str, tuple[int, list[PC.ObjectContent]]] = field(default_factory=dict)  # paging: token -> (page, rest)


MAX_PENDING = 256  # object updates kept one by one; beyond, they are merged per object


def _merge(a: PC.ObjectUpdate, b: PC.ObjectUpdate) -> PC.ObjectUpdate:
    """Two successive updates of one object as one (the later value of a property wins)."""
    if b.kind == "leave":
        return b
    kind = "enter" if a.kind in ("enter", "leave") else b.kind
    changes = {c.name: c for c in a.changeSet or []} if a.kind != "leave" else {}
    changes.update({c.name: c for c in b.changeSet or []})
    missing = {m.path: m for m in a.missingSet or []} if a.kind != "leave" else {}
    missing.update({m.path: m for m in b.missingSet or []})
    return PC.ObjectUpdate(kind=kind, obj=b.obj, changeSet=list(changes.values()), missingSet=list(missing.values()))


def coalesce(pending: list[Pending]) -> list[Pending]:
    merged: dict[tuple[str, str], Pending] = {}
    for fref, upd in pending:
        key = (fref._moId, upd.obj._moId)
        merged[key] = (fref, _merge(merged[key][1], upd) if key in merged else upd)
    return list(merged.values())


def diff(ctx: CallContext, state: SessionState) -> list[Pending]:
    """The object updates of the session's filters since what it was last told (which
    becomes what is true now)."""
    version = ctx.version
    out: list[Pending] = []
    for f in list(state.filters.values()):
        before = state.reported.get(f.moId, {})
        now: dict[str, _Reported] = {}
        for snap in collect(ctx, f.spec, strict=False):
            moid = snap.ref._moId
            rep = _Reported(
                snap.ref,
                {p: fingerprint(v, version) for p, (v, _) in snap.values.items()},
                {p: fingerprint(e, version) for p, e in snap.missing.items()},
            )
            now[moid] = rep
            old = before.get(moid)
            if old is None:
                changes = [PC.Change(name=p, op="assign", val=v) for p, (v, _) in snap.values.items()]
                missing = [PC.MissingProperty(path=p, fault=e) for p, e in snap.missing.items()]
                out.append((f.ref, PC.ObjectUpdate(kind="enter", obj=snap.ref, changeSet=changes, missingSet=missing)))
                continue
            changes = [
                PC.Change(name=p, op="assign", val=snap.values[p][0])
                for p, fp in rep.values.items()
                if old.values.get(p) != fp
            ]
            changes += [PC.Change(name=p, op="assign") for p in old.values if p not in rep.values]
            missing = [
                PC.MissingProperty(path=p, fault=snap.missing[p])
                for p, fp in rep.missing.items()
                if old.missing.get(p) != fp
            ]
            if changes or missing:
                out.append((f.ref, PC.ObjectUpdate(kind="modify", obj=snap.ref, changeSet=changes, missingSet=missing)))
        for moid, old in before.items():
            if moid not in now:
                out.append((f.ref, PC.ObjectUpdate(kind="leave", obj=old.ref)))
        state.reported[f.moId] = now
    return out


def take(state: SessionState) -> PC.UpdateSet | None:
    """The pending updates as the next version's UpdateSet (None: nothing to tell)."""
    if not state.pending:
        return None
    by_filter: dict[str, tuple[T.ManagedObject, list[PC.ObjectUpdate]]] = {}
    for fref, upd in state.pending:
        if fref._moId in state.filters:
            by_filter.setdefault(fref._moId, (fref, []))[1].append(upd)
    state.pending = []
    if not by_filter:
        return None
    state.version += 1
    return PC.UpdateSet(
        version=str(state.version),
        truncated=False,
        filterSet=[PC.FilterUpdate(filter=fref, objectSet=objs) for fref, objs in by_filter.values()],
    )
