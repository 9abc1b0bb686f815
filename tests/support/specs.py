"""VI/JSON CustomizationSpec bodies, written as a user writes them."""

from __future__ import annotations

from typing import Any

GUEST_USER, GUEST_PASSWORD = "root", "VMware1!"


def auth(user: str = GUEST_USER, password: str = GUEST_PASSWORD) -> dict[str, Any]:
    return {
        "_typeName": "NamePasswordAuthentication",
        "interactiveSession": False,
        "username": user,
        "password": password,
    }


def fixed_ip(ip: str, mask: str = "255.255.255.0", gateway: str | None = None) -> dict[str, Any]:
    adapter: dict[str, Any] = {
        "_typeName": "CustomizationIPSettings",
        "ip": {"_typeName": "CustomizationFixedIp", "ipAddress": ip},
        "subnetMask": mask,
    }
    if gateway:
        adapter["gateway"] = [gateway]
    return {"_typeName": "CustomizationAdapterMapping", "adapter": adapter}


def dhcp() -> dict[str, Any]:
    return {
        "_typeName": "CustomizationAdapterMapping",
        "adapter": {"_typeName": "CustomizationIPSettings", "ip": {"_typeName": "CustomizationDhcpIpGenerator"}},
    }


def linux_spec(
    host: str = "web01",
    *,
    domain: str = "example.com",
    nics: list[dict[str, Any]] | None = None,
    tz: str | None = "Europe/Berlin",
    dns: list[str] | None = None,
    script: str | None = None,
    name_gen: dict[str, Any] | None = None,
) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "_typeName": "CustomizationLinuxPrep",
        "hostName": name_gen or {"_typeName": "CustomizationFixedName", "name": host},
        "domain": domain,
        "hwClockUTC": True,
    }
    if tz:
        identity["timeZone"] = tz
    if script:
        identity["scriptText"] = script
    return {
        "_typeName": "CustomizationSpec",
        "identity": identity,
        "globalIPSettings": {
            "_typeName": "CustomizationGlobalIPSettings",
            "dnsServerList": dns or ["192.168.10.2"],
            "dnsSuffixList": [domain],
        },
        "nicSettingMap": nics if nics is not None else [fixed_ip("192.168.10.21", gateway="192.168.10.1")],
    }


def customize_body(
    vm: dict[str, str],
    spec: dict[str, Any],
    *,
    user: str = GUEST_USER,
    password: str = GUEST_PASSWORD,
    params: dict[str, str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"vm": vm, "auth": auth(user, password), "spec": spec}
    if params:
        body["configParams"] = [
            {"_typeName": "OptionValue", "key": k, "value": {"_typeName": "string", "_value": v}}
            for k, v in params.items()
        ]
    return body


def instant_clone_body(name: str, config: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "_typeName": "VirtualMachineInstantCloneSpec",
        "name": name,
        "location": {"_typeName": "VirtualMachineRelocateSpec"},
    }
    if config:
        spec["config"] = [
            {"_typeName": "OptionValue", "key": k, "value": {"_typeName": "string", "_value": v}}
            for k, v in config.items()
        ]
    return {"spec": spec}


def sysprep_spec(name: str) -> dict[str, Any]:
    """A Sysprep spec for a Windows guest: workgroup, GMT, administrator password Win-Pass-1!."""
    spec = linux_spec()
    spec["identity"] = {
        "_typeName": "CustomizationSysprep",
        "guiUnattended": {
            "_typeName": "CustomizationGuiUnattended",
            "autoLogon": False,
            "autoLogonCount": 0,
            "timeZone": 85,
            "password": {"_typeName": "CustomizationPassword", "value": "Win-Pass-1!", "plainText": True},
        },
        "userData": {
            "_typeName": "CustomizationUserData",
            "fullName": "Ops",
            "orgName": "Example",
            "computerName": {"_typeName": "CustomizationFixedName", "name": name},
            "productId": "",
        },
        "identification": {"_typeName": "CustomizationIdentification", "joinWorkgroup": "WORKGROUP"},
    }
    return spec
