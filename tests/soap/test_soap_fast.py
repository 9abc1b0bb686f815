"""The fast SOAP writer (gosc.vim.soap_fast) against pyVmomi's own serializer, as gosc
configures it (soap_codec.pyvmomi_serialize): over generated data objects of every vim25
data type, in every release, in their own slot and in an anyType slot, both write the
same bytes."""

from __future__ import annotations

import datetime
import gc
import os
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyVmomi import VmomiSupport, vim, vmodl

from gosc.inventory.property_retrieval import prerender
from gosc.inventory.service_instance import ABOUT
from gosc.vim import soap_codec, soap_fast
from gosc.vim import types as T

DATA_TYPES = sorted(n for n in VmomiSupport._dataDefMap if n.startswith(("vim.", "vmodl.query.")))
VERSIONS = sorted({T.version_of_release(r) for r in T.RELEASES})
PC = vmodl.query.PropertyCollector
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
MAX_DEPTH = 3
METHODS = [VmomiSupport.GetWsdlMethod("urn:vim25", m) for m in ("PowerOnVM_Task", "CustomizeGuest_Task", "Login")]


@cache
def values(typ: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of the pyVmomi type ``typ`` (None where ``typ`` is too deep to fill)."""
    if typ is object:
        return _anytype(depth)
    if issubclass(typ, list):
        return st.lists(values(typ.Item, depth + 1), max_size=3).map(typ)
    if issubclass(typ, VmomiSupport.Enum):
        return st.sampled_from(typ.values).map(typ)
    if typ is bool:
        return st.booleans()
    if issubclass(typ, int):
        bits = {VmomiSupport.byte: 7, VmomiSupport.short: 15, VmomiSupport.long: 63}.get(typ, 31)
        return st.integers(-(2**bits), 2**bits - 1).map(typ)
    if issubclass(typ, float):
        return st.floats(allow_nan=False, width=32).map(typ)
    if issubclass(typ, str):
        return TEXT.map(typ)
    if typ is datetime.datetime:
        return st.datetimes(timezones=st.just(datetime.UTC))
    if issubclass(typ, bytes):
        return st.binary(max_size=8).map(typ)
    if issubclass(typ, VmomiSupport.ManagedObject):
        return st.text("abcdefgh-0123456789", min_size=1, max_size=8).map(typ)
    if typ is VmomiSupport.ManagedMethod:  # TaskInfo.name
        return st.sampled_from(METHODS)
    if typ is type:  # a type name (PropertyFilterSpec's propSet type travels as a string)
        return st.sampled_from([vim.VirtualMachine, vim.AboutInfo, vim.TaskInfo.State])
    if issubclass(typ, VmomiSupport.DataObject):
        if depth >= MAX_DEPTH:
            return st.none()
        props = {
            p.name: values(p.type, depth + 1)
            for p in typ._GetPropertyList()
            if p.name not in ("dynamicType", "dynamicProperty")
        }
        return st.fixed_dictionaries({}, optional=props).map(lambda kw: _build(typ, kw))
    return st.none()


def _build(typ: Any, kw: dict[str, Any]) -> Any:
    # pyVmomi refuses an empty list for a required array: such a property stays unset.  Set
    # one by one: a property may be named like the constructor's own argument (``self`` of
    # vim.ext.ExtendedProductInfo).
    obj = typ()
    for k, v in kw.items():
        if v is not None and not (isinstance(v, list) and not v):
            setattr(obj, k, v)
    return obj


def _anytype(depth: int) -> st.SearchStrategy[Any]:
    simple = [
        TEXT,
        st.booleans(),
        st.integers(-(2**31), 2**31 - 1),
        values(VmomiSupport.long, depth + 1),
        values(datetime.datetime, depth + 1),
        values(vim.VirtualMachine, depth + 1),
        values(vim.VirtualMachine.PowerState, depth + 1),
        values(VmomiSupport.GetVmodlType("string[]"), depth + 1),
        values(vim.ManagedObject.Array, depth + 1),
        values(vim.VirtualMachine.Array, depth + 1),
        values(VmomiSupport.GetVmodlType("long[]"), depth + 1),
        values(VmomiSupport.ManagedMethod, depth + 1),
    ]
    if depth < MAX_DEPTH:
        simple += [values(vim.AboutInfo, depth + 1), values(vim.vm.GuestInfo.Array, depth + 1)]
    return st.one_of(simple)


# Deterministic in CI (derandomized), as the other generated tests; GOSC_FUZZ_EXAMPLES=N explores
# N fresh examples per test instead.
EXPLORE = "GOSC_FUZZ_EXAMPLES" in os.environ


# Over every data type: 400 examples (tests/soap/test_soap_params.py too).
EVERY_TYPE = settings(
    max_examples=int(os.environ.get("GOSC_FUZZ_EXAMPLES", "400")),
    derandomize=not EXPLORE,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def draw_case(data: st.DataObject) -> tuple[Any, str, Any, Any]:
    """A data type, a release, a value of the type, and the slot it goes in: its own type,
    an anyType slot, or its parent type's."""
    typ = VmomiSupport.GetVmodlType(data.draw(st.sampled_from(DATA_TYPES), label="type"))
    version = data.draw(st.sampled_from(VERSIONS), label="version")
    value = data.draw(values(typ), label="value")
    declared = data.draw(st.sampled_from([typ, object, typ.__mro__[1]]), label="declared slot")
    return typ, version, value, declared


@given(data=st.data())
@EVERY_TYPE
def test_fast_writer_writes_what_pyvmomi_writes(data: st.DataObject) -> None:
    _, version, value, declared = draw_case(data)
    try:
        expected = soap_codec.pyvmomi_serialize(value, declared, version)
    except TypeError:  # pyVmomi refuses it (a fault with a required field unset): so must the fast writer
        with pytest.raises((soap_fast.Unsupported, TypeError)):
            soap_fast.serialize(value, declared, version, "returnval")
        return
    try:
        got = soap_fast.serialize(value, declared, version, "returnval")
    except soap_fast.Unsupported:
        got = expected  # left to pyVmomi: what soap_codec then writes is pyVmomi's
    assert got == expected
    assert soap_codec.serialize_value(value, declared, version) == expected


@given(version=st.sampled_from(VERSIONS), vals=st.lists(_anytype(1), min_size=1, max_size=4))
@settings(max_examples=int(os.environ.get("GOSC_FUZZ_EXAMPLES", "200")), derandomize=not EXPLORE, deadline=None)
def test_property_collector_answers_take_the_fast_path(version: str, vals: list[Any]) -> None:
    """What the property collector answers (values in DynamicProperty's anyType slot)
    is written by the fast writer, not left to pyVmomi, and equals pyVmomi's."""
    about = vim.AboutInfo(instanceUuid="a", **ABOUT)
    objects = [
        PC.ObjectContent(
            obj=vim.VirtualMachine(f"vm-{i}"),
            propSet=[vmodl.DynamicProperty(name="p", val=v), vmodl.DynamicProperty(name="about", val=about)],
        )
        for i, v in enumerate(vals)
    ]
    result = PC.RetrieveResult(objects=objects, token="t")
    got = soap_fast.serialize(result, PC.RetrieveResult, version, "returnval")
    assert got == soap_codec.pyvmomi_serialize(result, PC.RetrieveResult, version)


def test_a_fault_is_left_to_pyvmomi() -> None:
    f = vim.fault.InvalidState(msg="no")
    try:
        soap_fast.serialize(f, object, T.NEWEST_VERSION, "returnval")
    except soap_fast.Unsupported:
        pass
    else:
        raise AssertionError("a fault was written by the fast writer")
    assert soap_codec.serialize_value(f, object, T.NEWEST_VERSION) == soap_codec.pyvmomi_serialize(
        f, object, T.NEWEST_VERSION
    )


@given(data=st.data())
@settings(max_examples=int(os.environ.get("GOSC_FUZZ_EXAMPLES", "300")), derandomize=not EXPLORE, deadline=None)
def test_trusted_makes_what_the_constructor_makes(data: st.DataObject) -> None:
    """T.trusted (no per-value checks, for pages of ObjectContent) leaves an object equal,
    property by property, to what pyVmomi's constructor makes of the same values."""
    page = [
        "vmodl.query.PropertyCollector.ObjectContent",
        "vmodl.DynamicProperty",
        "vmodl.query.PropertyCollector.MissingProperty",
    ]
    typ = VmomiSupport.GetVmodlType(data.draw(st.one_of(st.sampled_from(page), st.sampled_from(DATA_TYPES))))
    made = data.draw(values(typ))
    if made is None:
        return
    given_values = {p.name: getattr(made, p.name) for p in typ._GetPropertyList() if p.name in made.__dict__}
    given_values = {k: v for k, v in given_values.items() if v is not None and not (isinstance(v, list) and not v)}
    assert T.trusted(typ, **given_values).__dict__ == typ(**given_values).__dict__


def test_a_page_frozen_while_alive_is_written_once_and_forgotten_when_it_goes() -> None:
    """A page read ahead (property_retrieval.prerender) is written as its answer will be,
    and its written form goes with it: a client that never asks for it leaks nothing."""
    pc = vmodl.query.PropertyCollector
    version = "vim.version.v9_1_0_0"
    page = [
        pc.ObjectContent(obj=vim.VirtualMachine(f"vm-{i}"), propSet=[vmodl.DynamicProperty(name="name", val=f"n{i}")])
        for i in range(3)
    ]
    before = len(soap_fast._frozen)
    prerender(page, version)
    assert len(soap_fast._frozen) == before + 3
    answer = pc.RetrieveResult(objects=page, token="t")
    written = soap_fast.serialize(answer, pc.RetrieveResult, version, "returnval")
    # the same text as the objects written afresh:
    fresh = [pc.ObjectContent(obj=c.obj, propSet=c.propSet) for c in page]
    assert written == soap_fast.serialize(
        pc.RetrieveResult(objects=fresh, token="t"), pc.RetrieveResult, version, "returnval"
    )
    del page, answer
    gc.collect()
    assert len(soap_fast._frozen) == before


@given(data=st.data())
@EVERY_TYPE
def test_a_frozen_value_is_written_alike_in_every_element(data: st.DataObject) -> None:
    """A frozen value's content is written once per release and shared between slots and
    element names (an ended task's info in WaitForUpdates' ``val``, then in Fetch's
    ``returnval``): each is what pyVmomi writes, in whichever order they are asked for."""
    _, version, value, declared = draw_case(data)
    try:
        soap_codec.pyvmomi_serialize(value, declared, version)
    except TypeError:  # pyVmomi refuses it: nothing to compare
        return
    soap_fast.freeze(value, while_alive=True)
    change = PC.Change(name="p", op="assign", val=value)
    for _ in range(2):  # written, then taken from what was kept
        for v, slot in ((change, PC.Change), (value, object), (value, declared)):
            try:
                got = soap_fast.serialize(v, slot, version, "returnval")
            except soap_fast.Unsupported:
                continue
            assert got == soap_codec.pyvmomi_serialize(v, slot, version)
