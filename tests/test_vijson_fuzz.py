"""Bad input, generated: whatever JSON arrives, the answer is a vSphere fault (never a
SystemError, which is what gosc answers for its own bugs) and the VM is untouched."""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import guest_root
from tests.support.server import GoscServer
from tests.support.specs import customize_body, linux_spec
from tests.support.vijson import ViClient

PATH = "VirtualMachineGuestCustomizationManager/GuestCustomizationManager/CustomizeGuest_Task"
TYPE_NAMES = st.sampled_from(
    [
        "CustomizationSpec",
        "CustomizationLinuxPrep",
        "CustomizationFixedName",
        "CustomizationFixedIp",
        "CustomizationIPSettings",
        "CustomizationAdapterMapping",
        "ManagedObjectReference",
        "OptionValue",
        "int",
        "string",
        "ArrayOfString",
        "boolean",
        "dateTime",
        "base64Binary",
        "NoSuchType",
        "VirtualMachine",
        "",
    ]
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=20), TYPE_NAMES
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.text(max_size=8), st.sampled_from(["_typeName", "_value", "type", "value"])),
            children,
            max_size=4,
        ),
        st.fixed_dictionaries(
            {"_typeName": TYPE_NAMES}, optional={"_value": children, "name": children, "ip": children}
        ),
    ),
    max_leaves=12,
)


def _mutations(base: dict) -> st.SearchStrategy[dict]:  # type: ignore[type-arg]
    """The real body with one subtree replaced by generated JSON."""
    paths = [
        ("vm",),
        ("auth",),
        ("spec",),
        ("spec", "identity"),
        ("spec", "identity", "hostName"),
        ("spec", "nicSettingMap"),
        ("spec", "globalIPSettings"),
        ("configParams",),
    ]

    def apply(path: tuple[str, ...], value: object) -> dict:  # type: ignore[type-arg]
        body = json.loads(json.dumps(base))
        node = body
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return body

    return st.builds(apply, st.sampled_from(paths), JSON)


def test_generated_bodies_get_faults_and_change_nothing(server: GoscServer, vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    hostname = (guest_root(server, vi, clone) / "etc/hostname").read_bytes()
    base = customize_body(clone, linux_spec("fuzz01"))
    seen: set[str] = set()

    @settings(
        max_examples=int(os.environ.get("GOSC_FUZZ_EXAMPLES", "300")),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize="GOSC_FUZZ_EXAMPLES" not in os.environ,
    )
    @given(st.one_of(_mutations(base), JSON))
    def one(body: object) -> None:
        r = vi.raw("POST", PATH, content=json.dumps(body).encode(), headers={"content-type": "application/json"})
        if r.status_code == 200:  # a body that still makes sense: the task ends, never as a bug
            info = vi.wait_task(r.json())
            assert info["state"] == "success" or info["error"]["_typeName"] != "SystemError", info
            seen.add("task")
            return
        assert r.status_code == 500, r.text
        fault = r.json()
        assert fault["_typeName"] not in ("SystemError", None), fault
        assert fault["faultMessage"][0]["message"]
        seen.add(fault["_typeName"])

    one()
    assert {"InvalidArgument", "InvalidType"} <= seen
    # Only well-formed customizations may have changed the guest; the name never was fuzz01
    # unless such a body got through, which then must have succeeded.
    now = (guest_root(server, vi, clone) / "etc/hostname").read_bytes()
    assert now in (hostname, b"fuzz01\n")
