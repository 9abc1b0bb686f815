"""PropertyCollector, updates: filters, what each filter last told its session, and the
object updates (enter, modify, leave) between that and what is true now.

Incremental, as govmomi's collector: a change notification (``ServiceInstance.notify``)
becomes a ``Change`` (the object, the property, the objects whose values follow it, the
entities that moved in the inventory), and each filter takes it in ``update``:

- the filter re-reads only the objects of its selection that the change touches;
- it recomputes its selection (the traversals) only when a source of it changed: an
  object a traversal read, with a property the traversal followed (a folder's
  ``childEntity``, a view's ``view``), a container view whose container gained or lost
  an entity (directly, or anywhere below for a recursive view), or, for any other
  traversal, any entity moving; even then, objects that stay in the selection and that
  the change did not touch are not read again;
- everything is read again when permissions change (visibility follows them) or when
  the filter's collector lost track of the inventory's moves.

What a filter was last told is kept per object as the fingerprints of its asked paths,
aligned with those paths; a pass over one change reads an object once for all filters
that ask the same paths for the same user (``Cache``).
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import types as T
from ..vim.faults import not_found
from .base import CallContext, ManagedObject
from .containment import Move
from .property_retrieval import PC, Selection, Snapshot, fingerprint, paths_for, select_objects, snapshot
from .view_manager import ContainerView, ListView

if TYPE_CHECKING:
    from .property_collector import PropertyCollector

# Objects whose properties sum up the VMs they hold (a host's or pool's memory use, a
# datastore's VMs): a filter re-reads those it selects whenever a VM changes.
AGGREGATES = (vim.HostSystem, vim.ResourcePool, vim.ComputeResource, vim.Datastore, vim.Network)

Fingerprints = tuple[str | None, ...]  # per asked path: "v" + value's, "m" + fault's, None: unset


class Reported:
    """What a filter last told about one object."""

    __slots__ = ("fps", "obj", "paths")

    def __init__(self, obj: ManagedObject, paths: tuple[str, ...], fps: Fingerprints) -> None:
        self.obj = obj
        self.paths = paths
        self.fps = fps


ReadKey = tuple[str, tuple[str, ...], str, str, str | None]  # object, paths, release, user, session


class Cache:
    """One pass over a change: an object is read once for every filter that asks the
    same paths of it for the same user, and one update serves every filter that was told
    the same before (100 sessions watching one VM share its read and its update)."""

    def __init__(self) -> None:
        self.reads: dict[ReadKey, tuple[Snapshot, Reported]] = {}
        self.updates: dict[tuple[ReadKey, tuple[str, ...], Fingerprints], PC.ObjectUpdate | None] = {}


@dataclass
class Change:
    """One change notification, as the filters take it in."""

    obj: ManagedObject
    prop: str | None  # None: anything about obj (or it is gone)
    related: set[str]  # moIds whose values may have changed with it (obj's own included)
    vm: bool = False  # obj is a VM: the aggregates (hosts, pools, datastores...) follow it
    lists: set[str] = field(default_factory=set)  # objects whose lists of references follow it (recentTask)
    moves: list[Move] = field(default_factory=list)
    direct: set[str] = field(default_factory=set)  # containers that gained or lost an entity
    above: set[str] = field(default_factory=set)  # those and every container above them
    full: bool = False  # anything may have changed: every filter reads everything again


def _fingerprint(snap: Snapshot, path: str, version: str) -> str | None:
    if path in snap.values:
        fp = "v" + fingerprint(snap.values[path][0], version)
    elif path in snap.missing:
        fp = "m" + fingerprint(snap.missing[path], version)
    else:
        return None
    return sys.intern(fp) if len(fp) < 64 else fp  # many filters hold the same short values


def _read(
    ctx: CallContext, obj: ManagedObject, paths: tuple[str, ...], cache: Cache
) -> tuple[ReadKey, Snapshot, Reported]:
    assert ctx.session is not None
    # What a caller reads depends on its user's rights, and for a session's own objects
    # (views, filters) on the session.
    key = (obj.moId, paths, ctx.version, ctx.session.userName, ctx.session.key if obj.owner is not None else None)
    hit = cache.reads.get(key)
    if hit is None:
        snap = snapshot(ctx, obj, list(paths))
        hit = cache.reads[key] = (snap, Reported(obj, paths, tuple(_fingerprint(snap, p, ctx.version) for p in paths)))
    return key, *hit


def compare(
    ctx: CallContext, obj: ManagedObject, paths: tuple[str, ...], old: Reported | None, cache: Cache
) -> tuple[Reported, PC.ObjectUpdate | None]:
    """What ``obj`` is now, and the update from ``old`` (None: nothing to tell)."""
    key, snap, rep = _read(ctx, obj, paths, cache)  # rep: shared by the filters that read the same
    fps = rep.fps
    if old is None:
        changes = [T.trusted(PC.Change, name=p, op="assign", val=v) for p, (v, _) in snap.values.items()]
        missing = [T.trusted(PC.MissingProperty, path=p, fault=e) for p, e in snap.missing.items()]
        return rep, T.trusted(PC.ObjectUpdate, kind="enter", obj=obj.ref, changeSet=changes, missingSet=missing)
    if old.fps == fps and old.paths == paths:
        return rep, None
    shared = (key, old.paths, old.fps)
    if shared not in cache.updates:
        cache.updates[shared] = _modify(obj, snap, paths, fps, old)
    return rep, cache.updates[shared]


def _modify(
    obj: ManagedObject, snap: Snapshot, paths: tuple[str, ...], fps: Fingerprints, old: Reported
) -> PC.ObjectUpdate | None:
    before = dict(zip(old.paths, old.fps, strict=True))
    changes, missing = [], []
    for p, fp in zip(paths, fps, strict=True):
        was = before.pop(p, None)
        if fp == was:
            continue
        if fp is not None and fp[0] == "v":
            changes.append(T.trusted(PC.Change, name=p, op="assign", val=snap.values[p][0]))
            continue
        if was is not None and was[0] == "v":
            changes.append(T.trusted(PC.Change, name=p, op="assign"))  # no longer set
        if fp is not None:
            missing.append(T.trusted(PC.MissingProperty, path=p, fault=snap.missing[p]))
    changes += [
        T.trusted(PC.Change, name=p, op="assign") for p, was in before.items() if was is not None and was[0] == "v"
    ]
    if not changes and not missing:
        return None
    return T.trusted(PC.ObjectUpdate, kind="modify", obj=obj.ref, changeSet=changes, missingSet=missing)


class PropertyFilter(ManagedObject):
    vim_type = PC.Filter

    def __init__(self, collector: PropertyCollector, moId: str, owner: str, spec: PC.FilterSpec, partial: bool) -> None:
        super().__init__(collector.si, moId)
        self.collector = collector
        self.owner = owner
        self.spec = spec
        self.partialUpdates = partial
        self.reported: dict[str, Reported] = {}  # moId -> what the session was last told
        # Not read yet (PropertyCollector.CreateFilter reads it after its answer is sent):
        # a change means nothing to it, its first read sees the present.
        self.unread = True
        # Whether an answer held this filter's updates since it was made or last started
        # from nothing: until one did, what is pending for it is every object entering.
        self.told = False
        self.sources: dict[str, set[str]] = {}  # what the selection depends on (select_objects)
        self.aggregates: set[str] = set()  # selected objects that follow their VMs (AGGREGATES)
        self._paths: dict[tuple[type, str], tuple[str, ...] | None] = {}
        self._ref = PC.Filter(moId)

    @property
    def ref(self) -> T.ManagedObject:
        return self._ref  # made once: every update a filter queues names it

    def prop_spec(self, ctx: CallContext) -> PC.FilterSpec:
        return self.spec

    def prop_partialUpdates(self, ctx: CallContext) -> bool:
        return self.partialUpdates

    def DestroyPropertyFilter(self, ctx: CallContext) -> None:
        if ctx.session is None or ctx.session.key != self.owner:
            raise not_found(self.ref)
        self.collector.remove_filter(self)

    # ------------------------------------------------------------ updates

    def paths(self, obj: ManagedObject, version: str) -> tuple[str, ...] | None:
        key = (obj.vim_type, version)
        if key not in self._paths:
            paths = paths_for(obj, self.spec, version)
            self._paths[key] = tuple(paths) if paths is not None else None
        return self._paths[key]

    def reset(self) -> None:
        """Forget what the session was told: everything enters again."""
        self.reported, self.sources, self.aggregates = {}, {}, set()
        self.told = False

    def reselect(self, ctx: CallContext, touched: set[str] | None, cache: Cache) -> list[PC.ObjectUpdate]:
        """Recompute the selection; read again the objects that are new to it or that
        ``touched`` names (None: every object)."""
        sources: dict[str, set[str]] = {}
        now: dict[str, Reported] = {}
        aggregates: set[str] = set()
        out: list[PC.ObjectUpdate] = []
        for obj in select_objects(ctx, self.spec, strict=False, sources=sources):
            paths = self.paths(obj, ctx.version)
            if paths is None:
                continue
            old = self.reported.get(obj.moId)
            if old is not None and old.obj is obj and touched is not None and obj.moId not in touched:
                now[obj.moId] = old
            else:
                now[obj.moId], update = compare(ctx, obj, paths, old, cache)
                if update is not None:
                    out.append(update)
            if issubclass(obj.vim_type, AGGREGATES):
                aggregates.add(obj.moId)
        out += [
            T.trusted(PC.ObjectUpdate, kind="leave", obj=old.obj.ref)
            for m, old in self.reported.items()
            if m not in now
        ]
        self.reported, self.sources, self.aggregates = now, sources, aggregates
        return out

    def _reread(self, ctx: CallContext, moids: set[str], cache: Cache) -> list[PC.ObjectUpdate]:
        out = []
        for moid in moids:
            old = self.reported.get(moid)
            if old is None:
                continue
            self.reported[moid], update = compare(ctx, old.obj, old.paths, old, cache)
            if update is not None:
                out.append(update)
        return out

    def _moved(self, change: Change) -> bool:
        """Whether entities moving (change.moves) may change what the traversals reach."""
        for moid, props in self.sources.items():
            if not props:  # an ObjectSpec's object that no traversal starts from
                continue
            source = self.si.objects.get(moid)
            if isinstance(source, ContainerView):
                where = change.above if source.recursive else change.direct
                if source.container_obj.moId in where:
                    return True
            elif not isinstance(source, ListView):  # a list view changes only when told so
                return True
        return False

    def update(self, ctx: CallContext, change: Change, cache: Cache) -> list[PC.ObjectUpdate]:
        """The object updates ``change`` brings to this filter."""
        if self.unread:
            return []
        if change.full:
            return self.reselect(ctx, None, cache)
        moid = change.obj.moId
        touched = change.related | self.aggregates if change.vm and self.aggregates else change.related
        source = self.sources.get(moid)
        if (
            (source is not None and (change.prop is None or change.prop in source))
            or (moid in self.reported and self.si.objects.get(moid) is not change.obj)
            or any(self.sources.get(m) for m in change.lists)
            or (change.moves and self._moved(change))
        ):
            return self.reselect(ctx, touched, cache)
        # Not touched.isdisjoint(self.reported): that walks the whole selection (a dict is no set).
        return self._reread(ctx, touched, cache) if any(m in self.reported for m in touched) else []


# An object update not yet answered, with the reference of the filter it is for.
Pending = tuple[T.ManagedObject, PC.ObjectUpdate]


@dataclass
class SessionState:
    """What one session's collector holds."""

    filters: dict[str, PropertyFilter] = field(default_factory=dict)
    version: int = 0
    pending: list[Pending] = field(default_factory=list)  # (filter ref, ObjectUpdate) not yet answered
    changed: asyncio.Event | None = None
    cancelled: bool = False
    ctx: CallContext | None = None  # the session's latest call: its version and rights read for updates
    tokens: dict[str, Selection] = field(default_factory=dict)  # paging: token -> what is left


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
    return T.trusted(
        PC.ObjectUpdate, kind=kind, obj=b.obj, changeSet=list(changes.values()), missingSet=list(missing.values())
    )


def coalesce(pending: list[Pending]) -> list[Pending]:
    merged: dict[tuple[str, str], Pending] = {}
    for fref, upd in pending:
        key = (fref._moId, upd.obj._moId)
        merged[key] = (fref, _merge(merged[key][1], upd) if key in merged else upd)
    return list(merged.values())


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
    for f in state.filters.values():
        f.told = True
    return T.trusted(
        PC.UpdateSet,
        version=str(state.version),
        truncated=False,
        filterSet=[T.trusted(PC.FilterUpdate, filter=fref, objectSet=objs) for fref, objs in by_filter.values()],
    )
