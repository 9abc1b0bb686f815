"""vim25 SOAP requests, pass 2: the parameters, read as the VI/JSON values they are.

One expat pass over the envelope turns each parameter element into the JSON value a
VI/JSON client would send for it: pyVmomi's type info tells which properties are arrays
(repeated elements), what a slot's text is (a number, a flag, a string, a reference's
``type`` attribute and value), and an ``xsi:type`` becomes ``_typeName`` (a subtype, or a
value boxed in an anyType slot).  ``json_codec.decode`` then makes the pyVmomi values by
the VI/JSON rules for the negotiated release, so both protocols refuse the same requests
with the same faults and property paths: one set of rules, applied once.  (Reading with
pyVmomi's own deserializer and re-checking through a JSON round trip did the work twice:
half of a ``CreateFilter`` call's time in the server.)
"""

from __future__ import annotations

import datetime
from typing import Any

from pyVmomi import SoapAdapter as _SoapAdapter
from pyVmomi import VmomiSupport, vmodl

from . import json_codec
from . import types as T
from .faults import invalid_argument, invalid_type

# pyVmomi's deserializer helpers are untyped Python: used through Any.
SoapAdapter: Any = _SoapAdapter
XSI_TYPE = SoapAdapter.XSI_TYPE
XSI_NIL = f"{SoapAdapter.XMLNS_XSI}{SoapAdapter.NS_SEP}nil"
_SEP = SoapAdapter.NS_SEP
_BODY = f"{SoapAdapter.XMLNS_SOAPENV}{_SEP}Body"
_XSD_NS = SoapAdapter.XMLNS_XSD

# What a slot's element holds.  FAULT: a LocalizedMethodFault, the wire's wrapper of a
# property typed as a fault (its ``fault`` element is the value; its message is the server's).
DATA, REF, TEXT, ARRAY, SKIP, FAULT = range(6)
_INTS = (VmomiSupport.byte, VmomiSupport.short, int, VmomiSupport.long)
_FLOATS = (float, VmomiSupport.double)
_DYNAMIC = (type, VmomiSupport.ManagedMethod, VmomiSupport.PropertyPath)  # their xsi:type is not read


class _Slot:
    """An element being read: what it is (``kind``), its declared type, its path, and where
    its value goes (``into``: a list to append to, or a dict and a key)."""

    __slots__ = ("box", "counts", "declared", "into", "key", "kind", "path", "ref_type", "text", "value")

    def __init__(self, kind: int, declared: Any, path: str, into: Any, key: str | None) -> None:
        self.kind = kind
        self.declared = declared  # DATA: the class its properties come from; ARRAY: the item type
        self.path = path
        self.into = into
        self.key = key
        self.box: str | None = None  # the _typeName of a value boxed in an anyType slot
        self.text: list[str] = []
        self.value: Any = None
        self.counts: dict[str, int] = {}
        self.ref_type = ""


class ParamReader(SoapAdapter.ExpatDeserializerNSHandlers):  # type: ignore[misc]
    """The expat handlers of pass 2 (namespace prefixes tracked by pyVmomi's base class,
    for ``xsi:type`` values).  ``values`` holds each parameter's JSON value when done.

    Given the offsets where the body's words end (soap_codec.shape), the reader also notes
    which values are made from a word alone (``template``): a request of the same shape
    is then read by putting its own words there (``fill``), without parsing it."""

    def __init__(
        self, params: dict[str, type], version: str, parser: Any = None, word_ends: dict[int, int] | None = None
    ) -> None:
        super().__init__()
        self.params = params
        self.version = version
        self.values: dict[str, Any] = {}
        self.depth = 0  # of the elements outside parameters
        self.in_body = False
        self.slots: list[_Slot] = []
        self.parser = parser
        self.word_ends = word_ends
        self.words: list[tuple[Any, Any, Word]] = []  # (where a word's value went: container, key; the word)

    # ------------------------------------------------------------ expat

    def StartElementHandler(self, tag: str, attrs: dict[str, str]) -> None:
        slots = self.slots
        name = tag.rsplit(_SEP, 1)[-1]
        if not slots:
            if self.depth == 1:
                self.in_body = tag == _BODY
            if self.depth != 3 or not self.in_body or name == "_this":
                self.depth += 1
                return
            declared = self.params[name]  # parse_request's names, checked by decode_params
            if T.is_array(declared):
                into = self.values.setdefault(name, [])
                self._open(T.item_type(declared), f"{name}[{len(into)}]", attrs, into, None)
            else:
                self._open(declared, name, attrs, self.values, name)
            return
        parent = slots[-1]
        if parent.kind == DATA:
            cls = parent.declared
            slot = _properties(cls, self.version).get(name)
            if slot is None and name != "dynamicType":
                raise invalid_argument(
                    f"{parent.path}.{name}",
                    f"{T.wsdl_name(cls)} has no property '{name}' in release {T.release_of_version(self.version)}",
                )
            n = parent.counts.get(name, 0)
            parent.counts[name] = n + 1
            if slot is None:  # dynamicType: pyVmomi's own, never part of a value (VI/JSON has none)
                slots.append(_Slot(SKIP, None, "", None, None))
            elif slot[1] is not None:  # an array: its items are repeated elements
                into = parent.value.setdefault(name, [])
                self._open(slot[1], f"{parent.path}.{name}[{n}]", attrs, into, None)
            elif n:
                raise invalid_argument(f"{parent.path}.{name}", f"property '{name}' is given more than once")
            else:
                self._open(slot[0], f"{parent.path}.{name}", attrs, parent.value, name)
        elif parent.kind == ARRAY:
            self._open(parent.declared, f"{parent.path}[{len(parent.value)}]", attrs, parent.value, None)
        elif parent.kind == SKIP or (parent.kind == FAULT and (name != "fault" or parent.counts)):
            slots.append(_Slot(SKIP, None, "", None, None))
        elif parent.kind == FAULT:
            parent.counts[name] = 1
            self._open(parent.declared, parent.path, attrs, parent.into, parent.key, unwrapped=True)
        else:
            raise invalid_argument(parent.path, "unexpected element inside a simple value")

    def EndElementHandler(self, tag: str) -> None:
        if not self.slots:
            self.depth -= 1
            return
        slot = self.slots.pop()
        if slot.kind in (SKIP, FAULT):
            return
        value = self._value(slot)
        if slot.key is None:
            slot.into.append(value)
        else:
            slot.into[slot.key] = value
        if self.word_ends is not None and slot.kind in (TEXT, REF):
            # The end tag starts where the element's text ends: was that text a word?  It
            # is then the whole text (such an element holds no element, hence one text).
            index = self.word_ends.get(self.parser.CurrentByteIndex)
            if index is not None:
                where = len(slot.into) - 1 if slot.key is None else slot.key
                self.words.append((slot.into, where, Word(index, slot)))

    def CharacterDataHandler(self, data: str) -> None:
        if self.slots and self.slots[-1].kind in (TEXT, REF):
            self.slots[-1].text.append(data)

    # ------------------------------------------------------------ slots

    def _open(
        self, declared: Any, path: str, attrs: dict[str, str], into: Any, key: str | None, unwrapped: bool = False
    ) -> None:
        if attrs.get(XSI_NIL) in ("true", "1"):
            self.slots.append(_Slot(SKIP, None, "", None, None))
            return
        xsi = attrs.get(XSI_TYPE)
        wire = self._xsi_type(xsi, path) if xsi and declared not in _DYNAMIC else None
        if declared is object:  # anyType: the xsi:type says what it is (a string without one)
            slot = self._any(wire, xsi, path, into, key)
        elif T.is_managed(declared):
            if wire is not None and not T.is_managed(wire):  # its type attribute says which
                raise invalid_type(path, f"type '{xsi}' at {path} is not a {T.wsdl_name(declared)}")
            slot = _Slot(REF, declared, path, into, key)
        elif T.is_data(declared) and issubclass(declared, vmodl.MethodFault) and not unwrapped:
            slot = _Slot(FAULT, declared, path, into, key)
        elif T.is_data(declared):
            slot = _Slot(DATA, declared, path, into, key)
            slot.value = {}
            if xsi is not None and wire is not declared:
                # VI/JSON's rules for a subtype: known in the release, and fitting the slot.
                type_name = _local(xsi)
                slot.declared = json_codec.resolve_subtype(type_name, declared, self.version, path)
                slot.value["_typeName"] = type_name
        else:
            if wire is not None and not (wire is declared or issubclass(wire, declared)):
                raise invalid_type(path, f"type '{xsi}' at {path} is not a {T.wsdl_name(declared)}")
            slot = _Slot(TEXT, declared, path, into, key)
        if slot.kind == REF:
            ref_type = attrs.get("type")
            if not ref_type:
                raise invalid_argument(path, "a managed object reference needs a type attribute")
            slot.ref_type = _local(ref_type)
        self.slots.append(slot)

    def _any(self, wire: Any, xsi: str | None, path: str, into: Any, key: str | None) -> _Slot:
        if wire is None:
            return _Slot(TEXT, str, path, into, key)
        if wire is T.ManagedObject:
            slot = _Slot(REF, T.ManagedObject, path, into, key)
            slot.box = json_codec.MOREF
        elif T.is_array(wire):
            item = T.item_type(wire)
            slot = _Slot(ARRAY, T.ManagedObject if T.is_managed(item) else item, path, into, key)
            slot.value = []
            slot.box = _local(xsi or "")
        elif T.is_data(wire):
            slot = _Slot(DATA, wire, path, into, key)
            slot.value = {"_typeName": T.wsdl_name(wire)}
            json_codec.resolve_subtype(slot.value["_typeName"], T.DataObject, self.version, path)
        else:
            slot = _Slot(TEXT, wire, path, into, key)
            slot.box = _local(xsi or "")
        return slot

    def _xsi_type(self, xsi: str, path: str) -> Any:
        ns, name = self.GetNSAndWsdlname(xsi)
        try:
            return VmomiSupport.GetWsdlType(ns, name)
        except KeyError:
            if name.endswith("ManagedObjectReference"):  # what gosc and vCenter write for pyVmomi's ManagedObject
                name = name.removesuffix("Reference")
            found = T.lookup_type(name) if ns != _XSD_NS else None
            if found is None:
                raise invalid_type(path, f"unknown type '{name}' at {path}") from None
            return found

    def _value(self, slot: _Slot) -> Any:
        if slot.kind == DATA:
            return slot.value
        if slot.kind == ARRAY:
            return {"_typeName": slot.box, "_value": slot.value}
        return _text_value(slot, "".join(slot.text))

    def template(self) -> dict[str, Any]:
        """``values`` with a ``Word`` where a value was made from a word alone, for
        ``fill``; what holds no word is shared between the requests filled from it
        (json_codec.decode only reads its input).  Takes ``values`` apart: call it last."""
        for into, where, word in self.words:
            into[where] = word
        return _compile(self.values)  # type: ignore[no-any-return]


def _text_value(slot: _Slot, text: str) -> Any:
    """The JSON value of a reference's or a simple value's element with ``text``."""
    if slot.kind == REF:
        ref = {"type": slot.ref_type, "value": text}
        return {"_typeName": slot.box, **ref} if slot.box else ref
    value = _scalar(text, slot.declared, slot.path)
    return {"_typeName": slot.box, "_value": value} if slot.box else value


class Word:
    """In a template: the value made from word ``index`` of a request, in ``slot``."""

    __slots__ = ("index", "slot")

    def __init__(self, index: int, slot: _Slot) -> None:
        self.index = index
        self.slot = slot


class _Filled:
    """In a template: a JSON object or array with words somewhere inside it."""

    __slots__ = ("items",)

    def __init__(self, items: dict[str, Any] | list[Any]) -> None:
        self.items = items


def _compile(value: Any) -> Any:
    if isinstance(value, dict):
        items: dict[str, Any] | list[Any] = {k: _compile(v) for k, v in value.items()}
    elif isinstance(value, list):
        items = [_compile(v) for v in value]
    else:
        return value
    inside = items.values() if isinstance(items, dict) else items
    return _Filled(items) if any(isinstance(v, (Word, _Filled)) for v in inside) else value


def fill(template: Any, words: tuple[bytes, ...]) -> Any:
    """The JSON values the reader would make of a body of the template's shape with these
    ``words``; the fault of the first word its slot cannot hold (the reader, reading the
    whole body, may find another first: the caller reads it so)."""
    kind = type(template)
    if kind is _Filled:
        items = template.items
        if isinstance(items, dict):
            return {k: fill(v, words) for k, v in items.items()}
        return [fill(v, words) for v in items]
    if kind is Word:
        return _text_value(template.slot, words[template.index].decode("ascii"))
    return template


_PROPERTIES: dict[tuple[type, str], dict[str, tuple[type, type | None]]] = {}  # bounded: types times releases


def _properties(cls: type, version: str) -> dict[str, tuple[type, type | None]]:
    """A data type's properties in ``version`` (but dynamicType): their declared type, and
    their item type when they are arrays.  The same set as json_codec's (``readable_properties``)."""
    found = _PROPERTIES.get((cls, version))
    if found is None:
        found = _PROPERTIES[(cls, version)] = {
            name: (declared, T.item_type(declared) if T.is_array(declared) else None)
            for name, (declared, _) in json_codec.readable_properties(cls, version)[0].items()
        }
    return found


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _scalar(text: str, declared: Any, path: str) -> Any:
    """An element's text as the JSON scalar VI/JSON carries for ``declared``; the values
    themselves (ranges, enum names, dates, base64) are json_codec's to check."""
    if declared is bool:
        flag = text.strip()
        if flag in ("true", "1"):
            return True
        if flag in ("false", "0"):
            return False
    elif declared in _INTS:
        digits = text.strip().removeprefix("-").removeprefix("+")
        if digits.isascii() and digits.isdigit():  # xsd's integers (Python's int() takes "1_000" too)
            return int(text)
    elif declared in _FLOATS:
        try:
            return float(text)
        except ValueError:
            pass
    elif declared is VmomiSupport.binary:
        return "".join(text.split())  # base64 may be wrapped over lines
    elif declared in (type, VmomiSupport.ManagedMethod):
        return _local(text.strip())
    elif declared is datetime.datetime or T.is_enum(declared):
        return text.strip()
    else:
        return text
    raise invalid_argument(path, f"expected a value of type {T.PRIMITIVE_NAMES.get(declared, T.wsdl_name(declared))}")
