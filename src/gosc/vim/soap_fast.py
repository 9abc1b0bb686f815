"""A faster SOAP writer for response values, byte for byte what soap_codec's pyVmomi
serializer writes (tests/soap/test_soap_fast.py proves it over generated objects).

pyVmomi's ``SoapSerializer`` decides everything per value at run time: which properties
a release knows, each property's namespace, the ``xsi:type`` of a subtype, a dozen
``isinstance`` tests.  Here what depends only on a data object's type and the release is
decided once, from pyVmomi's type info, and kept (``_plan``, ``_qname``): the properties
the release knows, in pyVmomi's order, and the wire name the type has in it.  What this
writer does not handle (faults, ``LocalizedMethodFault``, linked properties, a namespace
other than urn:vim25, type and method names as values, binary) raises ``Unsupported``,
and the caller writes that value with pyVmomi's serializer instead.
"""

from __future__ import annotations

import datetime
import weakref
from functools import cache
from typing import Any

from pyVmomi import Iso8601, vmodl
from pyVmomi import SoapAdapter as _SoapAdapter
from pyVmomi import VmomiSupport as _VmomiSupport

# pyVmomi's serializer helpers are untyped Python: used through Any.
VmomiSupport: Any = _VmomiSupport
SoapAdapter: Any = _SoapAdapter

VIM_NS = "urn:vim25"
_PREFIX = {VmomiSupport.XMLNS_XSD: "xsd:", VmomiSupport.XMLNS_XSI: "xsi:"}
_Array = VmomiSupport.Array
_DataObject = VmomiSupport.DataObject
_ManagedObject = VmomiSupport.ManagedObject
_Enum = VmomiSupport.Enum
_MethodFault = vmodl.MethodFault
_Localized = SoapAdapter.LocalizedMethodFault
_PropertyPath = VmomiSupport.PropertyPath
_F_LINK = VmomiSupport.F_LINK
_escape = SoapAdapter.XmlEscape
_iso8601: Any = Iso8601.ISO8601Format


def _iso(dt: datetime.datetime) -> str:
    """pyVmomi's ISO8601Format, without its two strftime calls for the server's own
    datetimes (UTC, years 1000 on: what strftime pads to four digits); the rest is its."""
    if dt.tzinfo is not datetime.UTC or dt.year < 1000:
        return str(_iso8601(dt))
    text = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    if dt.microsecond:
        text += f".{dt.microsecond:06d}".rstrip("0")
    return text + "Z"


_type_of = VmomiSupport.Type


class Unsupported(Exception):
    """A value this writer leaves to pyVmomi's serializer."""


# Data objects that never change once made (the ServiceContent and its AboutInfo, fetched
# by every client at connect and by pyVim's WaitForTask at every task): their element's
# content is written once per release, its attributes (an xsi:type or not) depend on the
# slot: an ended task's info is written once for WaitForUpdates' ``val`` (anyType) and
# Fetch's ``returnval`` (TaskInfo).  Keyed by id(), the object kept beside its writings so
# that the id is never reused.
_frozen: dict[int, tuple[Any, dict[str, str]]] = {}


def freeze(value: Any, *, while_alive: bool = False) -> None:
    """Declare the data object ``value`` (and what it holds) never to change again.
    ``while_alive``: its written forms go when it does (a page read ahead, whose client
    may never ask for it; an answer dropped from a bounded cache), instead of being held,
    and it, for good."""
    key = id(value)
    if while_alive:
        _frozen[key] = (weakref.ref(value, lambda _, key=key: _frozen.pop(key, None)), {})  # type: ignore[misc]
    else:
        _frozen[key] = (value, {})


@cache
def _mo_type(typ: Any) -> str:
    return str(VmomiSupport.GetQualifiedWsdlName(typ)[1])


@cache
def _qname(typ: Any) -> str:
    """The ``xsi:type`` value of ``typ`` (soap_codec's rule: a reference is a
    ManagedObjectReference; an array of references an ArrayOfManagedObjectReference)."""
    ns, name = VmomiSupport.GetQualifiedWsdlName(typ)
    if ns == VIM_NS:
        prefix = ""
    elif ns in _PREFIX:
        prefix = _PREFIX[ns]
    else:
        raise Unsupported(f"namespace {ns}")
    if typ is _ManagedObject or name.endswith("ArrayOfManagedObject"):
        name += "Reference"
    return f"{prefix}{name}"


@cache
def _plan(cls: Any, version: str) -> tuple[type, tuple[tuple[str, Any, int], ...]]:
    """What ``version`` writes of a ``cls`` value: the type it is written as, and the
    (name, type, flags) of each property the release knows, in pyVmomi's order."""
    wire: type = VmomiSupport.GetCompatibleType(cls, version)
    if wire is _Localized:
        raise Unsupported("LocalizedMethodFault")
    props = []
    for p in cls._GetPropertyList():
        if not VmomiSupport.IsChildVersion(version, p.version):
            continue
        if p.flags & _F_LINK or VmomiSupport.GetWsdlNamespace(p.version) != VIM_NS:
            raise Unsupported(f"property {p.name}")
        props.append((p.name, p.type, p.flags))
    return wire, tuple(props)


def serialize(value: Any, declared: Any, version: str, name: str) -> str:
    """``value`` in the element ``name`` of type ``declared``, as ``version`` writes it;
    ``Unsupported`` if any part of it is left to pyVmomi."""
    out: list[str] = []
    _write(out, value, name, declared, version)
    return "".join(out)


def _write(out: list[str], val: Any, name: str, declared: Any, version: str) -> None:
    if val is None:
        return
    anytype = declared is object
    if isinstance(val, _DataObject):
        frozen = _frozen.get(id(val))
        if frozen is not None:
            attr, props = _head(val, declared, version)
            content = frozen[1].get(version)
            if content is None:
                part: list[str] = []
                _write_properties(part, val, props, version)
                content = frozen[1][version] = "".join(part)
            out.append(f"<{name}{attr}>{content}</{name}>")
        else:
            _write_data(out, val, name, declared, version)
    elif isinstance(val, _ManagedObject):
        attr = ' xsi:type="ManagedObjectReference"' if anytype else ""
        if val._serverGuid is not None:
            attr += f' serverGuid="{val._serverGuid}"'
        out.append(f'<{name}{attr} type="{_mo_type(val.__class__)}">{val._moId}</{name}>')
    elif isinstance(val, list):
        if not anytype:
            if val:
                item = declared.Item
                for it in val:
                    _write(out, it, name, item, version)
            return
        if not isinstance(val, _Array):
            raise Unsupported("a plain list in an anyType slot")
        item = val.Item
        if SoapAdapter.isDynamicType(item):
            raise Unsupported("an array of names")
        if issubclass(item, _ManagedObject):
            tag, typ = "ManagedObjectReference", _ManagedObject.Array
        else:
            tag, typ = VmomiSupport.GetWsdlName(item), _type_of(val)
        out.append(f'<{name} xsi:type="{_qname(typ)}">')
        for it in val:
            _write(out, it, tag, item, version)
        out.append(f"</{name}>")
    elif isinstance(val, (type, VmomiSupport.ManagedMethod)):
        # A method (TaskInfo.name) or a type is written as its WSDL name, a string.
        text = VmomiSupport.GetWsdlName(val) if isinstance(val, type) else val.info.wsdlName
        attr = ' xsi:type="xsd:string"' if anytype else ""
        out.append(f"<{name}{attr}>{text}</{name}>")
    elif isinstance(val, (bytes, bytearray)):
        raise Unsupported("a binary value")
    else:
        if isinstance(val, datetime.datetime):
            text = _iso(val)
        elif isinstance(val, bool):
            text = "true" if val else "false"
        elif isinstance(val, (int, float)):
            text = str(val)
        elif isinstance(val, _Enum):
            text = str.__str__(val)
        elif isinstance(val, str):
            text = _escape(val)
        else:
            raise Unsupported(type(val).__name__)
        if not anytype:
            out.append(f"<{name}>{text}</{name}>")
        else:
            xsi = "xsd:string" if isinstance(val, _PropertyPath) else _qname(_type_of(val))
            out.append(f'<{name} xsi:type="{xsi}">{text}</{name}>')


def _write_data(out: list[str], val: Any, name: str, declared: Any, version: str) -> None:
    attr, props = _head(val, declared, version)
    out.append(f"<{name}{attr}>")
    _write_properties(out, val, props, version)
    out.append(f"</{name}>")


def _head(val: Any, declared: Any, version: str) -> tuple[str, tuple[tuple[str, Any, int], ...]]:
    """A data object's element attributes in a ``declared`` slot, and the properties to write."""
    if isinstance(val, _MethodFault):
        raise Unsupported("a fault")
    wire, props = _plan(val.__class__, version)
    return ("" if wire is declared else f' xsi:type="{_qname(wire)}"'), props


def _write_properties(out: list[str], val: Any, props: tuple[tuple[str, Any, int], ...], version: str) -> None:
    for pname, ptype, _ in props:
        pval = getattr(val, pname)
        if pval is not None:
            _write(out, pval, pname, ptype, version)
