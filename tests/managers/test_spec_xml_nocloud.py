"""CustomizationSpecManager.CustomizationSpecItemToXml / XmlToCustomizationSpecItem through
pyVmomi, and the /gosc/nocloud extension endpoint, on a real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pyVmomi import vim

from gosc.guest import shadow
from tests.conftest import LIMITED_PASSWORD, LIMITED_USER
from tests.support.server import GoscServer
from tests.support.vijson import ViClient

DATA = Path(__file__).parents[1] / "data" / "specxml"
C = vim.vm.customization
MAC = "00:50:56:80:00:01"


def item(name: str = "xml-web", password: str | None = "Xml-Secret-9") -> vim.CustomizationSpecItem:
    ident = C.LinuxPrep(
        hostName=C.FixedName(name="web09"),
        domain="example.com",
        timeZone="Europe/Paris",
        hwClockUTC=True,
        scriptText="#!/bin/sh\necho hi\n",
    )
    if password is not None:
        ident.password = C.Password(value=password, plainText=True)
    adapter = C.IPSettings(ip=C.FixedIp(ipAddress="10.1.1.9"), subnetMask="255.255.255.0", gateway=["10.1.1.1"])
    adapter.ipV6Spec = C.IPSettings.IpV6AddressSpec(ip=[C.FixedIpV6(ipAddress="2001:db8::9", subnetMask=64)])
    spec = C.Specification(
        identity=ident,
        globalIPSettings=C.GlobalIPSettings(dnsServerList=["10.1.1.2"], dnsSuffixList=["example.com"]),
        nicSettingMap=[C.AdapterMapping(adapter=adapter)],
        options=C.LinuxOptions(),
    )
    return vim.CustomizationSpecItem(
        info=vim.CustomizationSpecInfo(name=name, description="exported by a test", type="Linux"), spec=spec
    )


def test_an_item_goes_to_xml_and_back_unchanged(si: vim.ServiceInstance) -> None:
    csm = si.content.customizationSpecManager
    original = item(password=None)
    xml = csm.CustomizationSpecItemToXml(original)
    assert xml.startswith("<ConfigRoot>\n  <_type>vim.CustomizationSpecItem</_type>\n")
    assert "<_type>vim.vm.customization.LinuxPrep</_type>" in xml
    assert "<_type>vim.vm.customization.AdapterMapping[]</_type>" in xml and '<e id="0">' in xml
    back = csm.XmlToCustomizationSpecItem(xml)
    # str(): the client's own object holds plain lists where the decoded one holds typed arrays
    assert str(back) == str(original)
    assert csm.CustomizationSpecItemToXml(back) == xml


def test_passwords_leave_encrypted_and_come_back_usable(si: vim.ServiceInstance) -> None:
    csm = si.content.customizationSpecManager
    xml = csm.CustomizationSpecItemToXml(item("xml-pw"))
    assert "Xml-Secret-9" not in xml and "<plainText>false</plainText>" in xml
    back = csm.XmlToCustomizationSpecItem(xml)
    assert back.spec.identity.password.plainText is False
    csm.CreateCustomizationSpec(back)  # this server's own encryption: decrypted as a customization would
    try:
        stored = csm.GetCustomizationSpec("xml-pw")
        assert stored.spec.identity.hostName.name == "web09"
    finally:
        csm.DeleteCustomizationSpec("xml-pw")


@pytest.mark.parametrize("name", ["libretto-static-ip.xml", "jirib-unknown-generators.xml"])
def test_real_exports_import_and_export_byte_for_byte(si: vim.ServiceInstance, name: str) -> None:
    csm = si.content.customizationSpecManager
    xml = (DATA / name).read_text()
    imported = csm.XmlToCustomizationSpecItem(xml)
    assert imported.info.type == "Linux" and isinstance(imported.spec.identity, C.LinuxPrep)
    assert csm.CustomizationSpecItemToXml(imported) == xml


@pytest.mark.parametrize(
    ("xml", "says"),
    [
        ("not xml at all", "not well-formed XML"),
        ('<!DOCTYPE r [<!ENTITY a "b">]><ConfigRoot/>', "DOCTYPE"),
        ('<?xml version="1.0"?><ConfigRoot><x SYSTEM="file:///etc/passwd"/></ConfigRoot>', "starts with its _type"),
        ("<Other><_type>vim.CustomizationSpecItem</_type></Other>", "root element must be <ConfigRoot>"),
        ("<ConfigRoot><_type>vim.CustomizationSpecItem</_type></ConfigRoot>", "item.info"),
        (
            "<ConfigRoot><_type>vim.vm.ConfigSpec</_type></ConfigRoot>",
            "'vim.vm.ConfigSpec' is not a vim.CustomizationSpecItem",
        ),
        ("<ConfigRoot>" + "<a>" * 40 + "</a>" * 40 + "</ConfigRoot>", "nested too deeply"),
    ],
)
def test_malformed_xml_is_a_customization_fault(si: vim.ServiceInstance, xml: str, says: str) -> None:
    with pytest.raises(vim.fault.CustomizationFault) as e:
        si.content.customizationSpecManager.XmlToCustomizationSpecItem(xml)
    assert says in e.value.msg


def test_an_unknown_property_is_named_by_its_path(si: vim.ServiceInstance) -> None:
    xml = (
        (DATA / "libretto-static-ip.xml").read_text().replace("<domain>", "<domian>").replace("</domain>", "</domian>")
    )
    with pytest.raises(vim.fault.CustomizationFault) as e:
        si.content.customizationSpecManager.XmlToCustomizationSpecItem(xml)
    assert "item.spec.identity.domian" in e.value.msg


# ---------------------------------------------------------------- /gosc/nocloud


def post(server: GoscServer, session: str | None, body: Any) -> httpx.Response:
    headers = {"vmware-api-session-id": session} if session else {}
    return httpx.post(f"{server.url}/gosc/nocloud", json=body, headers=headers, verify=False, timeout=60)


def test_nocloud_endpoint_converts_a_saved_spec_xml_and_json_alike(
    si: vim.ServiceInstance, server: GoscServer, vi: ViClient
) -> None:
    csm = si.content.customizationSpecManager
    csm.CreateCustomizationSpec(item("seed-me"))
    try:
        xml = csm.CustomizationSpecItemToXml(csm.GetCustomizationSpec("seed-me"))
        by_name = post(server, vi.session, {"name": "seed-me", "macs": [f"{MAC}=ens192"]})
        by_xml = post(server, vi.session, {"xml": xml, "macs": [f"{MAC}=ens192"]})
    finally:
        csm.DeleteCustomizationSpec("seed-me")
    assert by_name.status_code == 200, by_name.text
    a, b = by_name.json(), by_xml.json()
    assert a["complete"] is True and a["notConverted"] == [] and a["notes"] == []
    assert (a["metaData"], a["networkConfig"]) == (b["metaData"], b["networkConfig"])
    assert "Xml-Secret-9" not in by_name.text + by_xml.text
    for answer in (a, b):
        user = yaml.safe_load(answer["userData"])
        (root,) = user["chpasswd"]["users"]
        assert shadow.verify("Xml-Secret-9", root["password"])  # the sealed password was decrypted, then hashed
    net = yaml.safe_load(a["networkConfig"])
    assert net["ethernets"]["ens192"]["match"] == {"macaddress": MAC}
    assert net["ethernets"]["ens192"]["addresses"] == ["10.1.1.9/24", "2001:db8::9/64"]
    assert yaml.safe_load(a["metaData"])["local-hostname"] == "web09"


def test_nocloud_endpoint_reports_gaps_and_refuses_what_it_must(server: GoscServer, vi: ViClient) -> None:
    r = post(server, vi.session, {"xml": (DATA / "jirib-unknown-generators.xml").read_text()})
    assert r.status_code == 200
    assert r.json()["complete"] is False
    assert [g["path"] for g in r.json()["notConverted"]][:2] == [
        "spec.identity.hostName",
        "spec.nicSettingMap[0].adapter.ip",
    ]
    assert post(server, None, {"name": "x"}).status_code == 401
    viewer = ViClient(server.url)
    viewer.login(LIMITED_USER, LIMITED_PASSWORD)
    try:
        denied = post(server, viewer.session, {"name": "x"})
    finally:
        viewer.http.close()
    assert denied.status_code == 403 and denied.json()["_typeName"] == "NoPermission"
    missing = post(server, vi.session, {"name": "no-such-spec"})
    assert missing.status_code == 404 and missing.json()["_typeName"] == "NotFound"
    both = post(server, vi.session, {"name": "a", "xml": "<ConfigRoot/>"})
    assert both.status_code == 400 and both.json()["_typeName"] == "InvalidArgument"
    bad_spec = {"_typeName": "CustomizationSpec", "identity": {"_typeName": "CustomizationLinuxPrep"}}
    refused = post(server, vi.session, {"spec": bad_spec})
    assert refused.status_code == 400 and "hostName" in refused.text


def test_both_methods_over_vi_json(vi: ViClient) -> None:
    xml = (DATA / "libretto-static-ip.xml").read_text()
    got = vi.call(
        "CustomizationSpecManager", "CustomizationSpecManager", "XmlToCustomizationSpecItem", {"specItemXml": xml}
    )
    assert got["_typeName"] == "CustomizationSpecItem" and got["info"]["name"] == "static-ip-libretto"
    assert got["spec"]["identity"]["hostName"]["_typeName"] == "CustomizationVirtualMachineName"
    back = vi.call("CustomizationSpecManager", "CustomizationSpecManager", "CustomizationSpecItemToXml", {"item": got})
    assert back == xml
    r = vi.raw(
        "POST",
        "CustomizationSpecManager/CustomizationSpecManager/XmlToCustomizationSpecItem",
        json={"specItemXml": "<ConfigRoot>"},
    )
    assert r.status_code == 500 and r.json()["_typeName"] == "CustomizationFault"
