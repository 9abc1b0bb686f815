"""gosc spec convert --to nocloud, checked by Debian's cloud-init itself:

* ``cloud-init schema --config-file`` accepts every user-data written;
* ``cloud-init devel net-convert`` renders each network-config into netplan that is the
  netplan gosc's own engine writes for the same spec on an Ubuntu guest;
* cloud-init's NoCloud datasource, reading the ``cidata`` ISO, finds the host name,
  the instance-id and the network config;
* vCenter's XML and the API's JSON of one spec give one seed; real exports convert; a
  spec needing values from outside is reported incomplete, not guessed.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pyVmomi import vim

from gosc.customization import specxml
from gosc.guest import shadow
from gosc.guest.skeletons import copy_skeleton
from gosc.vim import json_codec
from gosc.vim import types as T
from tests.support.specs import dhcp, fixed_ip, linux_spec

DATA = Path(__file__).parent / "data" / "specxml"
PROBE = Path(__file__).parent / "nocloud_probe.py"
SYSTEM_PYTHON = "/usr/bin/python3"
MACS = ["00:50:56:80:00:01", "00:50:56:80:00:02", "00:50:56:80:00:03"]
NAMES = ["ens192", "ens224", "ens256"]  # what copy_skeleton names the NICs, in order
VERSION = T.version_of_release(T.NEWEST_RELEASE)


def gosc(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gosc.cli", *args], capture_output=True, text=True, timeout=120, env=env
    )


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=120, check=True)


def v6(adapter: dict[str, Any], *gens: dict[str, Any], gateway: list[str] | None = None) -> dict[str, Any]:
    adapter["adapter"]["ipV6Spec"] = {"_typeName": "CustomizationIPSettingsIpV6AddressSpec", "ip": list(gens)}
    if gateway:
        adapter["adapter"]["ipV6Spec"]["gateway"] = gateway
    return adapter


def fixed6(address: str, prefix: int = 64) -> dict[str, Any]:
    return {"_typeName": "CustomizationFixedIpV6", "ipAddress": address, "subnetMask": prefix}


def with_gateways(m: dict[str, Any], *gateways: str) -> dict[str, Any]:
    m["adapter"]["gateway"] = list(gateways)
    return m


SPECS: dict[str, dict[str, Any]] = {
    "static-dhcp-static-v6": linux_spec(
        "web07",
        dns=["192.168.10.2", "2001:db8::53"],
        nics=[
            v6(
                with_gateways(fixed_ip("192.168.10.21"), "192.168.10.1", "192.168.10.254"),
                fixed6("2001:db8:10::21"),
                gateway=["2001:db8:10::1"],
            ),
            dhcp(),
            fixed_ip("10.0.0.5", mask="255.255.0.0", gateway="10.0.0.1"),
        ],
    ),
    "dhcp-only": linux_spec("db01", nics=[dhcp()], tz="America/New_York"),
    "primary-is-second": linux_spec(
        "app3", nics=[fixed_ip("172.16.0.9", mask="255.255.255.0"), fixed_ip("10.1.2.3", gateway="10.1.2.1")]
    ),
    "v6-dhcp-and-slaac": linux_spec(
        "six",
        nics=[
            v6(dhcp(), {"_typeName": "CustomizationDhcpIpV6Generator"}),
            v6(fixed_ip("10.9.9.9", gateway="10.9.9.1"), {"_typeName": "CustomizationAutoIpV6Generator"}),
        ],
    ),
}


def convert(spec_file: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return gosc("spec", "convert", "--to", "nocloud", str(spec_file), "-o", str(out), *extra)


def nic_args(count: int, named: bool = True) -> list[str]:
    return [a for i in range(count) for a in ("--mac", f"{MACS[i]}={NAMES[i]}" if named else MACS[i])]


def engine_netplan(tmp: Path, spec_file: Path, count: int) -> dict[str, Any]:
    """What gosc's engine writes on an Ubuntu guest with these NICs for the spec."""
    root = copy_skeleton("ubuntu", tmp / "guest", MACS[:count])
    pkg = tmp / "spec.pkg"
    macs = [a for m in MACS[:count] for a in ("--mac", m)]
    assert gosc("package", str(spec_file), *macs, "-o", str(pkg)).returncode == 0
    applied = gosc("apply", str(pkg), "--root", str(root))
    assert applied.returncode == 0, applied.stderr
    doc: dict[str, Any] = yaml.safe_load((root / "etc/netplan/99-netcfg-vmware.yaml").read_text())
    return doc["network"]


def cloud_init_netplan(tmp: Path, network_config: Path) -> dict[str, Any]:
    out = tmp / "net-convert"
    run(
        *["cloud-init", "devel", "net-convert", "-k", "yaml", "-D", "ubuntu", "-O", "netplan"],
        "-p",
        str(network_config),
        "-d",
        str(out),
    )
    (written,) = (out / "etc/netplan").glob("*.yaml")
    doc: dict[str, Any] = yaml.safe_load(written.read_text())
    return doc["network"]


def datasource_reads(iso: Path) -> dict[str, Any]:
    out = run(SYSTEM_PYTHON, str(PROBE), str(iso))
    result: dict[str, Any] = json.loads(out.stdout)
    return result


@pytest.mark.parametrize("name", sorted(SPECS))
def test_cloud_init_accepts_the_seed_and_renders_what_the_engine_renders(tmp_path: Path, name: str) -> None:
    spec = SPECS[name]
    count = len(spec["nicSettingMap"])
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec))
    seed = tmp_path / "seed"
    r = convert(spec_file, seed, *nic_args(count), "--iso", str(tmp_path / "seed.iso"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "complete: every setting of the spec is in the seed"
    assert "Valid cloud-config" in run("cloud-init", "schema", "--config-file", str(seed / "user-data")).stdout

    engine = engine_netplan(tmp_path, spec_file, count)
    ours = cloud_init_netplan(tmp_path, seed / "network-config")
    assert ours["ethernets"] == engine["ethernets"]
    assert ours["version"] == engine["version"] == 2

    ds = datasource_reads(tmp_path / "seed.iso")
    host = spec["identity"]["hostName"]["name"]
    meta = yaml.safe_load((seed / "meta-data").read_text())
    assert ds["found"] is True and ds["seed"] == str(tmp_path / "seed.iso")
    assert (ds["hostname"], ds["instance_id"]) == (host, meta["instance-id"])
    assert ds["network_config"] == yaml.safe_load((seed / "network-config").read_text())
    user = yaml.safe_load(ds["userdata_raw"])
    assert user["hostname"] == host and user["fqdn"] == f"{host}.example.com"
    assert user["timezone"] == spec["identity"]["timeZone"]
    assert ["timedatectl", "set-local-rtc", "0"] in user["runcmd"]  # hwClockUTC: true


def test_password_is_only_hashed_and_the_script_keeps_its_phases(tmp_path: Path) -> None:
    spec = linux_spec("pw01", script='#!/bin/sh\necho "phase $1" >> /root/phases\n')
    spec["identity"]["password"] = {"_typeName": "CustomizationPassword", "value": "Plain-Secret-42", "plainText": True}
    spec["identity"]["resetPassword"] = True
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec))
    r = convert(spec_file, tmp_path / "seed", "--mac", MACS[0])
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "seed" / "user-data").read_text()
    assert "Plain-Secret-42" not in text and "Plain-Secret-42" not in r.stdout + r.stderr
    assert oct((tmp_path / "seed" / "user-data").stat().st_mode & 0o777) == "0o600"
    assert "Valid cloud-config" in run("cloud-init", "schema", "--config-file", str(tmp_path / "seed/user-data")).stdout
    user = yaml.safe_load(text)
    (entry,) = user["chpasswd"]["users"]
    assert entry["name"] == "root" and entry["type"] == "hash" and entry["password"].startswith("$6$")
    assert shadow.verify("Plain-Secret-42", entry["password"])
    assert user["chpasswd"]["expire"] is True  # resetPassword
    script = spec["identity"]["scriptText"]
    assert user["bootcmd"] == [
        [
            "cloud-init-per",
            "instance",
            "gosc-precustomization",
            "/bin/sh",
            "-c",
            script,
            "customize.sh",
            "precustomization",
        ]
    ]
    assert ["/bin/sh", "-c", script, "customize.sh", "postcustomization"] in user["runcmd"]
    # `sh -c SCRIPT customize.sh PHASE`: the script sees its phase as $1, as VMware runs it.
    probe = ["/bin/sh", "-c", 'echo "$0 $1"', *user["bootcmd"][0][-2:]]
    assert run(*probe).stdout == "customize.sh precustomization\n"


def test_without_macs_interfaces_are_matched_by_name_and_the_report_says_so(tmp_path: Path) -> None:
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(SPECS["primary-is-second"]))
    r = convert(spec_file, tmp_path / "seed")
    assert r.returncode == 0
    assert "note: no MACs given: interfaces are matched by name in order (eth0 for spec.nicSettingMap[0], " in r.stdout
    net = yaml.safe_load((tmp_path / "seed" / "network-config").read_text())
    assert list(net["ethernets"]) == ["eth0", "eth1"]
    assert all("match" not in e and "set-name" not in e for e in net["ethernets"].values())
    assert net["ethernets"]["eth1"]["routes"] == [{"to": "default", "via": "10.1.2.1"}]  # the primary NIC
    assert "nameservers" in net["ethernets"]["eth1"]


def test_xml_and_json_of_one_spec_give_one_seed(tmp_path: Path) -> None:
    spec = SPECS["static-dhcp-static-v6"]
    item = vim.CustomizationSpecItem(
        info=vim.CustomizationSpecInfo(name="web07", description="", type="Linux"),
        spec=json_codec.decode(spec, vim.vm.customization.Specification, VERSION, "spec"),
    )
    (tmp_path / "spec.xml").write_text(specxml.to_xml(item))
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    for form in ("xml", "json"):
        assert convert(tmp_path / f"spec.{form}", tmp_path / form, *nic_args(3)).returncode == 0
    for name in ("meta-data", "user-data", "network-config"):
        assert (tmp_path / "xml" / name).read_text() == (tmp_path / "json" / name).read_text()


def test_a_real_export_converts(tmp_path: Path) -> None:
    r = convert(DATA / "libretto-static-ip.xml", tmp_path / "seed", "--vm-name", "lib-01", "--mac", MACS[0])
    assert r.returncode == 0, r.stdout + r.stderr
    user = yaml.safe_load((tmp_path / "seed" / "user-data").read_text())
    assert (user["hostname"], user["fqdn"], user["timezone"]) == (
        "lib-01",
        "lib-01.gsintlab.com",
        "Indian/Antananarivo",
    )
    net = yaml.safe_load((tmp_path / "seed" / "network-config").read_text())
    assert net["ethernets"]["eth0"]["addresses"] == ["10.10.24.100/24"]
    # Without the VM's name, CustomizationVirtualMachineName has no value: reported, not guessed.
    r = convert(DATA / "libretto-static-ip.xml", tmp_path / "seed2", "--mac", MACS[0])
    assert r.returncode == 3
    assert "not converted: spec.identity.hostName: CustomizationVirtualMachineName needs the VM's name" in r.stdout
    assert "hostname" not in yaml.safe_load((tmp_path / "seed2" / "user-data").read_text())


def test_values_from_outside_are_reported_incomplete_not_guessed(tmp_path: Path) -> None:
    r = convert(DATA / "jirib-unknown-generators.xml", tmp_path / "seed", "--mac", MACS[0])
    assert r.returncode == 3
    lines = r.stdout.splitlines()
    assert [line.split(": ")[1] for line in lines if line.startswith("not converted")] == [
        "spec.identity.hostName",
        "spec.nicSettingMap[0].adapter.ip",
        "spec.globalIPSettings",
    ]
    assert lines[-1] == "incomplete: 3 setting(s) of the spec are not in the seed"
    meta = yaml.safe_load((tmp_path / "seed" / "meta-data").read_text())
    assert "local-hostname" not in meta
    net = yaml.safe_load((tmp_path / "seed" / "network-config").read_text())
    assert net == {"version": 2, "ethernets": {}}  # no DHCP guessed for the UnknownIp NIC
    assert "Valid cloud-config" in run("cloud-init", "schema", "--config-file", str(tmp_path / "seed/user-data")).stdout


def test_a_windows_spec_converts_what_cloud_init_has_and_lists_the_rest(tmp_path: Path) -> None:
    spec = copy.deepcopy(linux_spec(nics=[dhcp()]))
    spec["identity"] = {
        "_typeName": "CustomizationSysprep",
        "guiUnattended": {
            "_typeName": "CustomizationGuiUnattended",
            "password": {"_typeName": "CustomizationPassword", "value": "Adm1n!pw", "plainText": True},
            "timeZone": 110,
            "autoLogon": False,
            "autoLogonCount": 0,
        },
        "userData": {
            "_typeName": "CustomizationUserData",
            "fullName": "Ops",
            "orgName": "Example",
            "productId": "",
            "computerName": {"_typeName": "CustomizationFixedName", "name": "WIN01"},
        },
        "guiRunOnce": {"_typeName": "CustomizationGuiRunOnce", "commandList": ["cmd /c echo hi"]},
        "identification": {"_typeName": "CustomizationIdentification", "joinWorkgroup": "WORKGROUP"},
    }
    spec["options"] = {"_typeName": "CustomizationWinOptions", "changeSID": True, "deleteAccounts": False}
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec))
    r = convert(spec_file, tmp_path / "seed", "--mac", MACS[0])
    assert r.returncode == 3, r.stdout + r.stderr
    gaps = [line.split(": ")[1] for line in r.stdout.splitlines() if line.startswith("not converted")]
    assert gaps == [
        "spec.identity.guiUnattended.timeZone",
        "spec.identity.userData.fullName",
        "spec.identity.userData.orgName",
        "spec.identity.identification.joinWorkgroup",
        "spec.options.changeSID",
    ]
    text = (tmp_path / "seed" / "user-data").read_text()
    assert "Adm1n!pw" not in text
    assert "Valid cloud-config" in run("cloud-init", "schema", "--config-file", str(tmp_path / "seed/user-data")).stdout
    user = yaml.safe_load(text)
    assert user["hostname"] == "WIN01" and user["runcmd"] == ["cmd /c echo hi"]
    (admin,) = user["users"]
    assert admin["name"] == "Administrator" and shadow.verify("Adm1n!pw", admin["hashed_passwd"])


def test_unusable_input_and_spec_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text('<!DOCTYPE r [<!ENTITY x "y">]><ConfigRoot>&x;</ConfigRoot>')
    r = convert(bad, tmp_path / "seed")
    assert r.returncode == 2 and r.stderr.startswith("gosc: ") and len(r.stderr.splitlines()) == 1
    assert "DOCTYPE" in r.stderr and not (tmp_path / "seed").exists()
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps(linux_spec(nics=[fixed_ip("10.0.0.300")])))
    r = convert(typo, tmp_path / "seed")
    assert r.returncode == 1 and not (tmp_path / "seed").exists()
    assert r.stderr.startswith("spec.nicSettingMap[0].adapter.ip.ipAddress: '10.0.0.300' is not an IPv4 address")
    r = convert(typo, tmp_path / "seed", "--mac", "zz:zz")
    assert r.returncode == 1 and "--mac[0]" in r.stderr


def test_iso_with_genisoimage_alone(tmp_path: Path) -> None:
    """Without cloud-image-utils the ISO is made by genisoimage, with the same label."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "genisoimage").symlink_to("/usr/bin/genisoimage")
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(SPECS["dhcp-only"]))
    env = dict(os.environ, PATH=str(bin_dir))
    r = gosc(
        "spec",
        "convert",
        "--to",
        "nocloud",
        str(spec_file),
        "-o",
        str(tmp_path / "s"),
        "--iso",
        str(tmp_path / "s.iso"),
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert "(cidata volume, by genisoimage)" in r.stdout
    ds = datasource_reads(tmp_path / "s.iso")
    assert ds["found"] is True and ds["hostname"] == "db01"


def test_cloudinit_prep_passes_its_own_data_and_network_into_the_seed(tmp_path: Path) -> None:
    metadata = "local-hostname: ci01\nnetwork:\n  version: 2\n  ethernets:\n    nics:\n      match: {name: 'ens*'}\n      dhcp4: true\n"
    spec = {
        "_typeName": "CustomizationSpec",
        "identity": {
            "_typeName": "CustomizationCloudinitPrep",
            "metadata": metadata,
            "userdata": "#cloud-config\npackages: [htop]\n",
        },
        "globalIPSettings": {"_typeName": "CustomizationGlobalIPSettings"},
    }
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec))
    r = convert(spec_file, tmp_path / "seed", "--iso", str(tmp_path / "seed.iso"), "--instance-id", "vm-42")
    assert r.returncode == 0, r.stderr
    ds = datasource_reads(tmp_path / "seed.iso")
    assert (ds["hostname"], ds["instance_id"]) == ("ci01", "vm-42")
    assert ds["network_config"] == {"version": 2, "ethernets": {"nics": {"match": {"name": "ens*"}, "dhcp4": True}}}
    assert ds["userdata_raw"] == spec["identity"]["userdata"]


def test_a_password_another_vcenter_encrypted_is_a_gap(tmp_path: Path) -> None:
    spec = linux_spec("e1", nics=[dhcp()])
    spec["identity"]["password"] = {"_typeName": "CustomizationPassword", "value": "QUJDREVGCg==", "plainText": False}
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec))
    r = convert(spec_file, tmp_path / "seed", "--mac", MACS[0])
    assert r.returncode == 3
    assert "not converted: spec.identity.password: encrypted with the key of the vCenter that exported it" in r.stdout
    assert "chpasswd" not in yaml.safe_load((tmp_path / "seed" / "user-data").read_text())
