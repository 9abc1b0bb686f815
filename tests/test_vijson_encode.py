"""The VI/JSON encoder decides once per data type and release which properties it writes
(json_codec._written) and writes Python's plain values as they are: proven here to write
what the rule says, property by property, over values of every data type and release."""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pyVmomi import vmodl

from gosc.vim import json_codec
from gosc.vim import types as T
from tests.soap.test_soap_fast import EVERY_TYPE, draw_case


def by_the_rule(value: Any, version: str, declared: type | None, secrets: Any) -> Any:
    """VI/JSON as the rule states it, each property of each object decided where it is written."""
    if value is None:
        return None
    boxed = declared is object
    if isinstance(value, T.ManagedObject):
        return {"_typeName": "ManagedObjectReference", "type": T.wsdl_name(type(value)), "value": value._moId}
    if isinstance(value, T.DataObject):
        out: dict[str, Any] = {"_typeName": T.wsdl_name(type(value))}
        hidden = {"dynamicType", "msg"} if isinstance(value, vmodl.MethodFault) else {"dynamicType"}
        for p in T.properties(type(value)):
            if p.name in hidden or not T.defined_in(version, p.version):
                continue
            v = getattr(value, p.name)
            if v is None or (isinstance(v, list) and not v):
                continue
            out[p.name] = secrets(v) if secrets and p.flags & T.F_SECRET else by_the_rule(v, version, p.type, secrets)
        return out
    if isinstance(value, list):
        item = T.item_type(declared) if declared is not None and T.is_array(declared) else None
        items = [by_the_rule(v, version, item, secrets) for v in value]
        return {"_typeName": json_codec._array_name(value), "_value": items} if boxed or declared is None else items
    if isinstance(value, T.Enum):
        return {"_typeName": T.wsdl_name(type(value)), "_value": str(value)} if boxed else str(value)
    if isinstance(value, datetime.datetime):
        prim: Any = (value if value.tzinfo else value.replace(tzinfo=datetime.UTC)).isoformat().replace("+00:00", "Z")
    else:
        prim = json_codec._encode_primitive(value)
    return {"_typeName": json_codec._primitive_name(value), "_value": prim} if boxed else prim


@given(data=st.data(), masked=st.booleans())
@EVERY_TYPE
def test_the_encoder_writes_what_the_rule_says(data: st.DataObject, masked: bool) -> None:
    _, version, value, declared = draw_case(data)
    secrets = json_codec.redact if masked else None
    assert json_codec.encode(value, version, declared, secrets=secrets) == by_the_rule(
        value, version, declared, secrets
    )
