"""``RetrievePropertiesEx`` of the ServiceInstance's ``content`` is kept per release
(inventory/property_retrieval.py ContentAnswers): what is kept is only what every caller
would be answered, faults are never kept, and a dropped answer's written form goes with it."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from gosc.inventory.property_retrieval import ContentAnswers
from gosc.vim import soap_fast
from tests.conftest import LIMITED_PASSWORD, LIMITED_USER
from tests.support.vijson import ViClient, ViFault

PC = vmodl.query.PropertyCollector
SI = vim.ServiceInstance("ServiceInstance")


def _spec(obj: Any = SI, paths: list[str] | None = None, **prop: Any) -> Any:
    return PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=obj)],
        propSet=[PC.PropertySpec(type=type(obj), pathSet=paths or [], **prop)],
    )


def test_only_the_content_of_the_service_instance_is_kept() -> None:
    key = ContentAnswers.key
    assert key("vim.version.v9_1_0_0", [_spec(paths=["content.about"])]) is not None
    assert key("vim.version.v9_1_0_0", [_spec(paths=["content"])]) != key(
        "vim.version.v8_0_3_0", [_spec(paths=["content"])]
    )  # per release
    assert key("v", [_spec(paths=["serverClock"])]) is None  # changes
    assert key("v", [_spec(paths=["content.about", "capability"])]) is None
    assert key("v", [_spec(all=True)]) is None
    assert key("v", [_spec(vim.VirtualMachine("vm-1"), ["name"])]) is None
    traversing = _spec(paths=["content.about"])
    traversing.objectSet[0].selectSet = [PC.TraversalSpec(name="t", type=vim.ServiceInstance, path="content")]
    assert key("v", [traversing]) is None


def test_a_dropped_answer_is_no_longer_frozen() -> None:
    answers = ContentAnswers()
    content = PC.ObjectContent(obj=SI)
    gc.collect()  # what an earlier test froze while alive and left unreachable goes now, not mid-count
    before = len(soap_fast._frozen)
    for i in range(ContentAnswers.KEPT + 1):
        answers.keep(("v", i), PC.RetrieveResult(objects=[content]))
    gc.collect()
    assert answers.get(("v", 0)) is None
    kept = [answers.get(("v", i)) for i in range(1, ContentAnswers.KEPT + 1)]
    assert all(a is not None and id(a) in soap_fast._frozen for a in kept)
    assert len(soap_fast._frozen) == before + ContentAnswers.KEPT  # the dropped one's went with it
    del answers, kept
    gc.collect()
    assert len(soap_fast._frozen) == before


def _about(vi: ViClient, path: str = "content.about") -> Any:
    body = {
        "specSet": [
            {
                "_typeName": "PropertyFilterSpec",
                "propSet": [{"_typeName": "PropertySpec", "type": "ServiceInstance", "pathSet": [path]}],
                "objectSet": [
                    {
                        "_typeName": "ObjectSpec",
                        "obj": {
                            "_typeName": "ManagedObjectReference",
                            "type": "ServiceInstance",
                            "value": "ServiceInstance",
                        },
                    }
                ],
            }
        ],
        "options": {"_typeName": "RetrieveOptions"},
    }
    return vi.call("PropertyCollector", "propertyCollector", "RetrievePropertiesEx", body)


def test_every_caller_reads_the_same_content_and_a_bad_path_is_refused_each_time(vi: ViClient) -> None:
    first, again = _about(vi), _about(vi)
    assert first == again and first["objects"][0]["propSet"][0]["val"]["_typeName"] == "AboutInfo"
    viewer = ViClient(vi.base.rsplit("/sdk/", 1)[0])
    viewer.login(LIMITED_USER, LIMITED_PASSWORD)
    assert _about(viewer) == first
    for _ in range(2):
        with pytest.raises(ViFault) as e:
            _about(vi, "content.nosuch")
        assert e.value.type_name == "InvalidProperty"
