"""Sysprep test helpers: a valid workgroup identity and spec builders."""

from __future__ import annotations

from pyVmomi import vim

C = vim.vm.customization
ADMIN_PW = "Adm1n-Secret!"
JOIN_PW = "J0in-Secret!"


def make_ident(**over: object) -> vim.vm.customization.Sysprep:
    gui = C.GuiUnattended(
        password=C.Password(value=ADMIN_PW, plainText=True), timeZone=85, autoLogon=False, autoLogonCount=0
    )
    user = C.UserData(fullName="Ops Team", orgName="Acme Corp", computerName=C.FixedName(name="web-01"), productId="")
    ident = C.Identification(joinWorkgroup="WORKGROUP")
    sysprep = C.Sysprep(guiUnattended=gui, userData=user, identification=ident)
    for k, v in over.items():
        setattr(sysprep, k, v)
    return sysprep


def domain_identification(**over: object) -> vim.vm.customization.Identification:
    idn = C.Identification(
        joinDomain="corp.example.com",
        domainAdmin="CORP\\joiner",
        domainAdminPassword=C.Password(value=JOIN_PW, plainText=True),
    )
    for k, v in over.items():
        setattr(idn, k, v)
    return idn


def make_spec(
    ident: object,
    nics: list[tuple[str | None, object]] | None = None,
    suffixes: list[str] | None = None,
    servers: list[str] | None = None,
) -> vim.vm.customization.Specification:
    maps = [C.AdapterMapping(macAddress=mac, adapter=a) for mac, a in (nics or [])]
    return C.Specification(
        identity=ident,
        nicSettingMap=maps,
        globalIPSettings=C.GlobalIPSettings(dnsSuffixList=suffixes or [], dnsServerList=servers or []),
    )
