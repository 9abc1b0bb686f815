"""VMware deploy packages: the file vCenter hands to the guest for customization.

Layout (open-vm-tools ``libDeployPkg/deployPkgFormat.h``, packed, little-endian as
written by x86 vCenter and read by x86/arm64 guests)::

    offset size  field
      0     16   signature "VMWAREDEPLOYPKG_" (not NUL terminated)
     16      1   majorVersion (1)
     17      1   minorVersion (0)
     18      1   payloadType  0 CAB, 1 ZIP, 2 tar.gz
     19      1   flags (the header's "reserved" byte): 1 SKIP_REBOOT,
                 2 IGNORE_CLOUD_INIT, 4 RAW_CLOUD_INIT
     20      2   pkgProcessTimeout, seconds (default 100)
     22      2   archPadding (0)
     24      8   pkgLength     total length, header included
     32      8   payloadOffset from the start of the header
     40      8   payloadLength
     48      8   seed (password obfuscation seed; gosc writes zeros)
     56    456   command, NUL terminated (so at most 455 bytes)
    512          payload

gosc builds ZIP payloads (what open-vm-tools extracts on Linux) and also reads tar.gz.

Package contents (names at the top level of the payload):

``cust.cfg``
    the customization (see ``gosc.formats.custcfg``).
``nics.txt``
    the MAC addresses of the NICs to connect after customization, in cust.cfg NIC
    order: lower-case, colon separated, one per line, each line ended by ``\\n``, no
    blank lines or comments.  At most 1024 bytes, because cloud-init reads only that
    much before passing the text on to the VMX.  See ``nics_txt``/``parse_nics_txt``.
``metadata``, ``userdata`` (optional)
    cloud-init raw data, named by ``[CLOUDINIT] METADATA/USERDATA`` in cust.cfg.
``customize.sh`` (optional)
    the custom script, named by ``[CUSTOM-SCRIPT] SCRIPT-NAME``.
``guestinfo`` (optional)
    a JSON object of configParams key -> string value, for third-party customization.
"""

from __future__ import annotations

import io
import stat
import struct
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from .rules import is_mac

__all__ = [
    "DEFAULT_COMMAND",
    "FLAG_IGNORE_CLOUD_INIT",
    "FLAG_RAW_CLOUD_INIT",
    "FLAG_SKIP_REBOOT",
    "HEADER_SIZE",
    "PAYLOAD_CAB",
    "PAYLOAD_TGZ",
    "PAYLOAD_ZIP",
    "SIGNATURE",
    "DeployPackage",
    "DeployPkgError",
    "build",
    "nics_txt",
    "parse_nics_txt",
    "read",
]

SIGNATURE = b"VMWAREDEPLOYPKG_"
HEADER_SIZE = 512
MAJOR_VERSION = 1
MINOR_VERSION = 0
PAYLOAD_CAB, PAYLOAD_ZIP, PAYLOAD_TGZ = 0, 1, 2
FLAG_SKIP_REBOOT = 1
FLAG_IGNORE_CLOUD_INIT = 2
FLAG_RAW_CLOUD_INIT = 4
DEFAULT_TIMEOUT = 100
COMMAND_SIZE = 456
SEED_SIZE = 8
# The in-guest engine run from the extraction directory (see gosc.guest.engine.__main__).
DEFAULT_COMMAND = "python3 -m gosc.guest.engine --root / ."
# Bounds that keep a hostile package from exhausting the guest's disk or memory.
MAX_FILES = 64
MAX_UNPACKED = 64 * 1024 * 1024
NICS_TXT_MAX = 1024

_HEADER = struct.Struct("<16sBBBBHHQQQ8s456s")
assert _HEADER.size == HEADER_SIZE
EXECUTABLE = frozenset({"customize.sh"})  # members unpacked with mode 0700


class DeployPkgError(ValueError):
    """The package is malformed, unsupported or unsafe."""


@dataclass
class DeployPackage:
    major_version: int
    minor_version: int
    payload_type: int
    flags: int
    timeout: int
    pkg_length: int
    payload_offset: int
    payload_length: int
    seed: bytes
    command: str
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def skip_reboot(self) -> bool:
        return bool(self.flags & FLAG_SKIP_REBOOT)

    @property
    def ignore_cloud_init(self) -> bool:
        return bool(self.flags & FLAG_IGNORE_CLOUD_INIT)

    @property
    def raw_cloud_init(self) -> bool:
        return bool(self.flags & FLAG_RAW_CLOUD_INIT)


# ---------------------------------------------------------------------------------------
# nics.txt


def nics_txt(macs: list[str]) -> bytes:
    """nics.txt for these MACs (see the module docstring for the format)."""
    lines = []
    for mac in macs:
        mac = mac.lower()
        if not is_mac(mac):
            raise DeployPkgError(f"nics.txt: not a MAC address: {mac!r}")
        lines.append(mac + "\n")
    data = "".join(lines).encode("ascii")
    if len(data) > NICS_TXT_MAX:
        raise DeployPkgError(f"nics.txt: {len(macs)} NICs exceed {NICS_TXT_MAX} bytes")
    return data


def parse_nics_txt(data: bytes) -> list[str]:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise DeployPkgError("nics.txt: not ASCII text") from None
    macs = [line.strip().lower() for line in text.splitlines() if line.strip()]
    for mac in macs:
        if not is_mac(mac):
            raise DeployPkgError(f"nics.txt: not a MAC address: {mac!r}")
    return macs


# ---------------------------------------------------------------------------------------
# build


def _check_name(name: str) -> str:
    """A payload member name must stay inside the extraction directory."""
    if not name or "\\" in name or "\0" in name:
        raise DeployPkgError(f"unsafe file name in package: {name!r}")
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("", ".", "..") for part in name.split("/")):
        raise DeployPkgError(f"unsafe file name in package: {name!r}")
    return name


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            # Fixed timestamp: the same inputs give the same package, byte for byte.
            info = zipfile.ZipInfo(_check_name(name), date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o700 if name in EXECUTABLE else 0o600
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.create_system = 3  # Unix, so the mode bits above are honoured
            zf.writestr(info, data)
    return buf.getvalue()


def _tgz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(_check_name(name))
            info.size = len(data)
            info.mode = 0o700 if name in EXECUTABLE else 0o600
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def build(
    files: dict[str, bytes],
    *,
    command: str = DEFAULT_COMMAND,
    flags: int = 0,
    timeout: int = DEFAULT_TIMEOUT,
    payload_type: int = PAYLOAD_ZIP,
    seed: bytes = bytes(SEED_SIZE),
) -> bytes:
    """A deploy package: the 512-byte header followed by the payload archive."""
    if "cust.cfg" not in files:
        raise DeployPkgError("a deploy package needs cust.cfg")
    if len(files) > MAX_FILES:
        raise DeployPkgError(f"more than {MAX_FILES} files in package")
    if not 0 <= flags <= 0xFF:
        raise DeployPkgError(f"flags out of range: {flags}")
    if not 0 <= timeout <= 0xFFFF:
        raise DeployPkgError(f"timeout out of range: {timeout}")
    if len(seed) != SEED_SIZE:
        raise DeployPkgError("seed must be 8 bytes")
    cmd = command.encode("utf-8")
    if len(cmd) >= COMMAND_SIZE or b"\0" in cmd:
        raise DeployPkgError(f"command longer than {COMMAND_SIZE - 1} bytes or contains NUL")
    if payload_type == PAYLOAD_ZIP:
        payload = _zip(files)
    elif payload_type == PAYLOAD_TGZ:
        payload = _tgz(files)
    else:
        raise DeployPkgError(f"cannot build payload type {payload_type} (CAB is Windows-only)")
    header = _HEADER.pack(
        SIGNATURE,
        MAJOR_VERSION,
        MINOR_VERSION,
        payload_type,
        flags,
        timeout,
        0,
        HEADER_SIZE + len(payload),
        HEADER_SIZE,
        len(payload),
        seed,
        cmd,
    )
    return header + payload


# ---------------------------------------------------------------------------------------
# read / extract


def _read_header(data: bytes) -> DeployPackage:
    if len(data) < HEADER_SIZE:
        raise DeployPkgError(f"package shorter than its {HEADER_SIZE}-byte header")
    (sig, major, minor, ptype, flags, timeout, _pad, pkg_len, off, plen, seed, cmd) = _HEADER.unpack_from(data)
    if sig != SIGNATURE:
        raise DeployPkgError("bad signature: not a VMware deploy package")
    if major != MAJOR_VERSION:
        raise DeployPkgError(f"unsupported package version {major}.{minor}")
    if ptype not in (PAYLOAD_CAB, PAYLOAD_ZIP, PAYLOAD_TGZ):
        raise DeployPkgError(f"unknown payload type {ptype}")
    if pkg_len > len(data):
        raise DeployPkgError(f"truncated package: header says {pkg_len} bytes, got {len(data)}")
    if off < HEADER_SIZE or off + plen > pkg_len:
        raise DeployPkgError("payload offset/length point outside the package")
    if b"\0" not in cmd:
        raise DeployPkgError("command is not NUL terminated")
    try:
        command = cmd.split(b"\0", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        raise DeployPkgError("command is not UTF-8") from None
    return DeployPackage(major, minor, ptype, flags, timeout, pkg_len, off, plen, seed, command)


def _unzip(payload: bytes) -> dict[str, bytes]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile as exc:
        raise DeployPkgError(f"payload is not a ZIP archive: {exc}") from None
    files: dict[str, bytes] = {}
    total = 0
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_FILES:
            raise DeployPkgError(f"more than {MAX_FILES} files in package")
        for info in infos:
            if info.is_dir():
                continue
            name = _check_name(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise DeployPkgError(f"symbolic link in package: {name!r}")
            total += info.file_size
            if total > MAX_UNPACKED:
                raise DeployPkgError(f"package unpacks to more than {MAX_UNPACKED} bytes")
            if name in files:
                raise DeployPkgError(f"file appears twice in package: {name!r}")
            try:
                data = zf.read(info)
            except (zipfile.BadZipFile, OSError) as exc:
                raise DeployPkgError(f"corrupt member {name!r}: {exc}") from None
            if len(data) != info.file_size:
                raise DeployPkgError(f"member {name!r} size does not match its header")
            files[name] = data
    return files


def _untgz(payload: bytes) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tf:
            for member in tf:
                if member.isdir():
                    continue
                name = _check_name(member.name)
                if not member.isfile():
                    raise DeployPkgError(f"link or special file in package: {name!r}")
                total += member.size
                if total > MAX_UNPACKED or len(files) >= MAX_FILES:
                    raise DeployPkgError("package too large")
                if name in files:
                    raise DeployPkgError(f"file appears twice in package: {name!r}")
                fobj = tf.extractfile(member)
                assert fobj is not None
                files[name] = fobj.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DeployPkgError(f"payload is not a tar.gz archive: {exc}") from None
    return files


def read(data: bytes) -> DeployPackage:
    """Header fields and the payload's files; raises DeployPkgError on a bad package."""
    pkg = _read_header(data)
    payload = data[pkg.payload_offset : pkg.payload_offset + pkg.payload_length]
    if pkg.payload_type == PAYLOAD_ZIP:
        pkg.files = _unzip(payload)
    elif pkg.payload_type == PAYLOAD_TGZ:
        pkg.files = _untgz(payload)
    else:
        raise DeployPkgError("CAB payloads are for Windows guests; Linux packages are ZIP")
    return pkg
