"""Bad SOAP, generated: a real CustomizeGuest_Task envelope with parts cut, swapped,
renamed or retyped.  Every answer is HTTP 200 or a SOAP fault that is not SystemError
(gosc's answer to its own bugs)."""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.soap.wire import AUTH, GCM_THIS, Soap, envelope, spec_xml
from tests.support.vijson import ViClient

XSI_TYPES = [
    "CustomizationLinuxPrep",
    "CustomizationFixedIp",
    "CustomizationSysprep",
    "ManagedObjectReference",
    "NoSuchType",
    "xsd:string",
    "xsd:int",
    "ArrayOfString",
    "CustomizationSpec",
    "",
]
TOKENS = [
    "<",
    ">",
    "</",
    "/>",
    '"',
    "&amp;",
    "&#0;",
    "&lt;",
    "]]>",
    "<![CDATA[x]]>",
    "xsi:type=",
    "\x00",
    "é",
    "<x>",
    "</x>",
]


def _mutate(text: str, data: st.DataObject) -> str:
    kind = data.draw(st.sampled_from(["cut", "insert", "retype", "rename", "drop-element", "dup-element"]))
    if kind == "cut":
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 40)))
        return text[:i] + text[j:]
    if kind == "insert":
        i = data.draw(st.integers(0, len(text)))
        return text[:i] + data.draw(st.sampled_from(TOKENS)) + text[i:]
    if kind == "retype":
        types = list(re.finditer(r'xsi:type="[^"]*"', text))
        if not types:
            return text
        m = data.draw(st.sampled_from(types))
        return text[: m.start()] + f'xsi:type="{data.draw(st.sampled_from(XSI_TYPES))}"' + text[m.end() :]
    tags = sorted({m.group(1) for m in re.finditer(r"<([A-Za-z_]+)[ >]", text)})
    if not tags:
        return text
    tag = data.draw(st.sampled_from(tags))
    if kind == "rename":
        return text.replace(f"<{tag}", "<gosc_bogus", 1).replace(f"</{tag}>", "</gosc_bogus>", 1)
    m = re.search(rf"<{tag}[ >].*?</{tag}>", text, re.S)
    if not m:
        return text
    if kind == "drop-element":
        return text[: m.start()] + text[m.end() :]
    return text[: m.end()] + m.group(0) + text[m.end() :]


def test_mutated_envelopes_get_soap_faults(soap: Soap, vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    vm = f'<vm type="VirtualMachine">{clone["value"]}</vm>'
    good = envelope("CustomizeGuest_Task", GCM_THIS, vm + AUTH + spec_xml())
    faults: set[str] = set()

    @settings(
        max_examples=int(os.environ.get("GOSC_FUZZ_EXAMPLES", "300")),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize="GOSC_FUZZ_EXAMPLES" not in os.environ,
    )
    @given(st.data())
    def one(data: st.DataObject) -> None:
        body = good
        for _ in range(data.draw(st.integers(1, 3))):
            body = _mutate(body, data)
        r = soap.post(body.encode("utf-8", "surrogatepass"))
        if r.status_code == 200:
            m = re.search(r'<returnval type="Task">([^<]+)</returnval>', r.text)
            if m:  # still a valid call: its task must not end as a bug
                info = vi.wait_task({"type": "Task", "value": m.group(1)})
                assert info["state"] == "success" or info["error"]["_typeName"] != "SystemError", info
            return
        assert "<faultcode>ServerFaultCode</faultcode>" in r.text, r.text
        m = re.search(r'xsi:type="([A-Za-z]+)"', r.text.split("<detail>", 1)[-1])
        assert m, r.text
        assert m.group(1) != "SystemErrorFault" and m.group(1) != "SystemError", r.text
        faults.add(m.group(1))

    one()
    assert len(faults) >= 2, faults
