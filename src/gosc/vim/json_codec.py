"""VI/JSON codec: pyVmomi values <-> the JSON that vCenter's /sdk/vim25/{release} speaks.

Rules (vCenter's VI/JSON):
- every data object carries ``_typeName``; a request body may name a subtype there;
- a managed object travels as ``{"_typeName": "ManagedObjectReference", "type", "value"}``;
- in ``anyType`` slots primitives and arrays are boxed as ``{"_typeName", "_value"}``;
- dateTime is RFC 3339, base64Binary a base64 string, ``byte[]`` an array of numbers;
- a type or property that the request's release does not define is rejected on input
  and left out on output.

Decoding errors raise vSphere faults naming the property path, never Python errors.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

import orjson
from pyVmomi import VmomiSupport, vmodl

from . import types as T
from .faults import invalid_argument, invalid_type
from .names import xml_problem

MOREF = "ManagedObjectReference"
SECRET_MASK = "(secret)"

_JSON_HIDDEN = frozenset({"dynamicType"})
# MethodFault.msg is pyVmomi's SOAP faultstring; VI/JSON carries the text in faultMessage.
# (Other types' msg, a vSAN upgrade issue's, is theirs: it is written.)
_FAULT_HIDDEN = frozenset({"dynamicType", "msg"})


# ---------------------------------------------------------------- encoding


# What VI/JSON (and gosc's store) is made of.
Json: TypeAlias = dict[str, "Json"] | list["Json"] | str | int | float | bool | None
# A secret property's value -> what is written in its place (encode), or what is written -> the
# value (decode).
SecretFilter = Callable[[Any], Json]
_D = TypeVar("_D", bound=T.DataObject)


def redact(_: object) -> str:
    return SECRET_MASK


def encode(value: object, version: str, declared: type | None = None, *, secrets: SecretFilter | None = None) -> Json:
    """A pyVmomi value as VI/JSON for ``version``.  ``declared`` is the slot's type:
    values in ``anyType`` (``object``) slots are boxed.  ``secrets`` replaces the value of
    every secret property (``redact`` for logs, encryption for the store)."""
    if value is None:
        return None
    boxed = declared is object
    kind = type(value)
    if not boxed and (kind is str or kind is int or kind is bool or kind is float):
        return value  # type: ignore[return-value]  # most of what data objects hold: as _encode_primitive would
    if isinstance(value, T.ManagedObject):
        return {"_typeName": MOREF, "type": T.wsdl_name(type(value)), "value": value._moId}
    if isinstance(value, T.DataObject):
        return _encode_data(value, version, secrets)
    if isinstance(value, list):
        item_decl = T.item_type(declared) if declared is not None and T.is_array(declared) else None
        items = [encode(v, version, item_decl, secrets=secrets) for v in value]
        if boxed or declared is None:
            return {"_typeName": _array_name(value), "_value": items}
        return items
    if isinstance(value, T.Enum):
        return {"_typeName": T.wsdl_name(type(value)), "_value": str(value)} if boxed else str(value)
    prim = _encode_primitive(value)
    if boxed:
        return {"_typeName": _primitive_name(value), "_value": prim}
    return prim


def _encode_data(obj: T.DataObject, version: str, secrets: SecretFilter | None) -> dict[str, Json]:
    type_name, written = _written(type(obj), version)
    out: dict[str, Json] = {"_typeName": type_name}
    for name, declared, secret in written:
        v = getattr(obj, name)
        if v is None or (isinstance(v, list) and not v):
            continue
        if secret and secrets is not None:
            out[name] = secrets(v)
            continue
        out[name] = encode(v, version, declared, secrets=secrets)
    return out


_Written = tuple[str, tuple[tuple[str, type, bool], ...]]
_WRITTEN: dict[tuple[type, str], _Written] = {}  # bounded: the data types times the releases


def _written(cls: type, version: str) -> _Written:
    """A data type's wire name and the properties its JSON may carry in ``version`` (name,
    declared type, secret), in order: decided once, not for each object (a task's info,
    written at each of its changes, spent half its encoding time deciding it)."""
    written = _WRITTEN.get((cls, version))
    if written is None:
        hidden = _FAULT_HIDDEN if issubclass(cls, vmodl.MethodFault) else _JSON_HIDDEN
        props = T.properties(cls)
        kept = tuple(
            (p.name, p.type, bool(p.flags & T.F_SECRET))
            for p in props
            if p.name not in hidden and T.defined_in(version, p.version)
        )
        written = _WRITTEN[(cls, version)] = (T.wsdl_name(cls), kept)
    return written


def _encode_primitive(value: object) -> Json:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is datetime.UTC:  # what the server makes (inventory.base.now)
            # orjson writes the same text as isoformat with Z for +00:00 (a test proves it
            # over all of them) in a fifth of its time: a clock read spent a tenth of its
            # server time in isoformat.
            return orjson.dumps(value, option=orjson.OPT_UTC_Z)[1:-1].decode("ascii")
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):  # VmomiSupport.binary
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, type):
        return T.wsdl_name(value)
    if isinstance(value, VmomiSupport.ManagedMethod):
        name: str = value.info.wsdlName if hasattr(value, "info") else str(value)
        return name
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


def _primitive_name(value: object) -> str:
    for t in type(value).__mro__:
        if t in T.PRIMITIVE_NAMES:
            return T.PRIMITIVE_NAMES[t]
    return "string"


def _array_name(value: list[Any]) -> str:
    item = T.item_type(type(value)) if isinstance(value, VmomiSupport.Array) else None
    if item is not None and item is not object:
        if T.is_managed(item):
            return "ArrayOfManagedObjectReference"
        return T.wsdl_name(type(value))
    if value:
        first = value[0]
        if isinstance(first, T.ManagedObject):
            return "ArrayOfManagedObjectReference"
        if isinstance(first, T.DataObject):
            return "ArrayOf" + T.wsdl_name(type(first))
        return "ArrayOf" + _primitive_name(first)[0].upper() + _primitive_name(first)[1:]
    return "ArrayOfAnyType"


# ---------------------------------------------------------------- decoding


def decode(
    data: Any, declared: type, version: str, path: str, *, secrets: SecretFilter | None = None, strict: bool = True
) -> Any:
    """A VI/JSON value in a slot of type ``declared`` as a pyVmomi value for ``version``.
    ``secrets`` turns a stored secret back into its value (the inverse of encode's);
    ``strict=False`` (for gosc's own store) lets required properties be absent and takes
    strings as stored; from a client, a string XML cannot carry is ``InvalidArgument``
    (every string may go back out in a SOAP answer)."""
    if data is None:
        return None
    if declared is object:
        return _decode_any(data, version, path, secrets, strict)
    if T.is_array(declared):
        if isinstance(data, dict) and "_value" in data:  # tolerate a boxed array in a typed slot
            data = data["_value"]
        if not isinstance(data, list):
            raise invalid_argument(path, "expected an array")
        item = T.item_type(declared)
        for i, v in enumerate(data):
            if v is None:
                raise invalid_argument(f"{path}[{i}]", "an array element must not be null")
        return declared(
            [decode(v, item, version, f"{path}[{i}]", secrets=secrets, strict=strict) for i, v in enumerate(data)]
        )
    if T.is_managed(declared):
        return _decode_moref(data, declared, path)
    if T.is_data(declared):
        return _decode_data(data, declared, version, path, secrets, strict)
    if T.is_enum(declared):
        if not isinstance(data, str) or data not in T.enum_values(declared):
            raise invalid_argument(path, f"'{data}' is not a value of {T.wsdl_name(declared)}")
        return getattr(declared, data)
    if strict and isinstance(data, str) and (problem := xml_problem(data)):
        raise invalid_argument(path, problem)
    return _decode_primitive(data, declared, path)


def _decode_data(
    data: Any, declared: type[_D], version: str, path: str, secrets: SecretFilter | None, strict: bool
) -> _D:
    if not isinstance(data, dict):
        raise invalid_argument(path, f"expected an object of type {T.wsdl_name(declared)}")
    cls = declared
    type_name = data.get("_typeName")
    if type_name is not None:
        cls = resolve_subtype(type_name, declared, version, path)
    values: dict[str, Any] = {}
    readable, required = readable_properties(cls, version)
    for key, raw in data.items():
        if key == "_typeName":
            continue
        slot = readable.get(key)
        if slot is None:
            raise invalid_argument(
                f"{path}.{key}",
                f"{T.wsdl_name(cls)} has no property '{key}' in release {T.release_of_version(version)}",
            )
        if raw is None:
            continue
        declared, secret = slot
        if secret and secrets is not None:
            raw = secrets(raw)
        values[key] = decode(raw, declared, version, f"{path}.{key}", secrets=secrets, strict=strict)
    for name in required if strict else ():
        if name not in values:
            raise invalid_argument(f"{path}.{name}", f"required property '{name}' is missing")
    # Each value was decoded for its property's declared type above: pyVmomi's check of
    # every value again (its constructor's) was a third of what decoding a spec cost.
    return T.trusted(cls, **values)


_Readable = tuple[dict[str, tuple[type, bool]], tuple[str, ...]]
_READABLE: dict[tuple[type, str], _Readable] = {}  # bounded: the data types times the releases


def readable_properties(cls: type, version: str) -> _Readable:
    """The properties a data type's JSON may carry in ``version`` (their declared type and
    whether they are secret) and those it must: decided once per type and release, as
    ``_written`` for encoding."""
    readable = _READABLE.get((cls, version))
    if readable is None:
        props = [p for p in T.properties(cls) if p.name != "dynamicType" and T.defined_in(version, p.version)]
        readable = _READABLE[(cls, version)] = (
            {p.name: (p.type, bool(p.flags & T.F_SECRET)) for p in props},
            tuple(p.name for p in props if not p.flags & T.F_OPTIONAL),
        )
    return readable


def resolve_subtype(type_name: object, declared: type[_D], version: str, path: str) -> type[_D]:
    cls = T.lookup_type(type_name) if isinstance(type_name, str) else None
    if cls is None or not T.type_defined_in(version, cls):
        raise invalid_type(path, f"unknown type '{type_name}' at {path}")
    if not T.is_subtype(cls, declared):
        raise invalid_type(path, f"type '{type_name}' at {path} is not a {T.wsdl_name(declared)}")
    return cls


def _decode_moref(data: Any, declared: type, path: str) -> T.ManagedObject:
    if not isinstance(data, dict) or not isinstance(data.get("value"), str) or not isinstance(data.get("type"), str):
        raise invalid_argument(path, "expected a ManagedObjectReference with 'type' and 'value'")
    if data.get("_typeName", MOREF) != MOREF:
        raise invalid_type(path, f"'{data['_typeName']}' at {path} is not a ManagedObjectReference")
    cls = T.lookup_managed_type(data["type"])
    if cls is None or not issubclass(cls, declared):
        raise invalid_type(path, f"'{data['type']}' at {path} is not a {T.wsdl_name(declared)}")
    return cls(data["value"])


def _decode_any(data: Any, version: str, path: str, secrets: SecretFilter | None = None, strict: bool = True) -> Any:
    if isinstance(data, dict):
        type_name = data.get("_typeName")
        if not isinstance(type_name, str):
            raise invalid_type(path, f"a value of type anyType at {path} needs a _typeName")
        if type_name == MOREF:
            return _decode_moref(data, T.ManagedObject, path)
        if "_value" in data:
            if type_name == "ArrayOfManagedObjectReference":
                return [_decode_moref(v, T.ManagedObject, f"{path}[{i}]") for i, v in enumerate(data["_value"] or [])]
            cls = T.lookup_type(type_name)
            if cls is None or T.is_data(cls) or not T.type_defined_in(version, cls):
                raise invalid_type(path, f"unknown type '{type_name}' at {path}")
            return decode(data["_value"], cls, version, path)
        return decode(data, T.DataObject, version, path, secrets=secrets, strict=strict)
    # Unboxed JSON scalars in anyType slots: take them as their natural types.
    if isinstance(data, str) and strict and (problem := xml_problem(data)):
        raise invalid_argument(path, problem)
    if isinstance(data, bool | str):
        return data
    if isinstance(data, int):
        return VmomiSupport.long(data)
    if isinstance(data, float):
        return VmomiSupport.double(data)
    raise invalid_type(path, f"a value of type anyType at {path} needs a _typeName")


_INT_RANGES = {
    VmomiSupport.byte: (-(2**7), 2**7 - 1),
    VmomiSupport.short: (-(2**15), 2**15 - 1),
    int: (-(2**31), 2**31 - 1),
    VmomiSupport.long: (-(2**63), 2**63 - 1),
}


def _decode_primitive(data: Any, declared: type, path: str) -> Any:
    name = T.PRIMITIVE_NAMES.get(declared, T.wsdl_name(declared))
    if declared is bool:
        if isinstance(data, bool):
            return data
    elif declared in _INT_RANGES:
        if isinstance(data, int) and not isinstance(data, bool):
            lo, hi = _INT_RANGES[declared]
            if lo <= data <= hi:
                return declared(data)
            raise invalid_argument(path, f"{data} is out of range for {name}")
    elif declared in (float, VmomiSupport.double):
        if isinstance(data, int | float) and not isinstance(data, bool):
            return declared(data)
    elif declared is datetime.datetime:
        if isinstance(data, str):
            return _parse_datetime(data, path)
    elif declared is VmomiSupport.binary:
        if isinstance(data, str):
            try:
                return VmomiSupport.binary(base64.b64decode(data, validate=True))
            except binascii.Error:
                raise invalid_argument(path, "expected base64 data") from None
    elif declared is VmomiSupport.ManagedMethod:
        if isinstance(data, str):
            try:
                return VmomiSupport.GetWsdlMethod(T.VIM_NS, data)
            except KeyError:
                raise invalid_argument(path, f"unknown method name '{data}'") from None
    elif declared is type:
        if isinstance(data, str) and T.lookup_type(data) is not None:
            return T.lookup_type(data)
        raise invalid_argument(path, f"unknown type name '{data}'")
    elif issubclass(declared, str) and isinstance(data, str):
        return declared(data)
    raise invalid_argument(path, f"expected a value of type {name}")


def _parse_datetime(text: str, path: str) -> datetime.datetime:
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_argument(path, f"'{text}' is not an RFC 3339 date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


# ---------------------------------------------------------------- gosc's own store


def to_store(value: T.DataObject, *, secrets: SecretFilter | None = None) -> dict[str, Json]:
    """How gosc persists a vim25 data object: VI/JSON of the newest release."""
    return _encode_data(value, T.NEWEST_VERSION, secrets)


def from_store(doc: object, declared: type[_D], *, secrets: SecretFilter | None = None) -> _D:
    """The inverse of ``to_store``; lenient about required properties gosc leaves unset."""
    return _decode_data(doc, declared, T.NEWEST_VERSION, T.wsdl_name(declared), secrets, False)
