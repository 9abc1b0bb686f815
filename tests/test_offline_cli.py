"""The operator's offline tools: gosc spec validate, gosc package, gosc apply [--dry-run]."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from gosc.formats import deploypkg
from gosc.guest.skeletons import copy_skeleton
from tests.support.paths import CONFORMANCE
from tests.support.specs import fixed_ip, linux_spec

MAC = "00:50:56:80:00:01"


def gosc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gosc.cli", *args], capture_output=True, text=True, timeout=60)


def tree_digest(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = "->" + str(p.readlink())
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() + oct(p.stat().st_mode)
    return out


def test_validate_prints_every_problem_with_its_path(tmp_path: Path) -> None:
    spec = linux_spec("web_01", tz="Nowhere/City", dns=["1.2.3"], nics=[fixed_ip("10.0.0.300", mask="255.0.255.0")])
    f = tmp_path / "spec.json"
    f.write_text(json.dumps(spec))
    r = gosc("spec", "validate", str(f), "--mac", MAC)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    paths = [line.split(":")[0] for line in lines]
    assert paths == [
        "spec.identity.hostName",
        "spec.identity.timeZone",
        "spec.globalIPSettings.dnsServerList[0]",
        "spec.nicSettingMap[0].adapter.ip.ipAddress",
        "spec.nicSettingMap[0].adapter.subnetMask",
    ]
    assert all(line.endswith("[InvalidArgument]") for line in lines)


def test_validate_structural_and_nic_count_problems(tmp_path: Path) -> None:
    f = tmp_path / "spec.json"
    spec = linux_spec()
    spec["identity"]["hostName"]["_typeName"] = "CustomizationNoName"
    f.write_text(json.dumps(spec))
    r = gosc("spec", "validate", str(f))
    assert r.returncode == 1 and "[InvalidType]" in r.stdout and "spec.identity.hostName" in r.stdout
    f.write_text(json.dumps(linux_spec()))
    r = gosc("spec", "validate", str(f), "--mac", MAC, "--mac", "00:50:56:80:00:02")
    assert r.returncode == 1 and "[NicSettingMismatch]" in r.stdout
    assert gosc("spec", "validate", str(f), "--mac", MAC).returncode == 0


def test_package_then_dry_run_then_apply(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(linux_spec("web07", tz="Asia/Tokyo")))
    pkg = tmp_path / "web07.pkg"
    r = gosc("package", str(spec), "--mac", MAC, "--vm-name", "web07", "-o", str(pkg))
    assert r.returncode == 0, r.stderr
    assert oct(pkg.stat().st_mode & 0o777) == "0o600"
    parsed = deploypkg.read(pkg.read_bytes())
    assert {"cust.cfg", "nics.txt"} <= set(parsed.files) and parsed.major_version == 1

    root = copy_skeleton("ubuntu", tmp_path / "root", [MAC])
    before = tree_digest(root)
    r = gosc("apply", str(pkg), "--root", str(root), "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "+++ b/etc/hostname" in r.stdout and "+web07" in r.stdout and "192.168.10.21/24" in r.stdout
    assert tree_digest(root) == before

    r = gosc("apply", str(pkg), "--root", str(root))
    assert r.returncode == 0, r.stderr
    assert (root / "etc/hostname").read_text().strip() == "web07"
    assert (root / "etc/timezone").read_text().strip() == "Asia/Tokyo"


def test_apply_a_bare_cust_cfg_and_a_bad_package(tmp_path: Path) -> None:
    root = copy_skeleton("debian", tmp_path / "root", ["00:50:56:a6:8c:08", "00:50:56:a6:ef:7d"])
    cfg = CONFORMANCE / "cust-static-2nic.cfg"
    r = gosc("apply", str(cfg), "--root", str(root))
    assert r.returncode == 0, r.stderr
    assert "10.20.87.154" in (root / "etc/network/interfaces").read_text()
    bad = tmp_path / "bad.pkg"
    bad.write_bytes(b"VMWAREDEPLOYPKG_" + b"\0" * 10)
    r = gosc("apply", str(bad), "--root", str(root))
    assert r.returncode == 5 and "bad package" in r.stderr


def test_unusable_input_is_one_line_and_status_2(tmp_path: Path) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{bad")
    missing = str(tmp_path / "missing.json")
    cases = [
        (["spec", "validate", missing], "cannot read"),
        (["spec", "validate", str(bad_json)], "is not JSON"),
        (["package", missing, "--mac", MAC, "-o", str(tmp_path / "pkg")], "cannot read"),
        (["apply", missing, "--root", str(tmp_path)], "cannot read"),
        (["apply", str(bad_json), "--root", str(tmp_path / "no-such-root")], "not a directory"),
    ]
    for args, expected in cases:
        r = gosc(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.startswith("gosc: ") and expected in r.stderr and r.stderr.count("\n") == 1, (args, r.stderr)


def test_spec_from_standard_input(tmp_path: Path) -> None:
    spec = json.dumps(linux_spec("web01", nics=[fixed_ip("10.0.0.5")]))
    r = subprocess.run(
        [sys.executable, "-m", "gosc.cli", "spec", "validate", "-", "--mac", MAC],
        input=spec,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (r.returncode, r.stdout.strip()) == (0, "OK: no problems found"), r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "gosc.cli", "spec", "validate", "-"],
        input="[",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and r.stderr.startswith("gosc: standard input is not JSON"), r.stderr
