"""Requests read by their shape (server/soap.py over soap_codec.shape and
soap_params.fill) against the same requests read whole: the envelope and the parameters
are the same, or the fault is, whatever the words.  A request of a shape already read is
read from that shape's template; each test checks that it was."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pyVmomi import vim, vmodl

from gosc.server import soap
from gosc.vim import json_codec, soap_codec
from gosc.vim import types as T
from gosc.vim.faults import message_of
from tests.soap.test_soap_codec import V803, wire_bodies
from tests.soap.test_soap_fast import EVERY_TYPE, draw_case
from tests.soap.test_soap_params import _envelope, _method

PC = vmodl.query.PropertyCollector

# Words a body may carry in another request of its shape: references' values, numbers,
# flags, enum and property names, and texts that no slot of theirs can hold.
_WORDS = st.one_of(
    st.sampled_from(
        [b"0", b"1", b"-1", b"+7", b"1.5", b"true", b"false", b"1_000", b"9" * 30, b"2026-12-01T07:00:00Z"]
    ),
    st.sampled_from(
        [b"vm-7", b"task-99", b"group-d1", b"session[52aa]0c1f", b"info", b"name", b"poweredOn", b"::", b"-"]
    ),
    st.from_regex(rb"\A[A-Za-z0-9_.:\[\]-]{1,12}\Z"),
)


def _info_of(req: soap_codec.SoapRequest) -> T.MethodInfo:
    if req.method == "Fetch":
        return soap._FETCH_INFO
    owner = T.lookup_managed_type(req.this_type)
    assert owner is not None, req.this_type
    info = T.method_info(owner, req.method)
    assert info is not None, req.method
    return info


def _whole(body: bytes, info: T.MethodInfo, version: str) -> tuple[Any, Any]:
    """What reading ``body`` whole gives: its envelope (None if refused), then its
    parameters or the fault."""
    return _read(soap_codec.parse_request, soap_codec.decode_params, body, info, version)


def _shaped(body: bytes, info: T.MethodInfo, version: str) -> tuple[Any, Any]:
    return _read(soap.parse_request, soap.decode_params, body, info, version)


def _read(parse: Any, decode: Any, body: bytes, info: T.MethodInfo, version: str) -> tuple[Any, Any]:
    try:
        req = parse(body)
    except vmodl.MethodFault as f:
        return None, ("fault", type(f).__name__, message_of(f))
    envelope = (req.body, req.method, req.this_type, req.this_id, req.version_id, req.params)
    try:
        args = decode(req, info, version)
    except vmodl.MethodFault as f:
        where = getattr(f, "invalidProperty", None) or getattr(f, "argument", None)
        return envelope, ("fault", type(f).__name__, where, message_of(f))
    return envelope, ("value", {name: json_codec.encode(v, version, object) for name, v in args.items()})


def _respelled(body: bytes, data: st.DataObject) -> bytes:
    """``body`` with some of its words replaced by drawn ones."""
    shaped = soap_codec.shape(body)
    assert shaped is not None
    chunks, words = shaped
    new = [data.draw(st.one_of(st.just(w), _WORDS), label=f"word {i}") for i, w in enumerate(words)]
    out = [chunks[0]]
    for word, chunk in zip(new, chunks[1:], strict=True):
        out += [b">", word, b"<", chunk]
    return b"".join(out)


def _read_by_shape(first: bytes, second: bytes, info: T.MethodInfo, version: str) -> None:
    """Read ``first`` (which leaves its shape's templates), then ``second``: each as it
    reads whole, ``second`` from the templates."""
    for cache in (soap._parsed, soap._envelopes, soap._decoded, soap._params):
        cache.clear()  # what earlier cases left (an exact match would read it without its shape)
    whole = _whole(first, info, version)
    assert _shaped(first, info, version) == whole
    chunks, _ = soap_codec.shape(first) or ((), ())
    kept = soap._params.get((id(info), version, chunks))
    if whole[1][0] == "value":
        assert soap._envelopes.get(chunks) is not None  # every _this here is one word
        assert (kept is not None and kept[0] is info) == bool(whole[0][5])  # a template for the parameters
    whole = _whole(second, info, version)
    assert _shaped(second, info, version) == whole
    if kept is not None and second != first and whole[1][0] == "value":
        assert soap._params.get((id(info), version, chunks)) is kept  # read from the template, not again


@given(data=st.data())
@EVERY_TYPE
def test_a_request_of_a_known_shape_reads_as_it_reads_whole(data: st.DataObject) -> None:
    """Over generated values of every data type and release, in their own slot, a
    supertype's and an anyType slot, with words respelled."""
    typ, version, value, declared = draw_case(data)
    if (
        value is None
        or isinstance(value, vmodl.MethodFault)
        or (declared is object and not T.type_defined_in(version, typ))
    ):
        return  # no client sends it (see test_soap_params)
    try:
        first = _envelope(soap_codec.pyvmomi_serialize(value, declared, version, "arg"))
    except TypeError:
        return
    if soap_codec.shape(first) is None or len(first) > 4096:
        return  # read whole, always (test_what_is_not_a_word_is_read_whole)
    _read_by_shape(first, _respelled(first, data), _method(declared), version)


@given(data=st.data())
@EVERY_TYPE
def test_the_requests_pyvmomi_sent_read_alike_by_their_shape(data: st.DataObject) -> None:
    entry = data.draw(st.sampled_from(wire_bodies()), label="logged request")
    first = entry["body"].encode()
    if len(first) > 4096:
        return
    info = _info_of(soap_codec.parse_request(first))
    _read_by_shape(first, _respelled(first, data), info, V803)


def test_wait_for_task_s_requests_for_the_next_task_are_read_from_the_first() -> None:
    info = T.method_info(vmodl.query.PropertyCollector, "CreateFilter")
    assert info is not None

    def create_filter(task: str) -> bytes:
        spec = PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=vim.Task(task))],
            propSet=[PC.PropertySpec(type=vim.Task, pathSet=[], all=True)],
        )
        xml = soap_codec.pyvmomi_serialize(spec, PC.FilterSpec, T.NEWEST_VERSION, "spec")
        return (
            f'{soap_codec.XML_HEADER}{soap_codec.ENVELOPE_START}<CreateFilter xmlns="urn:vim25">'
            f'<_this type="PropertyCollector">propertyCollector</_this>{xml}<partialUpdates>false</partialUpdates>'
            f"</CreateFilter>{soap_codec.ENVELOPE_END}"
        ).encode()

    _read_by_shape(create_filter("task-1"), create_filter("task-2"), info, T.NEWEST_VERSION)
    spec = soap.decode_params(soap.parse_request(create_filter("task-3")), info, T.NEWEST_VERSION)["spec"]
    assert spec.objectSet[0].obj == vim.Task("task-3")
    again = soap.decode_params(soap.parse_request(create_filter("task-3")), info, T.NEWEST_VERSION)["spec"]
    assert again is not spec and again.objectSet[0] is not spec.objectSet[0]  # a method may keep what it gets

    def fetch(this: str) -> bytes:
        return (
            f'{soap_codec.XML_HEADER}{soap_codec.ENVELOPE_START}<Fetch xmlns="urn:vim25">'
            f'<_this type="Task">{this}</_this><prop>info</prop></Fetch>{soap_codec.ENVELOPE_END}'
        ).encode()

    _read_by_shape(fetch("task-1"), fetch("task-2"), soap._FETCH_INFO, T.NEWEST_VERSION)
    assert soap.parse_request(fetch("task-4")).this_id == "task-4"


def test_what_is_not_a_word_is_read_whole() -> None:
    """Markup that could hide what a text is keeps a body from having a shape, and a
    ``_this`` made of more than one text keeps its envelope from being kept."""
    body = _envelope('<arg type="VirtualMachine">vm-1</arg>')
    assert soap_codec.shape(body) is not None
    for hidden in (b"<!-- >vm-2< -->", b"<![CDATA[>vm-2<]]>", b"<?pi >vm-2<?>"):
        assert soap_codec.shape(body.replace(b"<arg", hidden + b"<arg")) is None
    split = _envelope("").replace(b">ServiceInstance<", b">Service<x/>Instance<")
    other = split.replace(b">Instance<", b">Other<")
    assert soap.parse_request(split).this_id == "ServiceInstance"
    assert soap.parse_request(other).this_id == "ServiceOther"
    chunks, _ = soap_codec.shape(split) or ((), ())
    assert chunks not in soap._envelopes
