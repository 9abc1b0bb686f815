"""vim25 SOAP codec: request envelopes -> pyVmomi values, pyVmomi values -> responses.

Reading a request takes two passes over the same bytes:

1. ``parse_request``: a guarded expat pass (no DOCTYPE, hence no entity declarations,
   external entities or expansion bombs; a size and a depth limit) that finds the
   method element, its ``_this`` and the names of its parameters.  Anything malformed
   is an ``InvalidRequest`` fault.
2. ``decode_params``: once the caller has resolved ``_this`` and the method (and with
   it the parameter types), a second expat pass reads each parameter element as the
   VI/JSON value it stands for (soap_params), and the VI/JSON codec decodes it by its
   rules for the negotiated version (required properties, types and properties newer
   than the release, subtype checks), so both protocols reject the same requests with
   the same faults and property paths.

Requests that differ only in their *words* (``shape``) are read alike: server/soap.py
reads a shape once and fills in the words of the next request of that shape.

Responses are written with pyVmomi's ``SoapSerializer`` for the negotiated version,
which leaves out every property newer than it and writes the nearest known ancestor
type for a subtype the client cannot know.
"""

from __future__ import annotations

import copy
import io
import re
from dataclasses import dataclass, field
from typing import Any, NoReturn
from xml.parsers import expat

from pyVmomi import SoapAdapter, VmomiSupport, vmodl

from . import json_codec, soap_fast, soap_params
from . import types as T
from .faults import fault, invalid_argument, invalid_request, message_of

SOAPENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
SOAPENC_NS = "http://schemas.xmlsoap.org/soap/encoding/"
VIM_NS = "urn:vim25"

MAX_DEPTH = 64
MAX_ELEMENTS = 500_000

_SEP = SoapAdapter.NS_SEP  # expat namespace separator pyVmomi's deserializer expects
_ENV = f"{SOAPENV_NS}{_SEP}Envelope"
_HEADER = f"{SOAPENV_NS}{_SEP}Header"
_BODY = f"{SOAPENV_NS}{_SEP}Body"

XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
ENVELOPE_START = (
    f'<soapenv:Envelope xmlns:soapenc="{SOAPENC_NS}" xmlns:soapenv="{SOAPENV_NS}" '
    f'xmlns:xsd="{XSD_NS}" xmlns:xsi="{XSI_NS}">\n<soapenv:Body>'
)
ENVELOPE_END = "</soapenv:Body>\n</soapenv:Envelope>"
_NSMAP = {SOAPENV_NS: "soapenv", XSI_NS: "xsi", XSD_NS: "xsd", SOAPENC_NS: "soapenc", VIM_NS: ""}


def _local(tag: str) -> str:
    return tag.rsplit(_SEP, 1)[-1]


Chunks = tuple[bytes, ...]  # a request's bytes around its words: its shape (see ``shape``)
Words = tuple[bytes, ...]


@dataclass(frozen=True)
class SoapRequest:
    body: bytes
    method: str
    this_type: str
    this_id: str
    version_id: str | None  # the versionId attribute of _this, if any
    params: tuple[str, ...] = ()  # parameter element names, in order
    shape: tuple[Chunks, Words] | None = field(default=None, compare=False, repr=False)  # if known


# ---------------------------------------------------------------- pass 1: the envelope


class _Reject(Exception):
    pass


def _new_parser() -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=_SEP)
    parser.buffer_text = True

    def no_doctype(*_: object) -> NoReturn:
        raise _Reject("a DOCTYPE is not allowed in a SOAP request")

    def no_entities(*_: object) -> NoReturn:
        raise _Reject("entity declarations are not allowed in a SOAP request")

    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_entities
    parser.UnparsedEntityDeclHandler = no_entities
    parser.ExternalEntityRefHandler = no_entities
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def parse_request(body: bytes) -> SoapRequest:
    """The method, ``_this`` and parameter names of a SOAP request; ``InvalidRequest`` for
    anything that is not a well-formed, entity-free vim25 SOAP envelope."""
    return read_envelope(body)[0]


def read_envelope(body: bytes) -> tuple[SoapRequest, int]:
    """``parse_request``'s request, and the byte offset where the text of ``_this`` ends
    (its end tag), for ``shape``'s readers."""
    if not body.strip():
        raise invalid_request("The SOAP request is empty")
    stack: list[str] = []
    count = 0
    state: dict[str, Any] = {
        "method": None,
        "this": None,
        "this_text": [],
        "params": [],
        "in_this": False,
        "this_end": -1,
    }

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal count
        count += 1
        if count > MAX_ELEMENTS or len(stack) >= MAX_DEPTH:
            raise _Reject("the SOAP request is nested too deeply or has too many elements")
        depth = len(stack)
        if depth == 0 and tag != _ENV:
            raise _Reject(f"the root element must be soapenv:Envelope, not {_local(tag)}")
        if depth == 1 and tag not in (_HEADER, _BODY):
            raise _Reject(f"unexpected element {_local(tag)} in soapenv:Envelope")
        in_body = depth >= 2 and stack[1] == _BODY
        if depth == 2 and in_body:
            if state["method"] is not None:
                raise _Reject("soapenv:Body must hold exactly one method element")
            state["method"] = _local(tag)
        elif depth == 3 and in_body:
            name = _local(tag)
            if name == "_this":
                if state["this"] is not None or state["params"]:
                    raise _Reject("_this must come first, once")
                state["this"] = dict(attrs)
                state["in_this"] = True
            else:
                if state["this"] is None:
                    raise _Reject("_this must come first, once")
                state["params"].append(name)
        stack.append(tag)

    def end(tag: str) -> None:
        stack.pop()
        if len(stack) == 3 and state["in_this"]:
            state["in_this"] = False
            state["this_end"] = parser.CurrentByteIndex

    def text(data: str) -> None:
        if state["in_this"] and len(stack) == 4:
            state["this_text"].append(data)

    parser = _new_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(body, True)
    except _Reject as e:
        raise invalid_request(f"Malformed SOAP request: {e}") from None
    except expat.ExpatError as e:
        raise invalid_request(
            f"Malformed SOAP request: {expat.errors.messages.get(e.code, str(e))} at line {e.lineno}, column {e.offset}"
        ) from None
    if state["method"] is None:
        raise invalid_request("Malformed SOAP request: soapenv:Body has no method element")
    this = state["this"]
    if this is None:
        raise invalid_request(f"Malformed SOAP request: {state['method']} has no _this")
    this_type = this.get("type")
    this_id = "".join(state["this_text"]).strip()
    if not this_type or not this_id:
        raise invalid_request("Malformed SOAP request: _this needs a type attribute and a value")
    request = SoapRequest(body, state["method"], this_type, this_id, this.get("versionId"), tuple(state["params"]))
    return request, state["this_end"]


# ---------------------------------------------------------------- shapes
#
# Clients send runs of requests that differ only in a reference's value (pyVim's
# WaitForTask: CreateFilter, Fetch and DestroyPropertyFilter for each new task and
# filter) or in a number.  A request's *words* are the texts between a tag's ``>`` and the
# next ``<`` made only of the characters of references, names and numbers; the rest of its
# bytes, in pieces, is its *shape*.
#
# Why requests of one shape parse alike but for their words' texts: in a body that has
# no comment, CDATA section, processing instruction or DOCTYPE (only an XML declaration
# at its very start) and that expat has read without error, every ``<`` starts a tag and
# every ``>`` ends one or lies in an attribute value.  A word cannot begin in an
# attribute value (the tag's own ``>``, not a word character, comes before any ``<``),
# so it is all the character data between two tags; inside the root element, since text
# outside it must be white space.  Another word in its place is character data too: no
# markup, no entity, no line end to normalise, ASCII.  So every body of that shape is
# well formed and gives the same parser events, but for those texts.

_WORD = re.compile(rb">([A-Za-z0-9_.:\[\]-]+)<")


def shape(body: bytes) -> tuple[Chunks, Words] | None:
    """A request's shape (the bytes around its words) and its words; None for a body
    whose markup could hide a word's meaning (see above).  Whether ``body`` is well formed
    is the reader's to find out, for the first body of each shape."""
    if body.find(b"<!") != -1 or body.find(b"<?", 1) != -1:
        return None
    parts = _WORD.split(body)
    return tuple(parts[0::2]), tuple(parts[1::2])


def word_ends(body: bytes) -> dict[int, int]:
    """Each word of ``body`` by the byte offset where it ends (the ``<`` after it)."""
    return {m.end(1): i for i, m in enumerate(_WORD.finditer(body))}


# ---------------------------------------------------------------- version negotiation


def version_of(soap_action: str | None, version_id: str | None) -> str:
    """The pyVmomi version a request speaks: SOAPAction ``"urn:vim25/8.0.3.0"``, else the
    ``versionId`` attribute, else the newest release."""
    candidates = []
    if soap_action:
        action = soap_action.strip().strip('"').strip()
        if action:
            candidates.append(action.removeprefix("urn:"))
    if version_id:
        candidates.append(f"vim25/{version_id.strip()}")
    for ns in candidates:
        if ns == "vim25":
            return T.NEWEST_VERSION
        version = T.version_named(ns) or T.version_named(_four_part(ns))
        if version is not None and ns.startswith("vim25/") and T.defined_in(T.NEWEST_VERSION, version):
            return version
        raise invalid_request(f"Unsupported API version '{ns}'; this server speaks vim25/{', vim25/'.join(T.RELEASES)}")
    return T.NEWEST_VERSION


def _four_part(ns: str) -> str:
    """``vim25/7.0`` -> ``vim25/7.0.0.0``: the short release names clients send (govmomi
    0.24's default SOAPAction is ``urn:vim25/7.0``; vCenter answers it as 7.0.0.0)."""
    prefix, _, release = ns.rpartition("/")
    parts = release.split(".")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return ns
    return f"{prefix}/{'.'.join(parts + ['0'] * (4 - len(parts)))}"


# ---------------------------------------------------------------- pass 2: parameters


def decode_params(req: SoapRequest, info: T.MethodInfo, version: str) -> dict[str, Any]:
    return decode_values(read_params(req, info, version).values, info, version)


def read_params(
    req: SoapRequest, info: T.MethodInfo, version: str, ends: dict[int, int] | None = None
) -> soap_params.ParamReader:
    """The parameters of ``req`` as VI/JSON values (the reader's ``values``); given where
    the words of ``req.body`` end (``word_ends``), the reader also marks which values are
    words, for its ``template``."""
    params = {p.name: p for p in info.params}
    counts: dict[str, int] = {}
    for name in req.params:
        p = params.get(name)
        if p is None or not T.defined_in(version, p.version):
            raise invalid_argument(
                name, f"{info.wsdl_name} has no parameter '{name}' in release {T.release_of_version(version)}"
            )
        counts[name] = counts.get(name, 0) + 1
        if counts[name] > 1 and not T.is_array(p.type):
            raise invalid_argument(name, f"parameter '{name}' of {info.wsdl_name} is given more than once")
    parser = _new_parser()
    reader = soap_params.ParamReader({p.name: p.type for p in info.params}, version, parser, ends)
    SoapAdapter.SetHandlers(parser, SoapAdapter.GetHandlers(reader))
    try:
        parser.Parse(req.body, True)  # a fault of the reader's (a property's path) goes as it is
    except _Reject as e:
        raise invalid_request(f"Malformed SOAP request: {e}") from None
    except expat.ExpatError as e:
        raise invalid_request(f"Malformed SOAP request: {e}") from None
    return reader


def decode_values(values: dict[str, Any], info: T.MethodInfo, version: str) -> dict[str, Any]:
    """The parameters' VI/JSON values as pyVmomi values: the VI/JSON rules decide what a
    release may send (one set of rules, one set of faults)."""
    types = {p.name: p.type for p in info.params}
    return {name: json_codec.decode(value, types[name], version, name) for name, value in values.items()}


# ---------------------------------------------------------------- responses


class _Serializer(SoapAdapter.SoapSerializer):
    """pyVmomi's serializer, lenient where a server's object model is: a required
    property left unset is left out (as VI/JSON does) rather than failing the call."""

    def _Serialize(self, val: Any, info: Any, defNS: str) -> None:
        if val is None:
            return
        if isinstance(val, list) and not val and (info.type is not object or not isinstance(val, VmomiSupport.Array)):
            return
        super()._Serialize(val, info, defNS)

    def _QName(self, typ: Any, defNS: str) -> tuple[str, str]:
        # A reference in an anyType slot is xsi:type="ManagedObjectReference", as vCenter
        # writes it; pyVmomi's client-side "ManagedObject" is unknown to govmomi, which
        # then drops the value (TaskInfo.result, DynamicProperty.val).
        attr, qname = super()._QName(typ, defNS)
        return (attr, qname + "Reference") if typ is VmomiSupport.ManagedObject else (attr, qname)


def _serializer(writer: io.StringIO, version: str) -> Any:
    s = _Serializer(writer, version, _NSMAP)
    s.outermostAttrs = ""  # no versionId on returnval; namespaces are on the envelope
    return s


def serialize_value(value: Any, declared: type, version: str, name: str = "returnval") -> str:
    if value is None:
        return ""
    if isinstance(value, list) and not value and declared is not object:
        return ""
    try:
        return soap_fast.serialize(value, declared, version, name)
    except soap_fast.Unsupported:
        return pyvmomi_serialize(value, declared, version, name)


def pyvmomi_serialize(value: Any, declared: type, version: str, name: str = "returnval") -> str:
    """``value`` written by pyVmomi's own serializer (what soap_fast must equal)."""
    writer = io.StringIO()
    info = VmomiSupport.Object(name=name, type=declared, version=version, flags=T.F_OPTIONAL)
    _serializer(writer, version).Serialize(value, info)
    return writer.getvalue()


def response(method: str, value: Any, declared: type | None, version: str) -> bytes:
    inner = "" if declared is None else serialize_value(value, declared, version)
    return (
        f'{XML_HEADER}{ENVELOPE_START}<{method}Response xmlns="{VIM_NS}">{inner}</{method}Response>{ENVELOPE_END}'
    ).encode()


def fault_detail(f: vmodl.MethodFault, version: str) -> str:
    cls = VmomiSupport.GetCompatibleType(type(f), version)
    tag = f"{T.wsdl_name(cls)}Fault"
    value = copy.copy(f)
    value.msg = None  # the message travels as faultstring
    writer = io.StringIO()
    info = VmomiSupport.Object(name=tag, type=vmodl.MethodFault, version=version, flags=0)
    _serializer(writer, version).SerializeFaultDetail(value, info)
    xml = writer.getvalue()
    # The detail element is unqualified; the fault inside it lives in urn:vim25.
    return xml.replace(f"<{tag}", f'<{tag} xmlns="{VIM_NS}"', 1)


def fault_response(f: vmodl.MethodFault, version: str) -> bytes:
    message = SoapAdapter.XmlEscape(message_of(f))
    try:
        detail = fault_detail(f, version)
    except Exception:  # never let a fault that cannot be written become a traceback
        detail = fault_detail(fault(vmodl.fault.SystemError, message_of(f), reason=message_of(f)), version)
    return (
        f"{XML_HEADER}{ENVELOPE_START}<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
        f"<faultstring>{message}</faultstring><detail>{detail}</detail></soapenv:Fault>"
        f"{ENVELOPE_END}"
    ).encode()
