"""The SOAP parameter reader (gosc.vim.soap_params) against the way it replaced: pyVmomi's
own deserializer, then the VI/JSON codec's rules through a JSON round trip.  Over generated
values of every vim25 data type, in every release, in their own slot, a supertype's slot
and an anyType slot, written as pyVmomi writes a request's parameter, both read the same
value, or refuse it with the same fault at the same property path."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pyVmomi import SoapAdapter, vim, vmodl

from gosc.vim import json_codec, soap_codec
from gosc.vim import types as T
from gosc.vim.faults import message_of
from tests.soap.test_soap_fast import EVERY_TYPE, draw_case

PC = vmodl.query.PropertyCollector


def _method(declared: type) -> T.MethodInfo:
    return T.MethodInfo(
        wsdl_name="Probe",
        name="Probe",
        owner=T.ManagedObject,
        params=(T.Param("arg", declared, False, False, "vmodl.version.version0"),),
        result=object,
        is_task=False,
        priv_id="System.Anonymous",
        version="vmodl.version.version0",
        faults=(),
    )


def _envelope(param_xml: str) -> bytes:
    return (
        f'{soap_codec.XML_HEADER}{soap_codec.ENVELOPE_START}<Probe xmlns="urn:vim25">'
        f'<_this type="ServiceInstance">ServiceInstance</_this>{param_xml}</Probe>{soap_codec.ENVELOPE_END}'
    ).encode()


def _outcome(read: Any) -> tuple[str, Any]:
    """("value", its VI/JSON) or ("fault", (kind, property path, message))."""
    try:
        value = read()
    except vmodl.MethodFault as f:
        where = getattr(f, "invalidProperty", None) or getattr(f, "argument", None)
        return "fault", (type(f).__name__, where, message_of(f))
    return "value", json_codec.encode(value, T.NEWEST_VERSION, object)


def _pyvmomi_then_json(param_xml: str, declared: type, version: str) -> Any:
    """What gosc did before: pyVmomi's deserializer, then the VI/JSON rules."""
    fragment = param_xml.replace(
        "<arg", f'<arg xmlns="urn:vim25" xmlns:xsi="{soap_codec.XSI_NS}" xmlns:xsd="{soap_codec.XSD_NS}"', 1
    )
    value = SoapAdapter.Deserialize(fragment.encode(), declared)
    return json_codec.decode(json_codec.encode(value, T.NEWEST_VERSION, declared), declared, version, "arg")


@given(data=st.data())
@EVERY_TYPE
def test_parameters_read_as_pyvmomi_and_the_json_rules_read_them(data: st.DataObject) -> None:
    typ, version, value, declared = draw_case(data)
    if value is None or isinstance(value, vmodl.MethodFault):  # faults are never parameters
        return
    if declared is object and not T.type_defined_in(version, typ):
        return  # a client of that release cannot name the type
    try:
        param_xml = soap_codec.pyvmomi_serialize(value, declared, version, "arg")
    except TypeError:  # pyVmomi will not write it (a required property unset): no client sends it
        return
    try:
        req = soap_codec.parse_request(_envelope(param_xml))
    except vmodl.fault.InvalidRequest:  # a character XML cannot carry: no envelope, no parameter
        return
    got = _outcome(lambda: soap_codec.decode_params(req, _method(declared), version)["arg"])
    try:
        expected = _outcome(lambda: _pyvmomi_then_json(param_xml, declared, version))
    except (TypeError, ValueError):  # pyVmomi cannot read it (a year before 1000): refused
        assert got[0] == "fault", got
        return
    assert got == expected


def test_a_property_collector_spec_reads_as_pyvmomi_wrote_it() -> None:
    """The spec pyVim's WaitForTask sends, with a traversal and a reference in it."""
    spec = PC.FilterSpec(
        objectSet=[
            PC.ObjectSpec(
                obj=vim.Folder("group-d1"),
                skip=False,
                selectSet=[PC.TraversalSpec(name="t", type=vim.Folder, path="childEntity", skip=False)],
            )
        ],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, all=False, pathSet=["name", "runtime.powerState"])],
    )
    param_xml = soap_codec.pyvmomi_serialize(spec, PC.FilterSpec, T.NEWEST_VERSION, "arg")
    req = soap_codec.parse_request(_envelope(param_xml))
    got = soap_codec.decode_params(req, _method(PC.FilterSpec), T.NEWEST_VERSION)["arg"]
    assert got.propSet[0].type is vim.VirtualMachine and list(got.propSet[0].pathSet) == ["name", "runtime.powerState"]
    assert got.objectSet[0].obj == vim.Folder("group-d1")
    assert got.objectSet[0].selectSet[0].path == "childEntity"
    assert json_codec.encode(got, T.NEWEST_VERSION) == json_codec.encode(spec, T.NEWEST_VERSION)


def test_text_a_slot_cannot_hold_is_refused_with_its_path() -> None:
    spec = '<arg><propSet><type>Task</type><all>maybe</all></propSet><objectSet><obj type="Task">t-1</obj></objectSet></arg>'
    req = soap_codec.parse_request(_envelope(spec))
    kind, (name, where, _) = _outcome(lambda: soap_codec.decode_params(req, _method(PC.FilterSpec), T.NEWEST_VERSION))
    assert (kind, name, where) == ("fault", "vmodl.fault.InvalidArgument", "arg.propSet[0].all")
    nested = '<arg><objectSet><obj type="Task">t-1<x>1</x></obj></objectSet></arg>'
    req = soap_codec.parse_request(_envelope(nested))
    kind, (name, where, _) = _outcome(lambda: soap_codec.decode_params(req, _method(PC.FilterSpec), T.NEWEST_VERSION))
    assert (kind, name, where) == ("fault", "vmodl.fault.InvalidArgument", "arg.objectSet[0].obj")
    untyped = "<arg><objectSet><obj>t-1</obj></objectSet></arg>"
    req = soap_codec.parse_request(_envelope(untyped))
    kind, (name, where, _) = _outcome(lambda: soap_codec.decode_params(req, _method(PC.FilterSpec), T.NEWEST_VERSION))
    assert (kind, name, where) == ("fault", "vmodl.fault.InvalidArgument", "arg.objectSet[0].obj")
    for text in ("1_000", "١٢", "12.0", ""):  # Python's int() takes the first two; xsd:int none
        req = soap_codec.parse_request(_envelope(f"<arg><maxObjects>{text}</maxObjects></arg>"))
        kind, (name, where, _) = _outcome(
            lambda: soap_codec.decode_params(req, _method(PC.RetrieveOptions), T.NEWEST_VERSION)  # noqa: B023
        )
        assert (kind, name, where) == ("fault", "vmodl.fault.InvalidArgument", "arg.maxObjects"), text
    req = soap_codec.parse_request(_envelope("<arg><maxObjects> 1000 </maxObjects></arg>"))
    assert soap_codec.decode_params(req, _method(PC.RetrieveOptions), T.NEWEST_VERSION)["arg"].maxObjects == 1000


def test_a_reference_reads_whatever_managed_xsi_type_it_carries() -> None:
    """A reference's ``type`` attribute names its type; an ``xsi:type`` on it may say
    ManagedObjectReference or a managed type (pyVmomi reads both), never a simple type."""
    for xsi in ("ManagedObjectReference", "VirtualMachine"):
        req = soap_codec.parse_request(_envelope(f'<arg xsi:type="{xsi}" type="VirtualMachine">vm-1</arg>'))
        assert soap_codec.decode_params(req, _method(vim.VirtualMachine), T.NEWEST_VERSION)[
            "arg"
        ] == vim.VirtualMachine("vm-1")
    req = soap_codec.parse_request(_envelope('<arg xsi:type="xsd:string" type="VirtualMachine">vm-1</arg>'))
    kind, (name, where, _) = _outcome(
        lambda: soap_codec.decode_params(req, _method(vim.VirtualMachine), T.NEWEST_VERSION)
    )
    assert (kind, name, where) == ("fault", "vmodl.fault.InvalidType", "arg")
