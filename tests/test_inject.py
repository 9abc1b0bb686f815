"""Fault and delay injection (/gosc/inject, src/gosc/inventory/inject.py): who may use it,
what a bad injection gets, and that a fault, a hold and a count act on both protocols at
the point docs/decisions.md says (a plain call fails; a *_Task call's task fails)."""

from __future__ import annotations

import httpx
import pytest

from gosc.testing import Gosc, InjectionError
from tests.conftest import LIMITED_PASSWORD, LIMITED_USER
from tests.soap.wire import Soap, envelope, fault_of
from tests.support.server import Injections
from tests.support.specs import customize_body, linux_spec
from tests.support.vijson import ViClient, ViFault

GCM = ("VirtualMachineGuestCustomizationManager", "GuestCustomizationManager")
FIND = ("SearchIndex", "SearchIndex", "FindByInventoryPath")


@pytest.fixture(autouse=True)
def _nothing_injected_after(inject: Injections) -> object:
    yield None
    inject.remove()


def test_only_an_administrator_may_inject(gosc: Gosc, vi: ViClient) -> None:
    anonymous = httpx.get(f"{gosc.url}/gosc/inject", verify=False)
    assert anonymous.status_code == 401 and anonymous.json()["_typeName"] == "NotAuthenticated"
    viewer = ViClient(gosc.url)
    viewer.login(LIMITED_USER, LIMITED_PASSWORD)
    r = httpx.post(
        f"{gosc.url}/gosc/inject",
        json={"method": "FindByInventoryPath", "fault": {"fault": "NotFound"}},
        headers={"vmware-api-session-id": viewer.session or ""},
        verify=False,
    )
    assert r.status_code == 403 and r.json()["_typeName"] == "NoPermission"
    assert vi.find("DC0") is not None  # nothing was injected


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        ({"fault": {"fault": "NoSuchFault"}}, "fault"),
        ({"fault": {"fault": "InvalidPowerState", "requestedState": "poweredOn"}}, "fault.existingState"),
        ({"delay": -1}, "delay"),
        ({"count": 0}, "count"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_injection_is_refused_with_its_property_path(inject: Injections, spec: dict, path: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InjectionError) as e:
        inject._request("POST", "", {"method": "FindByInventoryPath", **spec})
    assert e.value.status == 400 and e.value.fault["_typeName"] == "InvalidArgument"
    assert e.value.fault["invalidProperty"] == path
    assert inject.list() == []


def test_an_injected_fault_fails_the_next_calls_on_both_protocols(inject: Injections, vi: ViClient, gosc: Gosc) -> None:
    inject.add("FindByInventoryPath", fault="NotFound", count=2, msg="injected")
    with pytest.raises(ViFault) as e:
        vi.call(*FIND, {"inventoryPath": "DC0"})
    assert e.value.body["_typeName"] == "NotFound" and e.value.body["faultMessage"][0]["message"] == "injected"
    soap = Soap(gosc.url)
    soap.login()
    r = soap.post(
        envelope(
            "FindByInventoryPath", '<_this type="SearchIndex">SearchIndex</_this>', "<inventoryPath>DC0</inventoryPath>"
        )
    )
    assert fault_of(r) == ("NotFound", "injected")
    assert vi.find("DC0") is not None  # count=2: the third call is not touched
    assert inject.list()[0]["hits"] == 2


def test_a_task_method_fault_ends_its_task_for_the_named_vm_only(inject: Injections, vi: ViClient, clone: dict) -> None:  # type: ignore[type-arg]
    inject.add(
        "CustomizeGuest_Task",
        moId=clone["value"],
        fault="InvalidPowerState",
        requestedState="poweredOn",
        existingState="poweredOff",
    )
    info = vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(clone, linux_spec())))
    assert info["state"] == "error" and info["error"]["_typeName"] == "InvalidPowerState"
    assert info["error"]["requestedState"] == "poweredOn"
    other = vi.find("DC0/vm/demo-debian")
    assert other is not None
    # Another VM is not named: its customization runs as ever.
    assert vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(other, linux_spec())))["state"] == "success"


def test_a_held_call_waits_until_released(inject: Injections, vi: ViClient) -> None:
    hold = inject.add("FindByInventoryPath", hold=True)
    with httpx.Client(verify=False, timeout=60) as c:
        import threading

        answers: list[int] = []

        def find() -> None:
            r = c.post(
                f"{vi.base}/SearchIndex/SearchIndex/FindByInventoryPath",
                json={"inventoryPath": "DC0"},
                headers={"vmware-api-session-id": vi.session or ""},
            )
            answers.append(r.status_code)

        t = threading.Thread(target=find)
        t.start()
        inject.wait_held(hold)
        assert answers == []  # held: the server has not answered
        assert vi.get("ServiceInstance", "ServiceInstance", "serverClock")  # and still answers others
        inject.release(hold)
        t.join(60)
    assert answers == [200]
