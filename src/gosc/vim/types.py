"""vim25 type information, read from pyVmomi: the single source of truth for types.

Nothing here restates a vim25 type.  Releases map to pyVmomi version names, and every
"is this type/property/method part of release R" question goes through `defined_in`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Protocol, TypeGuard, TypeVar

from pyVmomi import Version, VmomiSupport, vim, vmodl  # noqa: F401  (vim/vmodl load the type tables)

VIM_NS = "urn:vim25"
XSD_NS = "http://www.w3.org/2001/XMLSchema"

# The VI/JSON releases a vCenter 9.1 serves, newest first (the spec's `release` enum).
RELEASES: tuple[str, ...] = (
    "9.1.0.0",
    "9.0.0.0",
    "8.0.3.1",
    "8.0.3.0",
    "8.0.2.0",
    "8.0.1.0",
    "8.0.0.2",
    "8.0.0.1",
    "8.0.0.0",
    "7.0.3.2",
    "7.0.3.1",
    "7.0.3.0",
    "7.0.2.1",
    "7.0.2.0",
    "7.0.1.1",
    "7.0.1.0",
    "7.0.0.2",
    "7.0.0.1",
    "7.0.0.0",
)
NEWEST_RELEASE = RELEASES[0]

DataObject = VmomiSupport.DataObject
ManagedObject = VmomiSupport.ManagedObject
Enum = VmomiSupport.Enum
MethodFault = vmodl.MethodFault
F_OPTIONAL = VmomiSupport.F_OPTIONAL
F_SECRET = VmomiSupport.F_SECRET

# Primitive Python types pyVmomi uses, with their XSD names (for boxing in anyType slots).
PRIMITIVE_NAMES: dict[type, str] = {
    bool: "boolean",
    VmomiSupport.byte: "byte",
    VmomiSupport.short: "short",
    int: "int",
    VmomiSupport.long: "long",
    float: "float",
    VmomiSupport.double: "double",
    str: "string",
    datetime.datetime: "dateTime",
    VmomiSupport.binary: "base64Binary",
    VmomiSupport.URI: "anyURI",
    VmomiSupport.PropertyPath: "PropertyPath",
    type: "TypeName",
    VmomiSupport.ManagedMethod: "MethodName",
}


_T = TypeVar("_T")


class UnknownRelease(LookupError):
    pass


class PropertyInfo(Protocol):
    """What pyVmomi's (untyped) property info objects carry."""

    name: str
    type: type
    version: str
    flags: int
    privId: str | None  # the privilege to read it; managed objects' properties only


def version_named(name: str) -> str | None:
    """pyVmomi's version name for a namespace/version string (``vim25/8.0.3.0``), if it knows it."""
    version: str | None = VmomiSupport.versionMap.get(name)
    return version


@cache
def version_of_release(release: str) -> str:
    """pyVmomi version name (e.g. ``vim.version.v8_0_3_0``) for a VI/JSON release.
    A release pyVmomi has no version of (7.0.0.1, a patch that changed no type) takes
    the newest older one it has."""
    if release not in RELEASES:
        raise UnknownRelease(release)
    for candidate in RELEASES[RELEASES.index(release) :]:
        version = version_named(f"vim25/{candidate}")
        if version is not None:
            return version
    raise UnknownRelease(release)


@cache
def release_of_version(version: str) -> str:
    release: str = VmomiSupport.versionIdMap[version]
    return release


NEWEST_VERSION = version_of_release(NEWEST_RELEASE)


@lru_cache(maxsize=65536)
def defined_in(version: str, item_version: str) -> bool:
    """True when something introduced in ``item_version`` exists in ``version``."""
    child: bool = Version.IsChildVersion(version, item_version)
    return child


def type_version(t: type) -> str | None:
    return getattr(t, "_version", None)


def type_defined_in(version: str, t: type) -> bool:
    v = type_version(t)
    return v is None or defined_in(version, v)


def wsdl_name(t: type) -> str:
    name: str = VmomiSupport.GetWsdlName(t)
    return name


@lru_cache(maxsize=4096)
def lookup_type(name: str) -> type | None:
    """A vim25 type by its wsdl name (``CustomizationLinuxPrep``, ``ArrayOfString``, ``int``)."""
    for ns in (VIM_NS, XSD_NS):
        try:
            found: type = VmomiSupport.GetWsdlType(ns, name)
            return found
        except KeyError:
            continue
    if name == "ManagedObjectReference":
        return ManagedObject
    return None


def lookup_managed_type(name: str) -> type[ManagedObject] | None:
    t = lookup_type(name)
    if t is not None and is_managed(t):
        return t
    return None


def is_array(t: type) -> bool:
    return isinstance(t, type) and issubclass(t, list)


def is_data(t: type) -> TypeGuard[type[VmomiSupport.DataObject]]:
    return isinstance(t, type) and issubclass(t, DataObject)


def is_managed(t: type) -> TypeGuard[type[VmomiSupport.ManagedObject]]:
    return isinstance(t, type) and issubclass(t, ManagedObject)


def is_enum(t: type) -> TypeGuard[type[VmomiSupport.Enum]]:
    return isinstance(t, type) and issubclass(t, Enum)


@dataclass(frozen=True)
class Param:
    name: str
    type: type
    optional: bool
    secret: bool
    version: str


@dataclass(frozen=True)
class MethodInfo:
    wsdl_name: str  # CustomizeGuest_Task
    name: str  # Customize (pyVmomi's name)
    owner: type  # vim.vm.GuestCustomizationManager
    params: tuple[Param, ...]
    result: type | None
    is_task: bool
    priv_id: str | None
    version: str
    faults: tuple[str, ...]


def method_info(managed: type, wsdl_method: str) -> MethodInfo | None:
    """The method that ``managed`` (or an ancestor) exposes under ``wsdl_method``."""
    return _method_info(managed, wsdl_method)


# The cached functions take plain ``type``: mypy does not take pyVmomi's classes (their
# __hash__ is an untyped method) as Hashable, which lru_cache's wrapper asks for.
@lru_cache(maxsize=4096)
def _method_info(managed: type, wsdl_method: str) -> MethodInfo | None:
    for cls in managed.__mro__:
        for info in getattr(cls, "_methodInfo", {}).values():
            if info.wsdlName == wsdl_method:
                params = tuple(
                    Param(
                        p.name,
                        VmomiSupport.GetVmodlType(p.typeName) if hasattr(p, "typeName") else p.type,
                        bool(p.flags & F_OPTIONAL),
                        bool(p.flags & F_SECRET),
                        p.version,
                    )
                    for p in info.params
                )
                # ``info.result`` resolves pyVmomi's lazy ``resultName`` (and drops it: a pyVmomi
                # client in this process may have done so already).
                result = None if info.result is type(None) else info.result
                return MethodInfo(
                    wsdl_name=info.wsdlName,
                    name=info.name,
                    owner=cls,
                    params=params,
                    result=result,
                    is_task=bool(info.isTask),
                    priv_id=info.privId,
                    version=info.version,
                    faults=tuple(info.faults or ()),
                )
    return None


def properties(t: type) -> tuple[PropertyInfo, ...]:
    """Property infos of a data or managed type, inherited ones first (pyVmomi's order)."""
    return _properties(t)


@lru_cache(maxsize=4096)
def _properties(t: type) -> tuple[PropertyInfo, ...]:
    # Two calls, not one on the union: mypy does not see the union's classmethod as pyVmomi's.
    infos: list[PropertyInfo] = []
    if is_data(t):
        infos = t._GetPropertyList()
    if is_managed(t):
        infos = t._GetPropertyList()
    return tuple(infos)


def property_info(t: type, name: str) -> PropertyInfo | None:
    return _property_info(t, name)


@lru_cache(maxsize=4096)
def _property_info(t: type, name: str) -> PropertyInfo | None:
    for p in properties(t):
        if p.name == name:
            return p
    return None


def is_subtype(t: type, base: type[_T]) -> TypeGuard[type[_T]]:
    return isinstance(t, type) and issubclass(t, base)


def array(item: type[_T], values: Iterable[_T] = ()) -> list[_T]:
    """``values`` in ``item``'s pyVmomi array type (``item.Array``, made at run time; for a
    primitive such as ``int`` or ``str``, pyVmomi's ``int[]``/``string[]``): in an anyType slot
    (DynamicProperty.val, TaskInfo.result) that type names the items on the wire."""
    array_type: type[list[_T]] | None = vars(item).get("Array")
    if array_type is None:
        array_type = VmomiSupport.GetVmodlType(VmomiSupport.GetVmodlName(item) + "[]")
    return array_type(values)


def item_type(array_type: type) -> type:
    """The item type of a pyVmomi array type (``ArrayOfString`` -> ``str``)."""
    item: type = vars(array_type)["Item"]
    return item


def enum_values(enum_type: type[Enum]) -> list[str]:
    """The values of a pyVmomi enum type (set on the class when pyVmomi loads it)."""
    values: list[str] = vars(enum_type)["values"]
    return values


# ---------------------------------------------------------------- data objects by the thousand


_Blank = tuple[dict[str, object], tuple[tuple[str, type], ...]]
_blanks: dict[type, _Blank] = {}


def _blank(cls: type) -> _Blank:
    """What pyVmomi's DataObject constructor sets on a new ``cls``: the fixed values, and
    the array properties (a new empty array each)."""
    known = _blanks.get(cls)
    if known is not None:
        return known
    fixed: dict[str, object] = {}
    arrays: list[tuple[str, type]] = []
    for p in cls._GetPropertyList():  # type: ignore[attr-defined]
        ptype = p.type
        if issubclass(ptype, list):
            arrays.append((p.name, ptype))
        elif p.flags & VmomiSupport.F_OPTIONAL or issubclass(ptype, VmomiSupport.Enum):
            fixed[p.name] = None
        elif ptype is bool:
            fixed[p.name] = False
        elif issubclass(ptype, str):
            fixed[p.name] = ""
        elif issubclass(ptype, (int, float)):
            fixed[p.name] = ptype(0)
        else:
            fixed[p.name] = None
    known = _blanks[cls] = (fixed, tuple(arrays))
    return known


def trusted(cls: type[_T], **values: object) -> _T:
    """``cls(**values)`` without pyVmomi's check of each value against its property's
    type: for the objects the server itself makes by the thousand from values it holds
    (a page of ObjectContent is two objects per VM, and the checks were half its cost).
    The values must be what ``cls(**values)`` would accept."""
    obj = cls.__new__(cls)
    fixed, arrays = _blank(cls)
    state = obj.__dict__
    state.update(fixed)
    for name, array in arrays:
        state[name] = array()
    state.update(values)
    return obj
