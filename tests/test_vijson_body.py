"""VI/JSON answers are written by orjson (server/vijson.py json_body): the same JSON as the
standard library wrote, for what the codec makes (pyVmomi's str, int and float subclasses
included), and what orjson refuses is still written."""

from __future__ import annotations

import datetime
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pyVmomi import VmomiSupport, vim

from gosc.server.vijson import json_body
from gosc.vim import json_codec
from gosc.vim import types as T


def stdlib(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


# pyVmomi's primitive types are subclasses of Python's: what the codec hands on as they are.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-(2**63), 2**63 - 1).map(VmomiSupport.long),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False).map(VmomiSupport.double),
    st.text(),
    st.text().map(VmomiSupport.URI),
    st.text().map(VmomiSupport.PropertyPath),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children)),
    max_leaves=20,
)


@given(VALUES)
def test_the_same_json_as_the_standard_library(value: Any) -> None:
    # Float digits may be spelled differently (1e+16 and 1e16): the same number either way.
    assert json.loads(json_body(value)) == json.loads(stdlib(value))


@given(st.recursive(st.one_of(st.text(), st.integers(-(2**63), 2**63 - 1), st.booleans()), st.lists, max_leaves=10))
def test_strings_and_integers_byte_for_byte(value: Any) -> None:
    assert json_body(value) == stdlib(value)


def test_a_data_object_as_the_codec_encodes_it() -> None:
    config = vim.vm.ConfigInfo(
        name="vm-1",
        guestId="ubuntu64Guest",
        changeVersion="2026-01-01T00:00:00Z",
        hardware=vim.vm.VirtualHardware(numCPU=2, memoryMB=VmomiSupport.long(4096)),
        extraConfig=[vim.option.OptionValue(key="guestinfo.ratio", value=VmomiSupport.double(0.5))],
        files=vim.vm.FileInfo(vmPathName="[datastore1] vm-1/vm-1.vmx"),
    )
    encoded = json_codec.encode(config, T.NEWEST_VERSION)
    assert json_body(encoded) == stdlib(encoded)


def test_what_orjson_refuses_is_written_all_the_same() -> None:
    # A long beyond 64 bits (pyVmomi's SOAP decoder takes any): orjson refuses it.
    value = {"value": VmomiSupport.long(2**70), "name": "big"}
    assert json_body(value) == b'{"value":1180591620717411303424,"name":"big"}'


@given(st.datetimes(timezones=st.just(datetime.UTC)))
def test_a_utc_time_as_isoformat_writes_it(value: datetime.datetime) -> None:
    """The codec writes the server's own (UTC) times through orjson: the text isoformat
    gives, with Z for +00:00 (microseconds only when there are some, years below 1000
    padded), as for every other time."""
    assert json_codec.encode(value, T.NEWEST_VERSION) == value.isoformat().replace("+00:00", "Z")
    naive = value.replace(tzinfo=None)  # the other path: a naive time counts as UTC
    assert json_codec.encode(naive, T.NEWEST_VERSION) == json_codec.encode(value, T.NEWEST_VERSION)
