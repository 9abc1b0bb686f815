"""PropertyCollector: reading many properties of many objects, and waiting for changes.

As on vCenter, ``propertyCollector`` is one object that every session shares, but what
it holds (filters, the update version, paging tokens) belongs to the calling session;
``CreatePropertyCollector`` makes a private collector for one session.

- Objects: each ObjectSpec's ``obj`` (unless ``skip``), plus what its ``selectSet``
  reaches: a TraversalSpec follows a reference property (``childEntity``, ``view``...)
  from objects of its ``type``; a SelectionSpec names a TraversalSpec of the same filter
  spec (the classic recursive folder recipe).
- Properties: each PropertySpec whose ``type`` the object is: ``all`` or ``pathSet``,
  where a path may go into data objects (``summary.config.name``).  An unknown path is
  ``InvalidProperty`` for the whole call; a property that cannot be read for one object
  (a fault) goes into that object's ``missingSet``.
- Updates: ``WaitForUpdatesEx`` answers the difference between what the session was last
  told and what is true now, with a new version string; without changes it blocks on an
  event that ``ServiceInstance.notify`` sets, until ``maxWaitSeconds`` (then ``None``),
  a change or ``CancelWaitForUpdates``.  No polling.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pyVmomi import VmomiSupport, vmodl

from ..vim import json_codec
from ..vim import types as T
from ..vim.faults import fault, invalid_argument, message_of, not_found
from . import access
from .base import CallContext, ManagedObject

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

log = logging.getLogger(__name__)
PC = vmodl.query.PropertyCollector
_PRIMITIVES = (str, bool, int, float, datetime.datetime, bytes, VmomiSupport.Enum, type)


# ---------------------------------------------------------------- property paths


def invalid_property(path: str, why: str = "") -> vmodl.MethodFault:
    return fault(vmodl.query.InvalidProperty, f"Invalid property path '{path}'{why}", name=path)


def path_type(t: type, path: str, version: str) -> type:
    """The declared type at ``path`` of managed type ``t``; InvalidProperty if ``t`` (or a
    data type along the way) has no such property in ``version``."""
    declared = t
    for seg in path.split("."):
        if not seg or T.is_array(declared) or not (T.is_data(declared) or T.is_managed(declared)):
            raise invalid_property(path, f" for {T.wsdl_name(t)}")
        prop = T.property_info(declared, seg)
        if prop is None or not T.defined_in(version, prop.version):
            raise invalid_property(path, f" for {T.wsdl_name(t)}")
        declared = prop.type
    return declared


def _vim_value(value: Any) -> bool:
    """True for what pyVmomi can put on the wire (managed objects' Python attributes that
    happen to share a property's name are not)."""
    if value is None or isinstance(value, (T.DataObject, T.ManagedObject, *_PRIMITIVES)):
        return True
    if isinstance(value, list):
        return all(_vim_value(v) for v in value)
    return False


def typed(value: Any, declared: type) -> Any:
    """A list as the declared pyVmomi array type, an enum string as its enum type: in
    anyType slots (DynamicProperty.val) the type is what the client reads."""
    if isinstance(value, list) and not isinstance(value, VmomiSupport.Array) and T.is_array(declared):
        return declared(value)
    if isinstance(value, str) and T.is_enum(declared) and not isinstance(value, declared):
        return declared(value)
    return value


def walk(value: Any, declared: type, rest: str, version: str, full: str) -> tuple[Any, type]:
    """Follow ``rest`` (``config.name``) into the data object ``value`` of type ``declared``."""
    for seg in rest.split("."):
        if not seg or T.is_array(declared) or not T.is_data(declared):
            raise invalid_property(full)
        prop = T.property_info(declared, seg)
        if prop is None or not T.defined_in(version, prop.version):
            raise invalid_property(full)
        declared = prop.type
        value = getattr(value, seg, None) if value is not None else None
    return value, declared


def read_path(ctx: CallContext, obj: ManagedObject, path: str) -> tuple[Any, type]:
    """The value and declared type at ``path`` of ``obj`` (``guest.ipAddress``)."""
    first, _, rest = path.partition(".")
    prop = T.property_info(obj.vim_type, first)
    if prop is None or not T.defined_in(ctx.version, prop.version):
        raise invalid_property(path, f" for {obj.type_name}")
    access.check_read(ctx, obj, first)
    value = obj.get_property(ctx, first)
    if not _vim_value(value):
        value = None
    declared = prop.type
    if rest:
        value, declared = walk(value, declared, rest, ctx.version, path)
    return typed(value, declared), declared


# ---------------------------------------------------------------- selecting objects


def _spec_names(spec: Any) -> dict[str, Any]:
    """Named TraversalSpecs anywhere in a filter spec (a SelectionSpec refers to them)."""
    names: dict[str, Any] = {}
    seen: set[int] = set()

    def visit(sel: Any) -> None:
        if id(sel) in seen:
            return
        seen.add(id(sel))
        if isinstance(sel, PC.TraversalSpec):
            if sel.name:
                names.setdefault(sel.name, sel)
            for s in sel.selectSet or []:
                visit(s)

    for os_ in spec.objectSet or []:
        for s in os_.selectSet or []:
            visit(s)
    return names


def validate_spec(spec: Any, version: str) -> None:
    if not spec.objectSet:
        raise invalid_argument("spec.objectSet", "a filter spec needs at least one object")
    for i, ps in enumerate(spec.propSet or []):
        if not isinstance(ps.type, type) or not T.is_managed(ps.type):
            raise fault(
                vmodl.fault.InvalidType,
                f"propSet[{i}].type is not a managed object type",
                argument=f"propSet[{i}].type",
            )
        for path in ps.pathSet or []:
            path_type(ps.type, path, version)
    names = _spec_names(spec)
    for ts in _all_traversals(spec):
        if isinstance(ts, PC.TraversalSpec):
            if not T.is_managed(ts.type):
                raise fault(
                    vmodl.fault.InvalidType,
                    f"TraversalSpec {ts.name or ''} type is not a managed type",
                    argument="type",
                )
            path_type(ts.type, ts.path, version)
        elif ts.name not in names:
            raise invalid_argument("selectSet.name", f"no TraversalSpec is named '{ts.name}'")


def _all_traversals(spec: Any) -> list[Any]:
    out: list[Any] = []
    seen: set[int] = set()

    def visit(sel: Any) -> None:
        if id(sel) in seen:
            return
        seen.add(id(sel))
        out.append(sel)
        for s in getattr(sel, "selectSet", None) or []:
            visit(s)

    for os_ in spec.objectSet or []:
        for s in os_.selectSet or []:
            visit(s)
    return out


def select_objects(ctx: CallContext, spec: Any, *, strict: bool) -> list[tuple[ManagedObject, bool]]:
    """The objects a filter spec names, in a stable order, each with whether the caller
    may read it.  An object reached by traversal that the caller may not read is left
    out; one named in an ObjectSpec is kept (its properties go to ``missingSet``).
    ``strict``: an ObjectSpec naming an object that does not exist is
    ManagedObjectNotFound (Retrieve*); a filter simply sees nothing."""
    si = ctx.si
    names = _spec_names(spec)
    found: dict[str, tuple[ManagedObject, bool]] = {}
    visited: set[tuple[str, int]] = set()

    def follow(obj: ManagedObject, select_set: list[Any]) -> None:
        for sel in select_set or []:
            ts = sel if isinstance(sel, PC.TraversalSpec) else names.get(sel.name)
            if ts is None or not issubclass(obj.vim_type, ts.type):
                continue
            key = (obj.moId, id(ts))
            if key in visited:
                continue
            visited.add(key)
            try:
                value, _ = read_path(ctx, obj, ts.path)
            except vmodl.MethodFault:
                continue
            refs = value if isinstance(value, list) else [value]
            for ref in refs:
                if not isinstance(ref, T.ManagedObject):
                    continue
                target = si.objects.get(ref._moId)
                if target is None or not access.visible(ctx, target):
                    continue
                if not ts.skip:
                    found.setdefault(target.moId, (target, True))
                follow(target, ts.selectSet)

    for os_ in spec.objectSet or []:
        start = si.objects.get(os_.obj._moId) if os_.obj is not None else None
        if start is None or not issubclass(start.vim_type, type(os_.obj)):
            if strict:
                raise not_found(os_.obj)
            continue
        readable = access.visible(ctx, start)
        if not os_.skip:
            found.setdefault(start.moId, (start, readable))
        if readable:
            follow(start, os_.selectSet)
    return list(found.values())


def paths_for(obj: ManagedObject, spec: Any, version: str) -> list[str] | None:
    """The property paths the spec asks of ``obj``; None if no PropertySpec covers it."""
    paths: list[str] = []
    matched = False
    for ps in spec.propSet or []:
        if not issubclass(obj.vim_type, ps.type):
            continue
        matched = True
        if ps.all:
            names = [p.name for p in T.properties(ps.type) if T.defined_in(version, p.version)]
        else:
            names = list(ps.pathSet or [])
        for n in names:
            if n not in paths:
                paths.append(n)
    return paths if matched else None


@dataclass
class Snapshot:
    ref: Any
    values: dict[str, tuple[Any, type]] = field(default_factory=dict)  # path -> (value, declared)
    missing: dict[str, vmodl.MethodFault] = field(default_factory=dict)


def snapshot(ctx: CallContext, obj: ManagedObject, paths: list[str]) -> Snapshot:
    """What ``paths`` of ``obj`` are; a path the caller may not read (``access``) goes to
    ``missing`` with its fault, as on vCenter."""
    snap = Snapshot(obj.ref)
    for path in paths:
        try:
            value, declared = read_path(ctx, obj, path)
        except vmodl.query.InvalidProperty:
            raise
        except vmodl.MethodFault as f:
            snap.missing[path] = f
            continue
        if value is None:
            continue
        snap.values[path] = (value, declared)
    return snap


def collect(ctx: CallContext, spec: Any, *, strict: bool) -> list[Snapshot]:
    out = []
    for obj, _ in select_objects(ctx, spec, strict=strict):
        paths = paths_for(obj, spec, ctx.version)
        if paths is not None:
            out.append(snapshot(ctx, obj, paths))
    return out


def object_content(snap: Snapshot) -> Any:
    return PC.ObjectContent(
        obj=snap.ref,
        propSet=[vmodl.DynamicProperty(name=p, val=v) for p, (v, _) in snap.values.items()],
        missingSet=[PC.MissingProperty(path=p, fault=f) for p, f in snap.missing.items()],
    )


def fingerprint(value: Any, version: str) -> str:
    if isinstance(value, vmodl.MethodFault):
        return f"fault:{T.wsdl_name(type(value))}:{message_of(value)}"
    return json.dumps(json_codec.encode(value, version, object), sort_keys=True, default=str)


# ---------------------------------------------------------------- filters and sessions


class PropertyFilter(ManagedObject):
    vim_type = PC.Filter

    def __init__(self, collector: PropertyCollector, moId: str, owner: str, spec: Any, partial: bool) -> None:
        super().__init__(collector.si, moId)
        self.collector = collector
        self.owner = owner
        self.spec = spec
        self.partialUpdates = partial

    def prop_spec(self, ctx: CallContext) -> Any:
        return self.spec

    def prop_partialUpdates(self, ctx: CallContext) -> bool:
        return self.partialUpdates

    def DestroyPropertyFilter(self, ctx: CallContext) -> None:
        if ctx.session is None or ctx.session.key != self.owner:
            raise not_found(self.ref)
        self.collector.remove_filter(self)


@dataclass
class _Reported:
    ref: Any
    values: dict[str, str]
    missing: dict[str, str]


@dataclass
class SessionState:
    """What one session's collector holds."""

    filters: dict[str, PropertyFilter] = field(default_factory=dict)
    version: int = 0
    reported: dict[str, dict[str, _Reported]] = field(default_factory=dict)  # filter -> obj -> last seen
    pending: list[tuple[Any, Any]] = field(default_factory=list)  # (filter ref, ObjectUpdate) not yet answered
    changed: asyncio.Event | None = None
    cancelled: bool = False
    ctx: CallContext | None = None  # the session's latest call: its version and rights read for updates
    tokens: dict[str, tuple[int, list[Any]]] = field(default_factory=dict)  # paging: token -> (page, rest)


MAX_PENDING = 256  # object updates kept one by one; beyond, they are merged per object


def _merge(a: Any, b: Any) -> Any:
    """Two successive updates of one object as one (the later value of a property wins)."""
    if b.kind == "leave":
        return b
    kind = "enter" if a.kind in ("enter", "leave") else b.kind
    changes = {c.name: c for c in a.changeSet or []} if a.kind != "leave" else {}
    changes.update({c.name: c for c in b.changeSet or []})
    missing = {m.path: m for m in a.missingSet or []} if a.kind != "leave" else {}
    missing.update({m.path: m for m in b.missingSet or []})
    return PC.ObjectUpdate(kind=kind, obj=b.obj, changeSet=list(changes.values()), missingSet=list(missing.values()))


def coalesce(pending: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    merged: dict[tuple[str, str], tuple[Any, Any]] = {}
    for fref, upd in pending:
        key = (fref._moId, upd.obj._moId)
        merged[key] = (fref, _merge(merged[key][1], upd) if key in merged else upd)
    return list(merged.values())


class PropertyCollector(ManagedObject):
    vim_type = vmodl.query.PropertyCollector

    def __init__(self, si: ServiceInstance, moId: str = "propertyCollector", owner: str | None = None) -> None:
        super().__init__(si, moId)
        self.owner = owner  # a session key for collectors made by CreatePropertyCollector
        self.states: dict[str, SessionState] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        si.subscribe(self._on_change)

    # ------------------------------------------------------------ plumbing

    def _state(self, ctx: CallContext) -> SessionState:
        if ctx.session is None:
            from ..vim.faults import not_authenticated

            raise not_authenticated(self.ref)
        if self.owner is not None and ctx.session.key != self.owner:
            raise not_found(self.ref)
        state = self.states.get(ctx.session.key)
        if state is None:
            self._sweep()
            state = self.states[ctx.session.key] = SessionState()
        return state

    def _sweep(self) -> None:
        """Forget what sessions that have ended left behind."""
        live = {s.key for s in self.si.session_manager.sessions.values()}
        for key in [k for k in self.states if k not in live]:
            for f in list(self.states[key].filters.values()):
                self.si.objects.pop(f.moId, None)
            del self.states[key]
        if self.owner is None:  # collectors made by sessions that have ended go too
            for pc in [o for o in self.si.objects.values() if isinstance(o, PropertyCollector) and o.owner is not None]:
                if pc.owner not in live:
                    pc._sweep()
                    self.si.objects.pop(pc.moId, None)
                    self.si.unsubscribe(pc._on_change)

    def _on_change(self, obj: ManagedObject, prop: str | None) -> None:
        if not any(s.filters for s in self.states.values()):
            return
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            self._refresh_all()
        else:
            loop.call_soon_threadsafe(self._refresh_all)

    def remove_filter(self, f: PropertyFilter) -> None:
        state = self.states.get(f.owner)
        if state is not None:
            state.filters.pop(f.moId, None)
            state.reported.pop(f.moId, None)
            if state.changed is not None:
                state.changed.set()
        self.si.objects.pop(f.moId, None)

    # ------------------------------------------------------------ properties

    def prop_filter(self, ctx: CallContext) -> list[Any]:
        if ctx.session is None or ctx.session.key not in self.states:
            return T.array(PC.Filter)
        return T.array(PC.Filter, [f.ref for f in self.states[ctx.session.key].filters.values()])

    # ------------------------------------------------------------ retrieving

    def _retrieve(self, ctx: CallContext, specSet: list[Any]) -> list[Any]:
        if ctx.session is not None:
            self._state(ctx)
        out: list[Any] = []
        for spec in specSet:
            validate_spec(spec, ctx.version)
            out.extend(object_content(s) for s in collect(ctx, spec, strict=True))
        return out

    def RetrieveProperties(self, ctx: CallContext, specSet: list[Any]) -> list[Any]:
        return T.array(PC.ObjectContent, self._retrieve(ctx, specSet))

    def RetrievePropertiesEx(self, ctx: CallContext, specSet: list[Any], options: Any) -> Any:
        objects = self._retrieve(ctx, specSet)
        if not objects:
            return None
        limit = options.maxObjects if options is not None and options.maxObjects else None
        if limit is None or len(objects) <= limit or ctx.session is None:  # no session: nothing to page in
            return PC.RetrieveResult(objects=objects)
        return self._page(self._state(ctx), limit, objects)

    def _page(self, state: SessionState, limit: int, objects: list[Any]) -> Any:
        if len(objects) <= limit:
            return PC.RetrieveResult(objects=objects)
        token = uuid.uuid4().hex
        state.tokens[token] = (limit, objects[limit:])
        return PC.RetrieveResult(token=token, objects=objects[:limit])

    def ContinueRetrievePropertiesEx(self, ctx: CallContext, token: str) -> Any:
        state = self._state(ctx)
        held = state.tokens.pop(token, None)
        if held is None:
            raise invalid_argument("token", f"'{token}' is not a current RetrievePropertiesEx token")
        limit, rest = held  # later pages are as long as the first
        return self._page(state, limit, rest)

    def CancelRetrievePropertiesEx(self, ctx: CallContext, token: str) -> None:
        state = self._state(ctx)
        if state.tokens.pop(token, None) is None:
            raise invalid_argument("token", f"'{token}' is not a current RetrievePropertiesEx token")

    # ------------------------------------------------------------ filters

    def CreateFilter(self, ctx: CallContext, spec: Any, partialUpdates: bool) -> Any:
        state = self._state(ctx)
        validate_spec(spec, ctx.version)
        assert ctx.session is not None
        moid = f"session[{ctx.session.key}]{uuid.uuid4().hex[:12]}"
        f = PropertyFilter(self, moid, ctx.session.key, spec, bool(partialUpdates))
        self.si.register(f)
        state.filters[moid] = f
        state.ctx = CallContext(ctx.si, ctx.version, ctx.session, ctx.client_ip, ctx.user_agent)
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()
        self._refresh(state)
        return f.ref

    # ------------------------------------------------------------ updates
    #
    # Every change notification brings each session's filters up to date at once (so a
    # client sees a task queued, then running, then done, even when it asks later); the
    # object updates wait in ``pending`` until WaitForUpdates answers them.

    def _diff(self, ctx: CallContext, state: SessionState) -> list[tuple[Any, Any]]:
        version = ctx.version
        out: list[tuple[Any, Any]] = []
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
                    out.append(
                        (f.ref, PC.ObjectUpdate(kind="enter", obj=snap.ref, changeSet=changes, missingSet=missing))
                    )
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
                    out.append(
                        (f.ref, PC.ObjectUpdate(kind="modify", obj=snap.ref, changeSet=changes, missingSet=missing))
                    )
            for moid, old in before.items():
                if moid not in now:
                    out.append((f.ref, PC.ObjectUpdate(kind="leave", obj=old.ref)))
            state.reported[f.moId] = now
        return out

    def _refresh(self, state: SessionState) -> None:
        if not state.filters or state.ctx is None:
            return
        state.pending.extend(self._diff(state.ctx, state))
        if len(state.pending) > MAX_PENDING:
            state.pending = coalesce(state.pending)
        if state.pending and state.changed is not None:
            state.changed.set()

    def _refresh_all(self) -> None:
        for key, state in list(self.states.items()):
            try:
                self._refresh(state)
            except Exception:  # a notification must never fail the change that caused it
                log.exception("property collector %s: updating session %s failed", self.moId, key[:8])

    def _take(self, state: SessionState) -> Any:
        if not state.pending:
            return None
        by_filter: dict[str, tuple[Any, list[Any]]] = {}
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

    def _check_version(self, state: SessionState, version: str | None) -> None:
        if not version:
            state.reported.clear()  # from the start: everything enters again
            state.pending.clear()
            return
        try:
            n = int(version)
        except ValueError:
            n = -1
        if not 0 < n <= state.version:
            raise fault(vmodl.query.InvalidCollectorVersion, f"'{version}' is not a version this collector gave out")

    async def _wait(self, ctx: CallContext, version: str | None, max_wait: float | None) -> Any:
        state = self._state(ctx)
        self._check_version(state, version)
        state.ctx = CallContext(ctx.si, ctx.version, ctx.session, ctx.client_ip, ctx.user_agent)
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()
        if state.changed is None:
            state.changed = asyncio.Event()
        state.cancelled = False
        deadline = None if max_wait is None else self._loop.time() + max_wait
        while True:
            state.changed.clear()
            self._refresh(state)
            update = self._take(state)
            if update is not None:
                return update
            remaining = None if deadline is None else deadline - self._loop.time()
            if remaining is not None and remaining <= 0:
                return None
            try:
                await asyncio.wait_for(state.changed.wait(), remaining)
            except TimeoutError:
                return None
            if state.cancelled:
                state.cancelled = False
                raise fault(vmodl.fault.RequestCanceled, "WaitForUpdates was cancelled by CancelWaitForUpdates.")

    async def WaitForUpdatesEx(self, ctx: CallContext, version: str | None = None, options: Any = None) -> Any:
        max_wait = options.maxWaitSeconds if options is not None else None
        if max_wait is not None and max_wait < 0:
            raise invalid_argument("options.maxWaitSeconds", "maxWaitSeconds must not be negative")
        return await self._wait(ctx, version, max_wait)

    async def WaitForUpdates(self, ctx: CallContext, version: str | None = None) -> Any:
        return await self._wait(ctx, version, None)

    async def CheckForUpdates(self, ctx: CallContext, version: str | None = None) -> Any:
        return await self._wait(ctx, version, 0)

    def CancelWaitForUpdates(self, ctx: CallContext) -> None:
        state = self._state(ctx)
        state.cancelled = True
        if state.changed is not None:
            state.changed.set()

    # ------------------------------------------------------------ collectors

    def CreatePropertyCollector(self, ctx: CallContext) -> Any:
        self._state(ctx)
        assert ctx.session is not None
        pc = PropertyCollector(self.si, f"session[{ctx.session.key}]{uuid.uuid4().hex[:12]}", owner=ctx.session.key)
        self.si.register(pc)
        return pc.ref

    def DestroyPropertyCollector(self, ctx: CallContext) -> None:
        if self.owner is None:
            raise fault(vmodl.fault.NotSupported, "The session's default property collector cannot be destroyed.")
        state = self._state(ctx)
        for f in list(state.filters.values()):
            self.remove_filter(f)
        self.CancelWaitForUpdates(ctx)
        self.si.objects.pop(self.moId, None)
        self.si.unsubscribe(self._on_change)
