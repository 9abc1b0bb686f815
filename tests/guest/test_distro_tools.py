"""The rendered files are accepted by the real tools that read them."""

from __future__ import annotations

import configparser
import shutil
import subprocess

import pytest

from gosc.guest.engine import apply

from .guest_scenarios import MAC1, MAC2, SCENARIOS


def customize(guest, family, scenario):
    root, pkg = guest(family, [MAC1, MAC2], SCENARIOS[scenario]())
    result = apply(root, pkg)
    assert result.ok, result.message
    return root


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_netplan_generate_accepts(guest, tmp_path, scenario):
    root = customize(guest, "ubuntu", scenario)
    check = tmp_path / "netplan-root"
    (check / "etc/netplan").mkdir(parents=True)
    shutil.copy2(root / "etc/netplan/99-netcfg-vmware.yaml", check / "etc/netplan/")
    proc = subprocess.run(["netplan", "generate", "--root-dir", str(check)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert "Permissions" not in proc.stderr and "error" not in proc.stderr.lower(), proc.stderr
    units = sorted(p.name for p in (check / "run/systemd/network").glob("*.network"))
    assert units == ["10-netplan-ens192.network", "10-netplan-ens224.network"][: len(units)] and units


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_ifquery_accepts(guest, scenario):
    root = customize(guest, "debian", scenario)
    path = root / "etc/network/interfaces"
    # ifupdown would follow "source /etc/network/interfaces.d/*" on the host: check a copy without it
    text = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("source"))
    checked = path.with_name("interfaces.check")
    checked.write_text(text + "\n")
    listed = subprocess.run(["ifquery", "-i", str(checked), "--list", "-a"], capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0, listed.stderr
    cfg = SCENARIOS[scenario]()
    auto = {"lo"} | {n for n, nic in zip(["ens192", "ens224"], cfg.nics) if nic.onboot}
    assert set(listed.stdout.split()) == auto
    for name in ("ens192",):
        q = subprocess.run(["ifquery", "-i", str(checked), name], capture_output=True, text=True, timeout=30)
        assert q.returncode == 0, q.stderr
        if cfg.nics[0].ipv4_static:
            assert f"address: {cfg.nics[0].ipaddr}" in q.stdout


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_nm_keyfiles_are_valid_ini(guest, scenario):
    root = customize(guest, "rhel9", scenario)
    files = sorted((root / "etc/NetworkManager/system-connections").glob("VMware-customization-*.nmconnection"))
    assert files
    for f in files:
        assert oct(f.stat().st_mode & 0o777) == "0o600"
        ini = configparser.ConfigParser(interpolation=None)
        ini.read_string(f.read_text())  # strict: no duplicate keys or sections
        name = f.name.removeprefix("VMware-customization-").removesuffix(".nmconnection")
        assert ini["connection"]["id"] == f"VMware-customization-{name}"
        assert ini["connection"]["type"] == "ethernet" and ini["connection"]["interface-name"] == name
        assert len(ini["connection"]["uuid"]) == 36
        assert ini["ipv4"]["method"] in ("manual", "auto", "disabled")
        assert ini["ipv6"]["method"] in ("manual", "auto", "dhcp", "ignore")
        if ini["ipv4"]["method"] == "manual":
            assert "address1" in ini["ipv4"]


@pytest.mark.parametrize("family", ["centos7", "rhel8", "sles15"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_ifcfg_files_are_valid_shell(guest, family, scenario):
    root = customize(guest, family, scenario)
    base = "etc/sysconfig/network-scripts" if family != "sles15" else "etc/sysconfig/network"
    for f in sorted((root / base).glob("ifcfg-*")):
        # ifcfg files are sourced by shell scripts: they must parse and define BOOTPROTO
        proc = subprocess.run(["bash", "-c", f'set -e; . "{f}"; echo "$BOOTPROTO"'], capture_output=True, text=True)
        assert proc.returncode == 0 and proc.stdout.strip(), (f, proc.stderr)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_networkd_units_parse(guest, scenario):
    root = customize(guest, "photon5", scenario)
    units = sorted((root / "etc/systemd/network").glob("10-vmware-customization-*.network"))
    assert units
    for u in units:
        sections = [line for line in u.read_text().splitlines() if line.startswith("[")]
        assert sections[0] == "[Match]" and "[Network]" in sections
        for line in u.read_text().splitlines():
            assert not line or line.startswith(("#", "[")) or "=" in line
