"""Engine behaviour: dry run, failures without half-written files, scripts, marker,
password, cloud-init raw data, time zones, status reports, logs without secrets."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from gosc.formats.custcfg_model import CustConfig, Nic
from gosc.guest import shadow
from gosc.guest.engine import apply, apply_cfg
from gosc.guest.engine.__main__ import main as engine_main
from gosc.guest.engine.distro import UnsupportedDistro, detect
from gosc.guest.engine.files import ChangeSet
from gosc.guest.engine.interfaces import scan
from gosc.guest.engine.timezone import resolve

from .guest_helpers import DHCP_2NIC, STATIC_2NIC, snapshot
from .guest_scenarios import MAC1, MAC2, static

SCRIPT = b"""#!/bin/sh
echo "$1 ran in $(pwd)" >> /script.log
"""


def cfg_with(**kw) -> CustConfig:
    cfg = static()
    for k, v in kw.items():
        setattr(cfg, k, v)
    return cfg


def enable_scripts(root: Path) -> None:
    (root / "etc/vmware-tools/tools.conf").write_text("[deployPkg]\nenable-custom-scripts = true\n")


def log_text(root: Path) -> str:
    return (root / "var/log/vmware-imc/toolsDeployPkg.log").read_text()


def test_dry_run_changes_nothing_and_shows_diff(guest):
    root, pkg = guest("ubuntu", [MAC1, MAC2], STATIC_2NIC.read_text())
    before = snapshot(root)
    result = apply(root, pkg, dry_run=True)
    assert result.error_code == 0 and result.log_path is None
    assert snapshot(root) == before
    assert "+++ b/etc/netplan/99-netcfg-vmware.yaml" in result.diff
    assert "+10.20.87.154\tmyhost1.eng.vmware.com myhost1" in result.diff
    assert "-symlink -> /usr/share/zoneinfo/Etc/UTC" in result.diff
    assert "/etc/hostname" in result.changes
    # a real run then changes exactly what the dry run announced
    real = apply(root, pkg)
    assert real.changes == result.changes and real.diff == result.diff


def test_dry_run_cli_prints_diff(guest, capsys):
    root, pkg = guest("debian", [MAC1, MAC2], STATIC_2NIC.read_text())
    before = snapshot(root)
    assert engine_main(["--root", str(root), "--dry-run", str(pkg)]) == 0
    assert "+++ b/etc/network/interfaces" in capsys.readouterr().out
    assert snapshot(root) == before


def test_second_run_is_idempotent(guest):
    root, pkg = guest("rhel9", [MAC1, MAC2], STATIC_2NIC.read_text())
    assert apply(root, pkg).ok
    again = apply(root, pkg)
    assert again.ok and again.changes == []


def test_unknown_mac_is_a_network_failure_and_writes_nothing(guest):
    root, pkg = guest("ubuntu", ["00:50:56:ff:ff:ff"], STATIC_2NIC.read_text())
    before = snapshot(root)
    result = apply(root, pkg)
    assert (result.error_code, result.failure) == (5, "network")
    assert "00:50:56:a6:8c:08" in result.message and "ens192" in result.message
    after = snapshot(root)
    new = set(after) - set(before)
    assert new <= {"var", "var/log", "var/log/vmware-imc", "var/log/vmware-imc/toolsDeployPkg.log"}
    assert {k: v for k, v in after.items() if k in before} == before
    assert "customization failed (network)" in log_text(root)


@pytest.mark.parametrize("hostname", ["bad_name", "-dash", "x" * 70, ""])
def test_bad_hostname_is_an_identity_failure(guest, hostname):
    root, pkg = guest("debian", [MAC1], cfg_with(hostname=hostname))
    before = snapshot(root)
    result = apply(root, pkg)
    assert (result.error_code, result.failure) == (5, "identity")
    assert {k: v for k, v in snapshot(root).items() if k in before} == before


def test_unknown_timezone_fails_and_offsets_fall_back(guest, tmp_path):
    root, pkg = guest("debian", [MAC1], cfg_with(timezone="Mars/Olympus_Mons"))
    result = apply(root, pkg)
    assert result.failure == "identity" and "Mars/Olympus_Mons" in result.message
    cs = ChangeSet(root)
    assert resolve("GMT+5", cs) == "Etc/GMT-5"
    assert resolve("UTC-03:00", cs) == "Etc/GMT+3"
    assert resolve("america/new_york", cs) == "America/New_York"
    assert resolve("Asia/Kolkata", cs) == "Asia/Kolkata"  # from gosc's tzdata: the tree has no zoneinfo


def test_timezone_files_per_family(guest):
    root, pkg = guest("centos7", [MAC1], cfg_with(timezone="Asia/Tokyo", utc=False))
    assert apply(root, pkg).ok
    assert os.readlink(root / "etc/localtime") == "../usr/share/zoneinfo/Asia/Tokyo"
    assert 'ZONE="Asia/Tokyo"' in (root / "etc/sysconfig/clock").read_text()
    assert (root / "etc/adjtime").read_text().splitlines()[2] == "LOCAL"


def test_password_set_and_reset_never_logged(guest):
    secret = "S3cr3t-Pa55!"
    root, pkg = guest("debian", [MAC1], cfg_with(admin_password=secret, reset_password=True))
    mode_before = stat.S_IMODE((root / "etc/shadow").stat().st_mode)
    result = apply(root, pkg)
    assert result.ok
    acct = shadow.read_account(root, "root")
    assert acct and shadow.verify(secret, acct.hash or "") and acct.last_change == "0"
    vmuser = shadow.read_account(root, "vmuser")
    assert vmuser and shadow.verify("VMware1!", vmuser.hash or "")
    assert stat.S_IMODE((root / "etc/shadow").stat().st_mode) == mode_before == 0o640
    text = log_text(root) + result.log + result.diff + result.message
    assert secret not in text and "UzNjcjN0" not in text  # nor its base64
    assert "$6$" not in result.diff  # the shadow diff is hidden


def test_scripts_disabled_by_default(guest):
    root, pkg = guest("ubuntu", [MAC1], cfg_with(script_name="customize.sh"), {"customize.sh": SCRIPT})
    before = snapshot(root)
    result = apply(root, pkg)
    assert (result.error_code, result.failure) == (6, "script_disabled")
    assert "enable-custom-scripts" in result.message
    assert {k: v for k, v in snapshot(root).items() if k in before} == before
    assert not (root / "script.log").exists()


@pytest.mark.parametrize("how", ["tools.conf", "default-run"])
def test_scripts_run_pre_and_post_once_per_marker(guest, how):
    cfg = cfg_with(
        script_name="customize.sh",
        marker_id="abc123",
        admin_password="First1!",
        default_run_post_script=how == "default-run",
    )
    root, pkg = guest("ubuntu", [MAC1], cfg, {"customize.sh": SCRIPT})
    if how == "tools.conf":
        enable_scripts(root)
    result = apply(root, pkg)
    assert result.ok, result.message
    lines = (root / "script.log").read_text().splitlines()
    assert lines == [
        "precustomization ran in /var/run/vmware-imc/pkg",
        "postcustomization ran in /var/run/vmware-imc/pkg",
    ]
    assert (root / ".markerfile-abc123.txt").exists()
    # The same marker again (a clone of a customized VM): no scripts, no password change.
    (pkg / "cust.cfg").write_text((pkg / "cust.cfg").read_text().replace("Rmlyc3QxIQo=", "U2Vjb25kMiEK"))
    result = apply(root, pkg)
    assert result.ok and len((root / "script.log").read_text().splitlines()) == 2
    assert shadow.verify("First1!", shadow.read_account(root, "root").hash or "")  # type: ignore[union-attr]


def test_tools_conf_false_beats_default_run(guest):
    root, pkg = guest(
        "ubuntu", [MAC1], cfg_with(script_name="customize.sh", default_run_post_script=True), {"customize.sh": SCRIPT}
    )
    (root / "etc/vmware-tools/tools.conf").write_text("[deployPkg]\nenable-custom-scripts = false\n")
    assert apply(root, pkg).error_code == 6


def test_failing_prescript_changes_nothing(guest):
    root, pkg = guest("ubuntu", [MAC1], cfg_with(script_name="customize.sh"), {"customize.sh": b"exit 3\n"})
    enable_scripts(root)
    before = snapshot(root)
    result = apply(root, pkg)
    assert (result.failure, result.error_code) == ("script", 5) and "status 3" in result.message
    assert {k: v for k, v in snapshot(root).items() if k in before} == before


METADATA = b"instance-id: iid-1\nlocal-hostname: ci-host\nnetwork:\n  version: 2\n  ethernets: {}\n"


def test_cloudinit_metadata_is_placed_for_cloud_init(guest):
    cfg = CustConfig(cloudinit_metadata="metadata", cloudinit_userdata="userdata", nics=[Nic("NIC1", MAC1)])
    root, pkg = guest("ubuntu", [MAC1], cfg, {"metadata": METADATA, "userdata": b"#cloud-config\n"})
    result = apply(root, pkg)
    assert result.ok, result.message
    imc = root / "var/run/vmware-imc"
    assert (imc / "metadata").read_bytes() == METADATA and (imc / "userdata").exists() and (imc / "cust.cfg").exists()
    assert (root / "etc/hostname").read_text() == "ubuntu\n"  # cloud-init, not the engine, customizes


def test_cloudinit_json_metadata_ok_and_bad_metadata_is_error_9(guest):
    cfg = CustConfig(cloudinit_metadata="metadata")
    root, pkg = guest("ubuntu", [MAC1], cfg, {"metadata": json.dumps({"instance-id": "x"}).encode()})
    assert apply(root, pkg).ok
    (pkg / "metadata").write_bytes(b"key: [unclosed\n")
    result = apply(root, pkg)
    assert (result.error_code, result.failure) == (9, "metadata")
    (pkg / "metadata").write_bytes(b"- a list\n")
    assert apply(root, pkg).error_code == 9
    (pkg / "metadata").write_bytes(b"a: " + b"x" * (512 * 1024))
    assert apply(root, pkg).error_code == 9


def test_cloudinit_missing_in_guest(guest):
    root, pkg = guest("debian", [MAC1], CustConfig(cloudinit_metadata="metadata"), {"metadata": METADATA})
    result = apply(root, pkg)
    assert (result.error_code, result.failure) == (8, "cloudinit_missing")


def test_gc_status_reported_only_when_asked(guest):
    calls: list[tuple[str, str]] = []
    root, pkg = guest("photon5", [MAC1], cfg_with(post_gc_status=True))
    assert apply(root, pkg, report=lambda k, v: calls.append((k, v))).ok
    assert calls == [("guestinfo.gc.status", "Started"), ("guestinfo.gc.status", "Successful")]
    calls.clear()
    root2, pkg2 = guest("sles15", [MAC2], cfg_with(post_gc_status=True))
    apply(root2, pkg2, report=lambda k, v: calls.append((k, v)))
    assert calls[0] == ("guestinfo.gc.status", "Started") and "MAC" in calls[1][1]
    calls.clear()
    root3, pkg3 = guest("rhel8", [MAC1], cfg_with(post_gc_status=False))
    apply(root3, pkg3, report=lambda k, v: calls.append((k, v)))
    assert calls == []


def test_bad_cust_cfg_and_missing_package(guest, tmp_path):
    root, pkg = guest("debian", [MAC1], "[NETWORK]\nNETWORKING = perhaps\n")
    result = apply(root, pkg)
    assert result.failure == "config" and "[NETWORK] NETWORKING" in result.message
    result = apply(root, tmp_path / "nowhere")
    assert (result.failure, result.error_code) == ("config", 2)


def test_apply_cfg_with_conformance_file(guest, tmp_path):
    root, _ = guest("debian", ["00:50:56:a6:8c:08", "00:50:56:a6:5a:de"], "")
    result = apply_cfg(root, DHCP_2NIC)
    assert result.ok, result.message
    text = (root / "etc/network/interfaces").read_text()
    assert "iface ens192 inet dhcp" in text and "iface ens224 inet dhcp" in text
    assert shadow.verify("secret", shadow.read_account(root, "root").hash or "")  # type: ignore[union-attr]


def test_unsupported_distro(guest):
    root, pkg = guest("debian", [MAC1], cfg_with())
    (root / "etc/os-release").write_text('ID=haiku\nPRETTY_NAME="Haiku"\n')
    result = apply(root, pkg)
    assert (result.failure, result.error_code) == ("config", 1) and "Haiku" in result.message


@pytest.mark.parametrize(
    "text, family",
    [
        ('ID=ubuntu\nVERSION_ID="24.04"\n', "ubuntu"),
        ('ID=linuxmint\nID_LIKE="ubuntu debian"\n', "ubuntu"),
        ('ID=debian\nVERSION_ID="12"\n', "debian"),
        ('ID="centos"\nVERSION_ID="7"\n', "sysconfig"),
        ('ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.9"\n', "sysconfig"),
        ('ID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n', "networkmanager"),
        ("ID=fedora\nVERSION_ID=40\n", "networkmanager"),
        ('ID="sles"\nVERSION_ID="15.5"\n', "suse"),
        ('ID="opensuse-leap"\nID_LIKE="suse opensuse"\n', "suse"),
        ("ID=photon\nVERSION_ID=5.0\n", "photon"),
    ],
)
def test_distro_detection(tmp_path, text, family):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/os-release").write_text(text)
    assert detect(tmp_path).family == family


def test_no_os_release(tmp_path):
    with pytest.raises(UnsupportedDistro):
        detect(tmp_path)


def test_interface_scan(guest):
    root, _ = guest("rhel9", ["00:50:56:AA:00:01", "00:50:56:aa:00:02", "00:50:56:aa:00:03"], "")
    assert scan(root) == {"00:50:56:aa:00:01": "ens192", "00:50:56:aa:00:02": "ens224", "00:50:56:aa:00:03": "ens256"}


def test_changeset_resolves_links_inside_the_guest(tmp_path):
    """A link to "/" and ".." past the top mean the guest's own root, never the host's."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "evil").symlink_to("/")
    cs = ChangeSet(root)
    cs.write("/evil/etc/passwd", "x")
    cs.write("/etc/../../x", "y")
    assert cs.commit() == ["/evil/etc/passwd", "/etc/../../x"]
    assert (root / "etc/passwd").read_text() == "x" and (root / "x").read_text() == "y"
    assert not (tmp_path / "x").exists()
    cs = ChangeSet(root)
    cs.write("/etc/new", "data", 0o600)
    assert cs.commit() == ["/etc/new"]
    assert stat.S_IMODE((root / "etc/new").stat().st_mode) == 0o600
    assert not [p for p in (root / "etc").iterdir() if p.name.endswith(".gosc-tmp")]
