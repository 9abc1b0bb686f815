"""apply_sysprep on a Windows guest tree made from the windows skeleton."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import gosc
from gosc.customization import unattend
from gosc.guest.windows import ANSWER_FILE, LOG_FILE, apply_sysprep, redact
from tests.sysprep.sysprep_helpers import ADMIN_PW, JOIN_PW, domain_identification, make_ident, make_spec

SKELETON = Path(gosc.__file__).parent / "guest" / "skeletons" / "windows"


def snapshot(root: Path) -> dict[str, tuple[int, bytes | None]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mode, p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def guest(tmp_path: Path) -> Path:
    root = tmp_path / "guest"
    shutil.copytree(SKELETON, root)
    return root


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    d = tmp_path / "pkg"
    d.mkdir()
    spec = make_spec(make_ident(identification=domain_identification()))
    (d / "sysprep.xml").write_bytes(unattend.render_unattend(spec, computer_name="web-01", macs=["00:50:56:00:00:01"]))
    return d


def test_skeleton_is_a_windows_tree() -> None:
    release = (SKELETON / "gosc-os-release").read_text()
    assert "ID=windows" in release and "VERSION_ID=2022" in release
    assert 'NAME="Microsoft Windows Server 2022"' in release
    assert (SKELETON / "sys/class/net/ens192/address").read_text().strip() == "00:50:56:00:00:01"
    assert (SKELETON / "Windows/System32/config/.keep").is_file()
    assert (SKELETON / "Windows/Panther").is_dir()
    assert not (SKELETON / ANSWER_FILE).exists()


def test_apply_places_answer_file(guest: Path, pkg: Path) -> None:
    r = apply_sysprep(guest, pkg)
    assert (r.error_code, r.failure) == (0, None)
    target = guest / ANSWER_FILE
    assert target.read_bytes() == (pkg / "sysprep.xml").read_bytes()
    assert target.stat().st_mode & 0o777 == 0o600
    assert target in r.changes
    assert r.log_path == guest / LOG_FILE and r.log_path.is_file()
    log = r.log_path.read_text()
    assert "Panther" in log
    assert ADMIN_PW not in log and JOIN_PW not in log
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]


def test_apply_is_idempotent(guest: Path, pkg: Path) -> None:
    apply_sysprep(guest, pkg)
    r = apply_sysprep(guest, pkg)
    assert r.error_code == 0 and guest / ANSWER_FILE not in r.changes


def test_dry_run_writes_nothing(guest: Path, pkg: Path) -> None:
    before = snapshot(guest)
    r = apply_sysprep(guest, pkg, dry_run=True)
    assert r.error_code == 0 and r.log_path is None
    assert snapshot(guest) == before
    assert r.diff.startswith("--- /dev/null\n+++ b/Windows/Panther/unattend.xml\n")
    assert '+    <component name="Microsoft-Windows-UnattendedJoin"' in r.diff
    assert ADMIN_PW not in r.diff and JOIN_PW not in r.diff
    assert guest / ANSWER_FILE in r.changes


def test_dry_run_diff_against_existing_file(guest: Path, pkg: Path) -> None:
    apply_sysprep(guest, pkg)
    before = snapshot(guest)
    spec = make_spec(make_ident())
    (pkg / "sysprep.xml").write_bytes(unattend.render_unattend(spec, computer_name="web-02", macs=[]))
    r = apply_sysprep(guest, pkg, dry_run=True)
    assert snapshot(guest) == before
    assert "-      <ComputerName>web-01</ComputerName>" in r.diff
    assert "+      <ComputerName>web-02</ComputerName>" in r.diff
    assert ADMIN_PW not in r.diff


def test_missing_answer_file_fails(guest: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    r = apply_sysprep(guest, empty)
    assert (r.error_code, r.failure) == (5, "sysprep")
    assert "sysprep.xml" in r.message
    assert r.log_path is not None and "ERROR" in r.log_path.read_text()
    assert not (guest / ANSWER_FILE).exists()


@pytest.mark.parametrize(
    "bad",
    [
        b"<unattend><settings></unattend>",
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>',
        b"\xff\xfe\x00",
    ],
)
def test_unusable_answer_file_fails(guest: Path, pkg: Path, bad: bytes) -> None:
    (pkg / "sysprep.xml").write_bytes(bad)
    r = apply_sysprep(guest, pkg)
    assert (r.error_code, r.failure) == (5, "sysprep")
    assert not (guest / ANSWER_FILE).exists()


def test_not_a_windows_tree_fails(tmp_path: Path, pkg: Path) -> None:
    root = tmp_path / "linux"
    (root / "etc").mkdir(parents=True)
    before = snapshot(root)
    for dry_run in (True, False):
        r = apply_sysprep(root, pkg, dry_run=dry_run)
        assert (r.error_code, r.failure) == (5, "sysprep") and snapshot(root) == before


def test_sysprep_text_is_placed_verbatim(guest: Path, tmp_path: Path) -> None:
    from pyVmomi import vim

    value = '<?xml version="1.0" encoding="utf-8"?>\r\n<unattend xmlns="urn:schemas-microsoft-com:unattend"/>\r\n'
    d = tmp_path / "pkgtext"
    d.mkdir()
    (d / "sysprep.xml").write_bytes(unattend.render_sysprep_text(vim.vm.customization.SysprepText(value=value)))
    assert apply_sysprep(guest, d).error_code == 0
    assert (guest / ANSWER_FILE).read_bytes() == value.encode()


def test_redact_hides_every_password_form() -> None:
    xml = (
        "<Password><Value>a</Value><PlainText>true</PlainText></Password>"
        "<AdministratorPassword><Value>b</Value></AdministratorPassword><Credentials><Password>c</Password>"
        "</Credentials><PasswordExpires>never</PasswordExpires>"
    )
    out = redact(xml)
    assert ">a<" not in out and ">b<" not in out and ">c<" not in out
    assert "<PasswordExpires>never</PasswordExpires>" in out
