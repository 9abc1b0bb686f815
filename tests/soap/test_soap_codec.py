"""The SOAP codec on its own: the requests pyVmomi 9.1.1.0 really sent (the wire log in
tests/data, copied from the project's shared protocol reference), and the refusals that keep a server safe."""

from __future__ import annotations

import json

import pytest
from pyVmomi import SoapAdapter, vim, vmodl

from gosc.vim import soap_codec as C
from gosc.vim import types as T
from gosc.vim.faults import fault
from tests.support.paths import WIRE_LOG

V803 = "vim.version.v8_0_3_0"
V910 = "vim.version.v9_1_0_0"


def wire_bodies() -> list[dict]:  # type: ignore[type-arg]
    bodies = [e for e in json.loads(WIRE_LOG.read_text()) if e.get("body")]
    assert bodies, WIRE_LOG
    return bodies


def test_every_logged_request_parses() -> None:
    for entry in wire_bodies():
        req = C.parse_request(entry["body"].encode())
        assert req.method == entry["op"]
        assert C.version_of(entry["headers"]["SOAPAction"], req.version_id) == V803
        if req.method == "Fetch":
            continue
        owner = T.lookup_managed_type(req.this_type)
        info = T.method_info(owner, req.method)
        args = C.decode_params(req, info, V803)
        assert set(args) == set(req.params)
        if req.method == "CustomizeGuest_Task":
            assert args["spec"].identity.hostName.name == "web01"
            assert args["spec"].nicSettingMap[0].adapter.ip.ipAddress == "10.0.0.5"
            assert args["auth"].password == "pw" and args["vm"]._moId == "vm-42"


def test_version_negotiation() -> None:
    assert C.version_of('"urn:vim25/8.0.3.0"', None) == V803
    assert C.version_of(None, "8.0.3.0") == V803
    assert C.version_of("", None) == C.version_of('"urn:vim25"', None) == T.NEWEST_VERSION == V910
    with pytest.raises(vmodl.fault.InvalidRequest):
        C.version_of('"urn:vim25/1.2.3"', None)


def test_responses_follow_the_release() -> None:
    prep = vim.vm.customization.LinuxPrep(
        hostName=vim.vm.customization.FixedName(name="a"),
        domain="d",
        resetPassword=True,
        compatibleCustomizationMethod="x",
    )
    old = C.response("Fetch", prep, vim.vm.customization.IdentitySettings, "vim.version.v8_0_1_0").decode()
    new = C.response("Fetch", prep, vim.vm.customization.IdentitySettings, V910).decode()
    assert "resetPassword" not in old and "compatibleCustomizationMethod" not in old
    assert "<resetPassword>true</resetPassword>" in new and 'xsi:type="CustomizationLinuxPrep"' in new
    # A pyVmomi client reads it back.
    stub = SoapAdapter.SoapStubAdapter("localhost", version=V910)
    back = SoapAdapter.SoapResponseDeserializer(stub).Deserialize(new.encode(), vim.vm.customization.IdentitySettings)
    assert back.resetPassword is True and back.hostName.name == "a"


def test_faults_read_back_as_pyvmomi_exceptions() -> None:
    f = fault(vim.fault.NicSettingMismatch, "2 <NICs> in the spec", numberOfNicsInSpec=2, numberOfNicsInVM=1)
    body = C.fault_response(f, V803)
    stub = SoapAdapter.SoapStubAdapter("localhost", version=V803)
    back = SoapAdapter.SoapResponseDeserializer(stub).Deserialize(body, object)
    assert isinstance(back, vim.fault.NicSettingMismatch)
    assert back.msg == "2 <NICs> in the spec" and back.numberOfNicsInSpec == 2 and back.numberOfNicsInVM == 1


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<x/>",
        b"<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'><soapenv:Body/></soapenv:Envelope>",
        b"<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'><soapenv:Body><M><p/></M></soapenv:Body></soapenv:Envelope>",
        b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
        b"<?xml version='1.0'?><!DOCTYPE x SYSTEM 'http://example.invalid/x.dtd'><x/>",
        b"<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'><soapenv:Body><M><_this type='T'>x</_this>"
        + b"<p>" * 200
        + b"</p>" * 200
        + b"</M></soapenv:Body></soapenv:Envelope>",
        b"<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'><soapenv:Body><M><_this>x</_this></M></soapenv:Body></soapenv:Envelope>",
        b"<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'><soapenv:Body><M><_this type='T'>&undefined;</_this></M></soapenv:Body></soapenv:Envelope>",
    ],
)
def test_malformed_envelopes_are_invalid_request(body: bytes) -> None:
    with pytest.raises(vmodl.fault.InvalidRequest):
        C.parse_request(body)
