"""Deploy package: header layout (deployPkgFormat.h), payloads, hostile packages."""

from __future__ import annotations

import io
import stat
import struct
import tarfile
import zipfile

import pytest

from gosc.formats import deploypkg as dp
from gosc.guest import deploy

FILES = {"cust.cfg": b"[NETWORK]\nHOSTNAME = h\n", "nics.txt": b"00:50:56:00:00:01\n", "customize.sh": b"echo hi\n"}


def test_header_layout_matches_open_vm_tools():
    pkg = dp.build(FILES, command="/bin/true arg", flags=dp.FLAG_SKIP_REBOOT | dp.FLAG_RAW_CLOUD_INIT, timeout=300)
    h = pkg[:512]
    assert h[0:16] == b"VMWAREDEPLOYPKG_"
    assert (h[16], h[17], h[18], h[19]) == (1, 0, dp.PAYLOAD_ZIP, 5)
    assert struct.unpack_from("<HH", h, 20) == (300, 0)
    pkg_len, off, plen = struct.unpack_from("<QQQ", h, 24)
    assert (pkg_len, off) == (len(pkg), 512) and off + plen == len(pkg)
    assert h[48:56] == bytes(8)  # seed
    assert h[56 : 56 + 13] == b"/bin/true arg" and h[56 + 13] == 0
    assert zipfile.ZipFile(io.BytesIO(pkg[off:])).namelist() == list(FILES)


def test_read_round_trip_and_flags():
    pkg = dp.read(dp.build(FILES, flags=dp.FLAG_IGNORE_CLOUD_INIT))
    assert pkg.files == FILES
    assert pkg.command == dp.DEFAULT_COMMAND and pkg.timeout == 100
    assert (pkg.skip_reboot, pkg.ignore_cloud_init, pkg.raw_cloud_init) == (False, True, False)
    assert (pkg.major_version, pkg.minor_version, pkg.payload_type) == (1, 0, dp.PAYLOAD_ZIP)


def test_build_is_deterministic():
    assert dp.build(FILES) == dp.build(FILES)


def test_tgz_payload():
    data = dp.build(FILES, payload_type=dp.PAYLOAD_TGZ)
    assert data[18] == dp.PAYLOAD_TGZ
    assert dp.read(data).files == FILES


def test_extract_writes_private_files(tmp_path):
    dest = tmp_path / "pkg"
    deploy.extract(dp.build(FILES), dest)
    assert (dest / "cust.cfg").read_bytes() == FILES["cust.cfg"]
    assert stat.S_IMODE((dest / "cust.cfg").stat().st_mode) == 0o600
    assert stat.S_IMODE((dest / "customize.sh").stat().st_mode) == 0o700


def _with_payload(payload: bytes, ptype: int = dp.PAYLOAD_ZIP) -> bytes:
    good = bytearray(dp.build(FILES))
    header = bytearray(good[:512])
    header[18] = ptype
    struct.pack_into("<QQQ", header, 24, 512 + len(payload), 512, len(payload))
    return bytes(header) + payload


def _zip(entries: list[tuple[str, bytes, int]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return buf.getvalue()


@pytest.mark.parametrize("name", ["../evil", "/etc/passwd", "a/../../evil", "a\\..\\evil", "./x"])
def test_path_traversal_is_refused(tmp_path, name):
    data = _with_payload(_zip([("cust.cfg", b"x", 0o100600), (name, b"pwned", 0o100600)]))
    with pytest.raises(dp.DeployPkgError, match="unsafe"):
        deploy.extract(data, tmp_path / "pkg")
    assert not (tmp_path / "evil").exists()


def test_symlink_member_is_refused(tmp_path):
    data = _with_payload(_zip([("cust.cfg", b"/etc/shadow", 0o120777)]))
    with pytest.raises(dp.DeployPkgError, match="symbolic link"):
        deploy.extract(data, tmp_path / "pkg")


def test_tar_link_is_refused():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("cust.cfg")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/shadow"
        tf.addfile(info)
    with pytest.raises(dp.DeployPkgError, match="link"):
        dp.read(_with_payload(buf.getvalue(), dp.PAYLOAD_TGZ))


def test_planted_symlink_is_not_followed(tmp_path):
    dest = tmp_path / "pkg"
    dest.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (dest / "cust.cfg").symlink_to(victim)
    deploy.extract(dp.build(FILES), dest)  # the link is replaced by the package's file, not followed
    assert victim.read_text() == "keep"
    assert not (dest / "cust.cfg").is_symlink() and (dest / "cust.cfg").read_bytes() == FILES["cust.cfg"]


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda b: b"NOTADEPLOYPKG___" + b[16:], "signature"),
        (lambda b: b[:16] + b"\x02" + b[17:], "version"),
        (lambda b: b[:18] + b"\x07" + b[19:], "payload type"),
        (lambda b: b[:18] + b"\x00" + b[19:], "CAB"),
        (lambda b: b[:-10], "truncated"),
        (lambda b: b[:100], "shorter"),
        (lambda b: b[:56] + b"x" * 456 + b[512:], "NUL"),
        (lambda b: b[:512] + b"garbage" + b[519:], "ZIP|corrupt"),
        (lambda b: b[:512] + b"\0" * (len(b) - 512), "not a ZIP"),
    ],
)
def test_bad_packages(mutate, match):
    with pytest.raises(dp.DeployPkgError, match=match):
        dp.read(mutate(dp.build(FILES)))


def test_build_refuses_bad_input():
    with pytest.raises(dp.DeployPkgError, match=r"cust\.cfg"):
        dp.build({"nics.txt": b""})
    with pytest.raises(dp.DeployPkgError, match="command"):
        dp.build(FILES, command="x" * 456)
    with pytest.raises(dp.DeployPkgError, match="unsafe"):
        dp.build({**FILES, "../x": b""})


def test_nics_txt_format():
    data = dp.nics_txt(["00:50:56:AA:BB:01", "00:50:56:aa:bb:02"])
    assert data == b"00:50:56:aa:bb:01\n00:50:56:aa:bb:02\n"
    assert dp.parse_nics_txt(data) == ["00:50:56:aa:bb:01", "00:50:56:aa:bb:02"]
    with pytest.raises(dp.DeployPkgError):
        dp.nics_txt(["00:50:56"])
    with pytest.raises(dp.DeployPkgError):
        dp.nics_txt(["00:50:56:00:00:00"] * 60)
