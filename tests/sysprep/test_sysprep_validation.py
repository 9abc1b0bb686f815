"""Sysprep / SysprepText value rules, each with a passing and a failing case."""

from __future__ import annotations

import pytest
from pyVmomi import vim, vmodl

from gosc.customization import sysprep, unattend
from gosc.customization.validation import Target
from gosc.customization.validation import problems as spec_problems
from gosc.formats import timezones
from tests.sysprep.sysprep_helpers import ADMIN_PW, JOIN_PW, domain_identification, make_ident

C = vim.vm.customization


def faults(ident: object) -> list[vmodl.MethodFault]:
    return list(sysprep.problems(ident))


def paths(ident: object) -> list[str]:
    return [getattr(f, "invalidProperty", None) or type(f).__name__ for f in faults(ident)]


def test_valid_workgroup_identity_has_no_problems() -> None:
    assert faults(make_ident()) == []


def test_valid_domain_identity_has_no_problems() -> None:
    assert faults(make_ident(identification=domain_identification(domainOU="OU=Srv,DC=corp,DC=example,DC=com"))) == []


# ---- computer name


@pytest.mark.parametrize("name", ["web-01", "A", "x" * 15, "123-", "WIN2022"])
def test_fixed_computer_name_ok(name: str) -> None:
    assert (
        faults(
            make_ident(
                userData=C.UserData(fullName="a", orgName="b", productId="", computerName=C.FixedName(name=name))
            )
        )
        == []
    )


@pytest.mark.parametrize(
    "name,why",
    [
        ("x" * 16, "longer than 15"),
        ("web_01", "letters, digits and hyphens"),
        ("web.example", "letters, digits and hyphens"),
        ("12345", "all digits"),
        ("", "empty"),
    ],
)
def test_fixed_computer_name_bad(name: str, why: str) -> None:
    ident = make_ident(
        userData=C.UserData(fullName="a", orgName="b", productId="", computerName=C.FixedName(name=name))
    )
    (f,) = faults(ident)
    assert isinstance(f, vmodl.fault.InvalidArgument)
    assert f.invalidProperty == "spec.identity.userData.computerName"
    assert why in f.msg


def _with_name(gen: object) -> vim.vm.customization.Sysprep:
    return make_ident(userData=C.UserData(fullName="a", orgName="b", productId="", computerName=gen))


@pytest.mark.parametrize("base", ["web", "w" * 14, "app-"])
def test_prefix_base_ok(base: str) -> None:
    assert faults(_with_name(C.PrefixNameGenerator(base=base))) == []


@pytest.mark.parametrize("base", ["w" * 15, "bad_base", "123", ""])
def test_prefix_base_bad(base: str) -> None:
    (f,) = faults(_with_name(C.PrefixNameGenerator(base=base)))
    assert f.invalidProperty == "spec.identity.userData.computerName"


def test_vm_name_generator_ok() -> None:
    assert faults(_with_name(C.VirtualMachineNameGenerator())) == []


@pytest.mark.parametrize(
    "gen,word", [(C.UnknownNameGenerator(), "UnknownName"), (C.CustomNameGenerator(argument="x"), "CustomName")]
)
def test_unknown_and_custom_names_are_generator_errors(gen: object, word: str) -> None:
    (f,) = faults(_with_name(gen))
    assert isinstance(f, vim.fault.IpHostnameGeneratorError)
    assert word in f.msg and "spec.identity.userData.computerName" in f.msg


# ---- workgroup / domain


def test_workgroup_and_domain_together_rejected() -> None:
    idn = domain_identification(joinWorkgroup="WORKGROUP")
    assert paths(make_ident(identification=idn)) == ["spec.identity.identification"]


def test_neither_workgroup_nor_domain_rejected() -> None:
    assert paths(make_ident(identification=C.Identification())) == ["spec.identity.identification"]


def test_domain_join_needs_admin_and_password() -> None:
    idn = C.Identification(joinDomain="corp.example.com")
    assert paths(make_ident(identification=idn)) == [
        "spec.identity.identification.domainAdmin",
        "spec.identity.identification.domainAdminPassword",
    ]


def test_bad_domain_name_rejected() -> None:
    idn = domain_identification(joinDomain="bad_domain..x")
    assert paths(make_ident(identification=idn)) == ["spec.identity.identification.joinDomain"]


@pytest.mark.parametrize("wg,ok", [("WORKGROUP", True), ("W" * 15, True), ("W" * 16, False), ("a/b", False)])
def test_workgroup_name(wg: str, ok: bool) -> None:
    got = paths(make_ident(identification=C.Identification(joinWorkgroup=wg)))
    assert got == ([] if ok else ["spec.identity.identification.joinWorkgroup"])


def test_domain_ou_only_with_domain() -> None:
    idn = C.Identification(joinWorkgroup="WORKGROUP", domainOU="OU=x,DC=y")
    assert paths(make_ident(identification=idn)) == ["spec.identity.identification.domainOU"]


# ---- time zone


@pytest.mark.parametrize(
    "index,name",
    [
        (4, "Pacific Standard Time"),
        (35, "Eastern Standard Time"),
        (85, "GMT Standard Time"),
        (110, "W. Europe Standard Time"),
        (0x80000050, "UTC"),
        (0x80000050 - (1 << 32), "UTC"),
        (255, "AUS Eastern Standard Time"),
    ],
)
def test_time_zone_index_ok(index: int, name: str) -> None:
    gui = C.GuiUnattended(timeZone=index, autoLogon=False, autoLogonCount=0)
    assert faults(make_ident(guiUnattended=gui)) == []
    assert timezones.time_zone_name(index) == name


@pytest.mark.parametrize("index", [5, 999, -1, 0x80000053])
def test_time_zone_index_bad(index: int) -> None:
    gui = C.GuiUnattended(timeZone=index, autoLogon=False, autoLogonCount=0)
    assert paths(make_ident(guiUnattended=gui)) == ["spec.identity.guiUnattended.timeZone"]


def test_time_zone_table_is_microsofts_index_list() -> None:
    table = timezones.WINDOWS_TIME_ZONES
    assert len(table) == 75 + 19
    assert all(" " not in n or n.endswith(("Time", ")")) for n in table.values())


# ---- autologon and passwords


def test_autologon_with_password_ok() -> None:
    gui = C.GuiUnattended(
        password=C.Password(value=ADMIN_PW, plainText=True), timeZone=4, autoLogon=True, autoLogonCount=1
    )
    assert faults(make_ident(guiUnattended=gui)) == []


def test_autologon_without_password_rejected() -> None:
    gui = C.GuiUnattended(timeZone=4, autoLogon=True, autoLogonCount=1)
    assert paths(make_ident(guiUnattended=gui)) == ["spec.identity.guiUnattended.password"]


def test_autologon_with_zero_count_rejected() -> None:
    gui = C.GuiUnattended(
        password=C.Password(value=ADMIN_PW, plainText=True), timeZone=4, autoLogon=True, autoLogonCount=0
    )
    assert paths(make_ident(guiUnattended=gui)) == ["spec.identity.guiUnattended.autoLogonCount"]


def test_encrypted_admin_password_cannot_be_decrypted() -> None:
    gui = C.GuiUnattended(
        password=C.Password(value="b64cipher", plainText=False), timeZone=4, autoLogon=False, autoLogonCount=0
    )
    (f,) = faults(make_ident(guiUnattended=gui))
    assert isinstance(f, vim.fault.CannotDecryptPasswords)
    assert "guiUnattended.password" in f.msg and "b64cipher" not in f.msg


def test_encrypted_domain_password_cannot_be_decrypted() -> None:
    idn = domain_identification(domainAdminPassword=C.Password(value="b64cipher", plainText=False))
    (f,) = faults(make_ident(identification=idn))
    assert isinstance(f, vim.fault.CannotDecryptPasswords)
    assert "domainAdminPassword" in f.msg


def test_no_fault_message_quotes_a_password() -> None:
    gui = C.GuiUnattended(
        password=C.Password(value=ADMIN_PW, plainText=False), timeZone=7, autoLogon=True, autoLogonCount=0
    )
    idn = domain_identification(joinWorkgroup="WG", domainAdminPassword=C.Password(value=JOIN_PW, plainText=False))
    for f in faults(make_ident(guiUnattended=gui, identification=idn)):
        assert ADMIN_PW not in f.msg and JOIN_PW not in f.msg


# ---- product key


@pytest.mark.parametrize("key", ["", "ABCDE-12345-FGHIJ-67890-KLMNO", "abcde-12345-fghij-67890-klmno"])
def test_product_key_ok(key: str) -> None:
    ident = make_ident(
        userData=C.UserData(fullName="a", orgName="b", productId=key, computerName=C.FixedName(name="w"))
    )
    assert faults(ident) == []


@pytest.mark.parametrize(
    "key",
    [
        "ABCDE-12345",
        "ABCDE12345FGHIJ67890KLMNO",
        "ABCD!-12345-FGHIJ-67890-KLMNO",
        "ABCDE-12345-FGHIJ-67890-KLMNO-PQRST",
    ],
)
def test_product_key_bad(key: str) -> None:
    ident = make_ident(
        userData=C.UserData(fullName="a", orgName="b", productId=key, computerName=C.FixedName(name="w"))
    )
    assert paths(ident) == ["spec.identity.userData.productId"]


# ---- SysprepText

GOOD_TEXT = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<unattend xmlns="urn:schemas-microsoft-com:unattend"><settings pass="oobeSystem"/></unattend>\n'
)

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<unattend>&lol4;</unattend>"""

XXE = '<?xml version="1.0"?><!doctype u [<!ENTITY x SYSTEM "file:///etc/passwd">]><u>&x;</u>'


def test_sysprep_text_well_formed_ok() -> None:
    assert list(sysprep.text_problems(C.SysprepText(value=GOOD_TEXT))) == []


@pytest.mark.parametrize("value", ["<unattend><settings></unattend>", "not xml at all", "", "   ", BOMB, XXE])
def test_sysprep_text_bad(value: str) -> None:
    (f,) = list(sysprep.text_problems(C.SysprepText(value=value)))
    assert isinstance(f, vmodl.fault.InvalidArgument)
    assert f.invalidProperty == "spec.identity.value"


def test_sysprep_text_bomb_is_refused_before_parsing() -> None:
    (f,) = list(sysprep.text_problems(C.SysprepText(value=BOMB)))
    assert "DOCTYPE" in f.msg


def test_sysprep_text_is_rendered_verbatim() -> None:
    assert unattend.render_sysprep_text(C.SysprepText(value=GOOD_TEXT)) == GOOD_TEXT.encode()


# ---- wired into the spec validator


def test_spec_validation_reaches_sysprep_rules() -> None:
    ident = _with_name(C.FixedName(name="x" * 20))
    spec = C.Specification(
        identity=ident,
        globalIPSettings=C.GlobalIPSettings(),
        nicSettingMap=[C.AdapterMapping(adapter=C.IPSettings(ip=C.DhcpIpGenerator()))],
    )
    target = Target(
        macs=("00:50:56:00:00:01",), guest_family="windows", guest_id="windows2022srvNext_64Guest", vm_name="w"
    )
    got = [getattr(f, "invalidProperty", None) for f in spec_problems(spec, target)]
    assert got == ["spec.identity.userData.computerName"]
