"""render_unattend: the answer file parses, is in the unattend namespace, and carries the spec."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pyVmomi import vim

from gosc.customization import unattend
from gosc.formats import answerfile
from tests.sysprep.sysprep_helpers import ADMIN_PW, JOIN_PW, domain_identification, make_ident, make_spec

C = vim.vm.customization
NS = {"u": "urn:schemas-microsoft-com:unattend"}
WCM = "{http://schemas.microsoft.com/WMIConfig/2002/State}"
MAC1, MAC2 = "00:50:56:aa:bb:01", "00:50:56:aa:bb:02"


def parse(data: bytes) -> ET.Element:
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(data)


def component(root: ET.Element, pass_: str, name: str) -> ET.Element:
    found = root.findall(f"u:settings[@pass='{pass_}']/u:component[@name='{name}']", NS)
    assert len(found) == 1, (pass_, name)
    return found[0]


def text(el: ET.Element, path: str) -> str | None:
    found = el.find(path, NS)
    return None if found is None else found.text


def workgroup_spec() -> vim.vm.customization.Specification:
    gui = C.GuiUnattended(
        password=C.Password(value=ADMIN_PW, plainText=True), timeZone=110, autoLogon=True, autoLogonCount=3
    )
    ident = make_ident(guiUnattended=gui, guiRunOnce=C.GuiRunOnce(commandList=["cmd /c echo one", "powershell -c two"]))
    ident.userData.productId = "abcde-12345-fghij-67890-klmno"
    return make_spec(ident, nics=[(MAC1, C.IPSettings(ip=C.DhcpIpGenerator()))])


def domain_spec() -> vim.vm.customization.Specification:
    ident = make_ident(identification=domain_identification(domainOU="OU=Servers,DC=corp,DC=example,DC=com"))
    fixed = C.IPSettings(
        ip=C.FixedIp(ipAddress="10.1.2.3"),
        subnetMask="255.255.255.0",
        gateway=["10.1.2.1"],
        dnsServerList=["10.1.2.53", "10.1.2.54"],
        dnsDomain="corp.example.com",
        primaryWINS="10.1.2.7",
        secondaryWINS="10.1.2.8",
        netBIOS="disableNetBIOS",
        ipV6Spec=C.IPSettings.IpV6AddressSpec(
            ip=[C.FixedIpV6(ipAddress="fd00::3", subnetMask=64)], gateway=["fd00::1"]
        ),
    )
    return make_spec(
        ident,
        nics=[(MAC2, C.IPSettings(ip=C.DhcpIpGenerator())), (MAC1, fixed)],
        suffixes=["corp.example.com", "example.com"],
        servers=["192.0.2.53"],
    )


def test_workgroup_answer_file() -> None:
    root = parse(unattend.render_unattend(workgroup_spec(), computer_name="web-01", macs=[MAC1]))
    assert root.tag == "{urn:schemas-microsoft-com:unattend}unattend"
    assert [s.get("pass") for s in root] == ["specialize", "oobeSystem"]
    shell = component(root, "specialize", "Microsoft-Windows-Shell-Setup")
    assert shell.get("processorArchitecture") == "amd64" and shell.get("publicKeyToken") == "31bf3856ad364e35"
    assert text(shell, "u:ComputerName") == "web-01"
    assert text(shell, "u:TimeZone") == "W. Europe Standard Time"
    assert text(shell, "u:ProductKey") == "ABCDE-12345-FGHIJ-67890-KLMNO"
    join = component(root, "specialize", "Microsoft-Windows-UnattendedJoin")
    assert text(join, "u:Identification/u:JoinWorkgroup") == "WORKGROUP"
    assert join.find("u:Identification/u:JoinDomain", NS) is None
    # DHCP NIC without DNS settings: no TCPIP / DNS-Client / NetBT components
    assert root.find("u:settings/u:component[@name='Microsoft-Windows-TCPIP']", NS) is None
    assert root.find("u:settings/u:component[@name='Microsoft-Windows-NetBT']", NS) is None

    oobe = component(root, "oobeSystem", "Microsoft-Windows-Shell-Setup")
    assert text(oobe, "u:UserAccounts/u:AdministratorPassword/u:Value") == ADMIN_PW
    assert text(oobe, "u:UserAccounts/u:AdministratorPassword/u:PlainText") == "true"
    assert text(oobe, "u:AutoLogon/u:Enabled") == "true"
    assert text(oobe, "u:AutoLogon/u:LogonCount") == "3"
    assert text(oobe, "u:AutoLogon/u:Username") == "Administrator"
    assert text(oobe, "u:AutoLogon/u:Password/u:Value") == ADMIN_PW
    assert text(oobe, "u:AutoLogon/u:Password/u:PlainText") == "true"
    cmds = oobe.findall("u:FirstLogonCommands/u:SynchronousCommand", NS)
    assert [(text(c, "u:Order"), text(c, "u:CommandLine")) for c in cmds] == [
        ("1", "cmd /c echo one"),
        ("2", "powershell -c two"),
    ]
    assert all(c.get(f"{WCM}action") == "add" for c in cmds)
    assert text(oobe, "u:OOBE/u:HideEULAPage") == "true"
    assert text(oobe, "u:OOBE/u:ProtectYourPC") == "3"
    assert text(oobe, "u:RegisteredOrganization") == "Acme Corp"
    assert text(oobe, "u:RegisteredOwner") == "Ops Team"


def test_no_autologon_and_no_password_means_blank_password() -> None:
    ident = make_ident(guiUnattended=C.GuiUnattended(timeZone=4, autoLogon=False, autoLogonCount=0))
    root = parse(unattend.render_unattend(make_spec(ident), computer_name="w", macs=[]))
    oobe = component(root, "oobeSystem", "Microsoft-Windows-Shell-Setup")
    assert oobe.find("u:AutoLogon", NS) is None and oobe.find("u:FirstLogonCommands", NS) is None
    assert (text(oobe, "u:UserAccounts/u:AdministratorPassword/u:Value") or "") == ""
    shell = component(root, "specialize", "Microsoft-Windows-Shell-Setup")
    assert shell.find("u:ProductKey", NS) is None
    assert text(shell, "u:TimeZone") == "Pacific Standard Time"


def test_domain_join_answer_file() -> None:
    root = parse(unattend.render_unattend(domain_spec(), computer_name="db-01", macs=[MAC1, MAC2]))
    ident = component(root, "specialize", "Microsoft-Windows-UnattendedJoin").find("u:Identification", NS)
    assert text(ident, "u:JoinDomain") == "corp.example.com"
    assert text(ident, "u:MachineObjectOU") == "OU=Servers,DC=corp,DC=example,DC=com"
    assert text(ident, "u:Credentials/u:Domain") == "CORP"
    assert text(ident, "u:Credentials/u:Username") == "joiner"
    assert text(ident, "u:Credentials/u:Password") == JOIN_PW
    assert ident.find("u:JoinWorkgroup", NS) is None
    shell = component(root, "specialize", "Microsoft-Windows-Shell-Setup")
    assert text(shell, "u:ComputerName") == "db-01"
    assert text(shell, "u:TimeZone") == "GMT Standard Time"


def test_upn_domain_admin_keeps_the_join_domain() -> None:
    spec = make_spec(make_ident(identification=domain_identification(domainAdmin="joiner@corp.example.com")))
    root = parse(unattend.render_unattend(spec, computer_name="w", macs=[]))
    creds = component(root, "specialize", "Microsoft-Windows-UnattendedJoin").find("u:Identification/u:Credentials", NS)
    assert (text(creds, "u:Domain"), text(creds, "u:Username")) == ("corp.example.com", "joiner@corp.example.com")


def test_static_nic_settings_keyed_by_mac() -> None:
    root = parse(unattend.render_unattend(domain_spec(), computer_name="db-01", macs=[MAC1, MAC2]))
    tcpip = component(root, "specialize", "Microsoft-Windows-TCPIP")
    (iface,) = tcpip.findall("u:Interfaces/u:Interface", NS)  # only the static NIC
    assert iface.get(f"{WCM}action") == "add"
    assert text(iface, "u:Identifier") == "00-50-56-AA-BB-01"
    # Microsoft's required child order
    assert [c.tag.split("}")[1] for c in iface] == [
        "Ipv4Settings",
        "Ipv6Settings",
        "Identifier",
        "UnicastIpAddresses",
        "Routes",
    ]
    assert text(iface, "u:Ipv4Settings/u:DhcpEnabled") == "false"
    addrs = iface.findall("u:UnicastIpAddresses/u:IpAddress", NS)
    assert [(a.get(f"{WCM}keyValue"), a.text) for a in addrs] == [("1", "10.1.2.3/24"), ("2", "fd00::3/64")]
    routes = [(text(r, "u:Prefix"), text(r, "u:NextHopAddress")) for r in iface.findall("u:Routes/u:Route", NS)]
    assert routes == [("0.0.0.0/0", "10.1.2.1"), ("::/0", "fd00::1")]

    dns = component(root, "specialize", "Microsoft-Windows-DNS-Client")
    suffixes = [d.text for d in dns.findall("u:DNSSuffixSearchOrder/u:DomainName", NS)]
    assert suffixes == ["corp.example.com", "example.com"]
    (dif,) = dns.findall("u:Interfaces/u:Interface", NS)
    assert text(dif, "u:Identifier") == "00-50-56-AA-BB-01"
    assert text(dif, "u:DNSDomain") == "corp.example.com"
    assert [i.text for i in dif.findall("u:DNSServerSearchOrder/u:IpAddress", NS)] == ["10.1.2.53", "10.1.2.54"]

    netbt = component(root, "specialize", "Microsoft-Windows-NetBT")
    (nif,) = netbt.findall("u:Interfaces/u:Interface", NS)
    assert text(nif, "u:Identifier") == "00-50-56-AA-BB-01"
    assert text(nif, "u:NetbiosOptions") == "2"
    assert [i.text for i in nif.findall("u:NameServerList/u:IpAddress", NS)] == ["10.1.2.7", "10.1.2.8"]


def test_static_nic_without_own_dns_uses_global_servers() -> None:
    fixed = C.IPSettings(ip=C.FixedIp(ipAddress="10.0.0.5"), subnetMask="255.255.0.0")
    spec = make_spec(make_ident(), nics=[(None, fixed)], servers=["192.0.2.53"])
    root = parse(unattend.render_unattend(spec, computer_name="w", macs=["00:50:56:00:00:09"]))
    iface = component(root, "specialize", "Microsoft-Windows-TCPIP").find("u:Interfaces/u:Interface", NS)
    assert text(iface, "u:Identifier") == "00-50-56-00-00-09"
    assert text(iface, "u:UnicastIpAddresses/u:IpAddress") == "10.0.0.5/16"
    assert iface.find("u:Routes", NS) is None
    dif = component(root, "specialize", "Microsoft-Windows-DNS-Client").find("u:Interfaces/u:Interface", NS)
    assert text(dif, "u:DNSServerSearchOrder/u:IpAddress") == "192.0.2.53"


def test_values_are_escaped() -> None:
    ident = make_ident()
    ident.userData.orgName = "R&D <Lab>"
    ident.guiRunOnce = C.GuiRunOnce(commandList=['cmd /c "echo a & echo b" > out.txt'])
    root = parse(unattend.render_unattend(make_spec(ident), computer_name="w", macs=[]))
    oobe = component(root, "oobeSystem", "Microsoft-Windows-Shell-Setup")
    assert text(oobe, "u:RegisteredOrganization") == "R&D <Lab>"
    assert text(oobe, "u:FirstLogonCommands/u:SynchronousCommand/u:CommandLine") == 'cmd /c "echo a & echo b" > out.txt'


def test_mac_identifier() -> None:
    assert answerfile.mac_identifier("00:50:56:0a:0b:0c") == "00-50-56-0A-0B-0C"
    assert answerfile.mac_identifier("00-50-56-0A-0B-0C") == "00-50-56-0A-0B-0C"
