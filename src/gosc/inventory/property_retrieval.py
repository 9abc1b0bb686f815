"""PropertyCollector, reading: which objects a filter spec selects (ObjectSpecs and their
TraversalSpecs) and what the asked property paths of each are, as the caller may read them.

Shared by RetrieveProperties(Ex), by the filters' update computation (property_updates.py)
and by the SOAP front end (a ``_this`` property read).
"""

from __future__ import annotations

import contextlib
import datetime
import json
from dataclasses import dataclass, field

import orjson
from pyVmomi import VmomiSupport, vim, vmodl

from ..vim import json_codec, soap_fast
from ..vim import types as T
from ..vim.faults import fault, invalid_argument, message_of, not_found
from . import access
from .base import CallContext, ManagedObject

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


def _vim_value(value: object) -> bool:
    """True for what pyVmomi can put on the wire (managed objects' Python attributes that
    happen to share a property's name are not)."""
    if value is None or isinstance(value, (T.DataObject, T.ManagedObject, *_PRIMITIVES)):
        return True
    if isinstance(value, list):
        return all(_vim_value(v) for v in value)
    return False


def typed(value: object, declared: type) -> object:
    """A list as the declared pyVmomi array type, an enum string as its enum type: in
    anyType slots (DynamicProperty.val) the type is what the client reads."""
    if isinstance(value, list) and not isinstance(value, VmomiSupport.Array) and T.is_array(declared):
        return declared(value)
    if isinstance(value, str) and T.is_enum(declared) and not isinstance(value, declared):
        return declared(value)
    return value


def walk(value: object, declared: type, rest: str, version: str, full: str) -> tuple[object, type]:
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


def read_path(ctx: CallContext, obj: ManagedObject, path: str) -> tuple[object, type]:
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


def _spec_names(spec: PC.FilterSpec) -> dict[str, PC.TraversalSpec]:
    """Named TraversalSpecs anywhere in a filter spec (a SelectionSpec refers to them)."""
    names: dict[str, PC.TraversalSpec] = {}
    seen: set[int] = set()

    def visit(sel: PC.SelectionSpec) -> None:
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


def validate_spec(spec: PC.FilterSpec, version: str) -> None:
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


def _all_traversals(spec: PC.FilterSpec) -> list[PC.SelectionSpec]:
    out: list[PC.SelectionSpec] = []
    seen: set[int] = set()

    def visit(sel: PC.SelectionSpec) -> None:
        if id(sel) in seen:
            return
        seen.add(id(sel))
        out.append(sel)
        for s in sel.selectSet if isinstance(sel, PC.TraversalSpec) else []:
            visit(s)

    for os_ in spec.objectSet or []:
        for s in os_.selectSet or []:
            visit(s)
    return out


def _traverse(ctx: CallContext, obj: ManagedObject, path: str) -> list[ManagedObject]:
    """The objects a traversal of ``path`` from ``obj`` reaches that the caller may see."""
    if "." not in path:
        objects = obj.traversed(ctx, path)
        if objects is not None:
            access.check_read(ctx, obj, path)  # as read_path would
            return objects
    value, _ = read_path(ctx, obj, path)
    out = []
    for ref in value if isinstance(value, list) else [value]:
        if isinstance(ref, T.ManagedObject):
            target = ctx.si.objects.get(ref._moId)
            if target is not None and access.visible(ctx, target):
                out.append(target)
    return out


def select_objects(
    ctx: CallContext, spec: PC.FilterSpec, *, strict: bool, sources: dict[str, set[str]] | None = None
) -> list[ManagedObject]:
    """The objects a filter spec names, in a stable order.  An object reached by
    traversal that the caller may not read is left out; one named in an ObjectSpec is
    kept (its properties go to ``missingSet``).
    ``strict``: an ObjectSpec naming an object that does not exist is
    ManagedObjectNotFound (Retrieve*); a filter simply sees nothing.
    ``sources`` gets what the selection depends on: each ObjectSpec's object and each
    object a traversal read, with the properties it read there (a filter recomputes its
    selection when one of them changes)."""
    si = ctx.si
    names = _spec_names(spec)
    # No container per object: a selection of 100,000 VMs would be 100,000 objects more
    # for the garbage collector to scan while the pages are read.
    found: dict[str, ManagedObject] = {}
    visited: dict[int, set[str]] = {}  # per traversal spec: the objects it was followed from

    def follow(obj: ManagedObject, select_set: list[PC.SelectionSpec]) -> None:
        for sel in select_set or []:
            ts = sel if isinstance(sel, PC.TraversalSpec) else names.get(sel.name or "")
            if ts is None or not issubclass(obj.vim_type, ts.type):
                continue
            seen = visited.setdefault(id(ts), set())
            if obj.moId in seen:
                continue
            seen.add(obj.moId)
            if sources is not None:
                sources.setdefault(obj.moId, set()).add(str(ts.path).partition(".")[0])
            try:
                targets = _traverse(ctx, obj, ts.path)
            except vmodl.MethodFault:
                continue
            for target in targets:
                if not ts.skip:
                    found.setdefault(target.moId, target)
                if ts.selectSet:
                    follow(target, ts.selectSet)

    for os_ in spec.objectSet or []:
        if sources is not None and os_.obj is not None:
            sources.setdefault(os_.obj._moId, set())
        start = si.objects.get(os_.obj._moId) if os_.obj is not None else None
        if start is None or not issubclass(start.vim_type, type(os_.obj)):
            if strict:
                raise not_found(os_.obj)
            continue
        readable = access.visible(ctx, start)
        if not os_.skip:
            found.setdefault(start.moId, start)
        if readable:
            follow(start, os_.selectSet)
    return list(found.values())


def paths_for(obj: ManagedObject, spec: PC.FilterSpec, version: str) -> list[str] | None:
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
class Selection:
    """What a Retrieve call selected, read a page at a time from ``start``: the objects,
    and the paths asked of each (one list per type and spec, shared: no container per
    object for the garbage collector to scan)."""

    objects: list[ManagedObject] = field(default_factory=list)
    paths: list[list[str]] = field(default_factory=list)
    start: int = 0

    limit: int = 0  # objects per page, when read a page at a time
    ready: list[PC.ObjectContent] | None = None  # the next page, read ahead (PropertyCollector._page)

    def __len__(self) -> int:
        return len(self.objects) - self.start

    def add(self, ctx: CallContext, spec: PC.FilterSpec) -> None:
        asked: dict[type, list[str] | None] = {}
        for obj in select_objects(ctx, spec, strict=True):
            if obj.vim_type not in asked:
                asked[obj.vim_type] = paths_for(obj, spec, ctx.version)
            paths = asked[obj.vim_type]
            if paths is not None:
                self.objects.append(obj)
                self.paths.append(paths)


@dataclass
class Snapshot:
    ref: T.ManagedObject
    values: dict[str, tuple[object, type]] = field(default_factory=dict)  # path -> (value, declared)
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


def object_content(snap: Snapshot) -> PC.ObjectContent:
    # trusted: the values were read from the inventory's own objects (T.trusted).
    return T.trusted(
        PC.ObjectContent,
        obj=snap.ref,
        propSet=[T.trusted(vmodl.DynamicProperty, name=p, val=v) for p, (v, _) in snap.values.items()],
        missingSet=[T.trusted(PC.MissingProperty, path=p, fault=f) for p, f in snap.missing.items()],
    )


def fingerprint(value: object, version: str) -> str:
    if isinstance(value, vmodl.MethodFault):
        return f"fault:{T.wsdl_name(type(value))}:{message_of(value)}"
    encoded = json_codec.encode(value, version, object)
    try:
        return orjson.dumps(encoded, option=orjson.OPT_SORT_KEYS, default=str).decode()
    except orjson.JSONEncodeError:  # an integer beyond 64 bits
        return json.dumps(encoded, sort_keys=True, default=str)


def prerender(page: list[PC.ObjectContent], version: str) -> None:
    """Write a page read ahead as its SOAP answer will (``soap_fast``, kept with each
    object while it lives): the client's parse of the last page then covers the writing
    of this one too, not only its reading."""
    for content in page:
        soap_fast.freeze(content, while_alive=True)
    with contextlib.suppress(soap_fast.Unsupported):  # pyVmomi's serializer writes it at the call
        soap_fast.serialize(T.trusted(PC.RetrieveResult, objects=page), PC.RetrieveResult, version, "returnval")


class ContentAnswers:
    """``RetrievePropertiesEx`` answers that are the same for every caller of a release:
    properties of the ServiceInstance's ``content`` alone.  ``content`` is readable
    without a session and never changes (``ServiceInstance.content``), so its answer is
    kept, and written once per release (``soap_fast.freeze``, while kept), as pyVmomi asks for
    ``content.about`` at every connect.  At most ``KEPT`` answers, the oldest dropped first:
    pathSets are the client's to vary."""

    KEPT = 32

    def __init__(self) -> None:
        self._answers: dict[tuple[object, ...], PC.RetrieveResult] = {}

    @staticmethod
    def key(version: str, specs: list[PC.FilterSpec]) -> tuple[object, ...] | None:
        key: list[object] = [version]
        for spec in specs:
            objects = spec.objectSet or []
            for o in objects:
                if not isinstance(o.obj, vim.ServiceInstance) or o.obj._moId != "ServiceInstance":
                    return None
                if o.skip or o.selectSet:
                    return None
            paths: list[tuple[str, ...]] = []
            for p in spec.propSet or []:
                if p.type is not vim.ServiceInstance or p.all or not p.pathSet:
                    return None
                if any(path != "content" and not path.startswith("content.") for path in p.pathSet):
                    return None
                paths.append(tuple(p.pathSet))
            key.append((len(objects), tuple(paths), bool(spec.reportMissingObjectsInResults)))
        return tuple(key)

    def get(self, key: tuple[object, ...]) -> PC.RetrieveResult | None:
        return self._answers.get(key)

    def keep(self, key: tuple[object, ...], answer: PC.RetrieveResult) -> None:
        if len(self._answers) >= self.KEPT:
            del self._answers[next(iter(self._answers))]  # the oldest: its written form goes with it
        self._answers[key] = answer
        soap_fast.freeze(answer, while_alive=True)
