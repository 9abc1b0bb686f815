"""CustomizationSpecItem <-> vCenter's spec XML (``ConfigRoot``, gosc.formats.specxml).

Writing walks the pyVmomi object: every set property, in alphabetical order as vCenter's
exports list them, with the vmodl names of the types.  Reading maps the neutral tree onto
pyVmomi's type information into VI/JSON and decodes that with the VI/JSON codec, so an
imported spec passes the same checks (known types and properties of the release, required
properties, subtypes) as one sent to the API.  Every problem is a CustomizationFault (the
one fault XmlToCustomizationSpecItem declares) whose message names the property path.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any

from pyVmomi import VmomiSupport, vim, vmodl

from ..formats import specxml
from ..formats.specxml import Node, SpecXmlError, XmlArray, XmlObject
from ..vim import json_codec
from ..vim import types as T
from ..vim.faults import fault, message_of

ROOT_PATH = "item"
_INTS = (int, VmomiSupport.byte, VmomiSupport.short, VmomiSupport.long)
_FLOATS = (float, VmomiSupport.double)


def _vmodl_type(name: str) -> type | None:
    try:
        t: type = VmomiSupport.GetVmodlType(name)
    except (KeyError, AttributeError, TypeError, ValueError):
        return None
    return t


def _vmodl_name(t: type) -> str:
    name: str = VmomiSupport.GetVmodlName(t)
    return name


def customization_fault(message: str) -> vim.fault.CustomizationFault:
    return fault(vim.fault.CustomizationFault, f"The customization specification XML is not valid: {message}")


# ---------------------------------------------------------------- writing


def _leaf(value: object, path: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        utc = value.astimezone(datetime.UTC) if value.tzinfo else value
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bytes):  # base64Binary (VmomiSupport.binary is bytes)
        return base64.b64encode(value).decode()
    if isinstance(value, type):
        return _vmodl_name(value)
    if isinstance(value, str | int | float):  # enums are str
        return str(value)
    raise customization_fault(f"{path}: a value of type {type(value).__name__} has no XML form")


def _node_of(value: object, declared: type, path: str) -> Node:
    if isinstance(value, list):
        array_type = declared if T.is_array(declared) else type(value)
        item = T.item_type(array_type)
        return XmlArray(_vmodl_name(array_type), [_node_of(v, item, f"{path}[{i}]") for i, v in enumerate(value)])
    if isinstance(value, VmomiSupport.DataObject):
        obj = XmlObject(_vmodl_name(type(value)))
        for p in sorted(T.properties(type(value)), key=lambda p: p.name):
            v = getattr(value, p.name, None)
            # pyVmomi reads an unset array as []: vCenter's exports leave unset arrays out
            if v is None or p.name == "dynamicType" or (isinstance(v, list) and not v):
                continue
            obj.props[p.name] = _node_of(v, p.type, f"{path}.{p.name}")
        return obj
    if isinstance(value, VmomiSupport.ManagedObject):
        raise customization_fault(f"{path}: a managed object reference has no place in a customization spec")
    return _leaf(value, path)


def to_xml(item: vim.CustomizationSpecItem) -> str:
    """The ConfigRoot document of ``item`` (passwords as they are in it)."""
    node = _node_of(item, vim.CustomizationSpecItem, ROOT_PATH)
    assert isinstance(node, XmlObject)
    return specxml.render(node)


# ---------------------------------------------------------------- reading


def _json_leaf(text: str, declared: type, path: str) -> json_codec.Json:
    if declared is bool:
        if text.strip() in ("true", "1"):
            return True
        if text.strip() in ("false", "0"):
            return False
        raise SpecXmlError(f"{path}: '{text}' is not a boolean (true or false)")
    if declared in _INTS:
        try:
            return int(text.strip())
        except ValueError:
            raise SpecXmlError(f"{path}: '{text}' is not an integer") from None
    if declared in _FLOATS:
        try:
            return float(text.strip())
        except ValueError:
            raise SpecXmlError(f"{path}: '{text}' is not a number") from None
    return text


def _json_of(node: Node, declared: type, path: str) -> json_codec.Json:
    if T.is_array(declared):
        if not isinstance(node, XmlArray):
            raise SpecXmlError(f"{path}: expected an array of {_vmodl_name(T.item_type(declared))}")
        named = _vmodl_type(node.type)
        if named is None or not (named is declared or T.is_subtype(T.item_type(named), T.item_type(declared))):
            raise SpecXmlError(f"{path}._type: '{node.type}' is not an array of {_vmodl_name(T.item_type(declared))}")
        item = T.item_type(declared)
        return [_json_of(v, item, f"{path}[{i}]") for i, v in enumerate(node.items)]
    if T.is_data(declared) or declared is object:
        if not isinstance(node, XmlObject):
            raise SpecXmlError(f"{path}: expected a data object (its _type first)")
        return _json_object(node, T.DataObject if declared is object else declared, path)
    if not isinstance(node, str):
        raise SpecXmlError(f"{path}: expected a value of type {_vmodl_name(declared)}, not a structure")
    return _json_leaf(node, declared, path)


def _json_object(node: XmlObject, declared: type, path: str) -> dict[str, json_codec.Json]:
    cls = _vmodl_type(node.type)
    if cls is None or not T.is_data(cls):
        raise SpecXmlError(f"{path}._type: unknown type '{node.type}'")
    if not T.is_subtype(cls, declared):
        raise SpecXmlError(f"{path}._type: '{node.type}' is not a {_vmodl_name(declared)}")
    out: dict[str, json_codec.Json] = {"_typeName": T.wsdl_name(cls)}
    for name, child in node.props.items():
        p = T.property_info(cls, name)
        if p is None or name == "dynamicType":
            raise SpecXmlError(f"{path}.{name}: {node.type} has no property '{name}'")
        out[name] = _json_of(child, p.type, f"{path}.{name}")
    return out


def from_xml(text: str | bytes, version: str) -> vim.CustomizationSpecItem:
    """The CustomizationSpecItem a ConfigRoot document holds, checked as the API checks a
    spec of release ``version``; CustomizationFault naming the path otherwise."""
    try:
        tree = specxml.parse(text, ROOT_PATH)
        data = _json_of(tree, vim.CustomizationSpecItem, ROOT_PATH)
    except SpecXmlError as e:
        raise customization_fault(str(e)) from None
    try:
        item: vim.CustomizationSpecItem = json_codec.decode(data, vim.CustomizationSpecItem, version, ROOT_PATH)
    except vmodl.MethodFault as f:
        raise customization_fault(message_of(f)) from None
    return item


def looks_like_xml(data: bytes) -> bool:
    """Whether an operator's SPEC file is XML (else it is taken as VI/JSON)."""
    return data.lstrip()[:1] == b"<"


def item_or_spec(value: Any) -> vim.vm.customization.Specification:
    spec: vim.vm.customization.Specification = value.spec if isinstance(value, vim.CustomizationSpecItem) else value
    return spec
