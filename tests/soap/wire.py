"""Raw SOAP for the wire tests: envelopes as pyVmomi writes them, and a small client."""

from __future__ import annotations

import re

import httpx

from tests.support.server import ADMIN, ADMIN_PASSWORD

ENV = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
    'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n<soapenv:Body>{}</soapenv:Body>\n</soapenv:Envelope>'
)
GCM_THIS = '<_this type="VirtualMachineGuestCustomizationManager">GuestCustomizationManager</_this>'


def envelope(method: str, this: str, params: str = "") -> str:
    return ENV.format(f'<{method} xmlns="urn:vim25">{this}{params}</{method}>')


def spec_xml(identity: str | None = None, extra_identity: str = "") -> str:
    identity = identity or (
        '<identity xsi:type="CustomizationLinuxPrep"><hostName xsi:type="CustomizationFixedName"><name>wire01</name>'
        f"</hostName><domain>example.com</domain><timeZone>Etc/UTC</timeZone><hwClockUTC>true</hwClockUTC>{extra_identity}</identity>"
    )
    return (
        f"<spec>{identity}<globalIPSettings><dnsServerList>10.0.0.2</dnsServerList></globalIPSettings>"
        '<nicSettingMap><adapter><ip xsi:type="CustomizationFixedIp"><ipAddress>10.0.0.5</ipAddress></ip>'
        "<subnetMask>255.255.255.0</subnetMask></adapter></nicSettingMap></spec>"
    )


AUTH = (
    '<auth xsi:type="NamePasswordAuthentication"><interactiveSession>false</interactiveSession>'
    "<username>root</username><password>VMware1!</password></auth>"
)


class Soap:
    def __init__(self, url: str, release: str = "9.1.0.0") -> None:
        self.url = f"{url}/sdk"
        self.http = httpx.Client(verify=False, timeout=60)
        self.release = release
        self.cookie = ""

    def post(self, body: str | bytes, release: str | None = None, cookie: str | None = None) -> httpx.Response:
        headers = {
            "SOAPAction": f'"urn:vim25/{release or self.release}"',
            "Content-Type": "text/xml; charset=UTF-8",
            "Cookie": self.cookie if cookie is None else cookie,
        }
        r = self.http.post(self.url, content=body, headers=headers)
        assert r.status_code in (200, 500), r.text
        assert "Traceback" not in r.text
        return r

    def login(self) -> httpx.Response:
        r = self.post(
            envelope(
                "Login",
                '<_this type="SessionManager">SessionManager</_this>',
                f"<userName>{ADMIN}</userName><password>{ADMIN_PASSWORD}</password>",
            )
        )
        assert r.status_code == 200, r.text
        self.cookie = r.headers["set-cookie"]
        return r

    def fetch(self, type_name: str, moid: str, prop: str, release: str | None = None) -> httpx.Response:
        return self.post(
            envelope("Fetch", f'<_this type="{type_name}">{moid}</_this>', f"<prop>{prop}</prop>"), release
        )


def fault_of(r: httpx.Response) -> tuple[str, str]:
    assert r.status_code == 500, r.text
    assert "<faultcode>ServerFaultCode</faultcode>" in r.text
    m = re.search(r'<detail><(\w+)Fault xmlns="urn:vim25" xsi:type="(\w+)"', r.text)
    assert m, r.text
    assert m.group(1) == m.group(2)
    msg = re.search(r"<faultstring>(.*?)</faultstring>", r.text, re.S)
    return m.group(2), msg.group(1) if msg else ""
