"""Which Linux family a guest tree is, from its /etc/os-release.

The family decides the network renderer and the small per-distribution conventions
(time zone files, hostname files).  Families:

``ubuntu`` (netplan), ``debian`` (ifupdown /etc/network/interfaces),
``sysconfig`` (RHEL/CentOS/Rocky/Alma/Oracle 7 and 8: ifcfg files),
``networkmanager`` (RHEL-likes 9+ and Fedora 33+: NetworkManager keyfiles),
``suse`` (SLES/openSUSE: wicked ifcfg), ``photon`` (systemd-networkd).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from ..guestpath import GuestRoot, opened

FAMILIES = ("ubuntu", "debian", "sysconfig", "networkmanager", "suse", "photon")
_RHEL_LIKE = {"rhel", "centos", "rocky", "almalinux", "ol", "fedora", "scientific", "amzn"}


class UnsupportedDistro(Exception):
    pass


@dataclass(frozen=True)
class Distro:
    family: str
    id: str
    version_id: str
    pretty_name: str

    @property
    def major(self) -> int:
        head = self.version_id.split(".", 1)[0]
        return int(head) if head.isdigit() else 0

    # Conventions --------------------------------------------------------------------
    @property
    def localtime_relative(self) -> bool:
        """Debian's tzdata writes an absolute /etc/localtime link; systemd-era RHEL,
        SUSE and Photon write ../usr/share/zoneinfo/<tz>."""
        return self.family not in ("ubuntu", "debian")

    @property
    def debian_like(self) -> bool:
        return self.family in ("ubuntu", "debian")

    @property
    def rhel_like(self) -> bool:
        return self.family in ("sysconfig", "networkmanager")


def parse_os_release(text: str) -> dict[str, str]:
    """os-release's ``KEY=value`` lines: each value's first shell word (man os-release)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, raw = line.split("=", 1)
        values[key.strip()] = first_word(raw)
    return values


# A value as os-release files write nearly all of them: one word, or one quoted string
# without a backslash.  Its shell word is its text (what shlex makes of it, in a tenth of
# the time: the tools read os-release at each boot).
_PLAIN_VALUE = re.compile(r'"([^"\\]*)"|\'([^\']*)\'|([^\s"\'\\]*)')


def first_word(raw: str) -> str:
    """The first shell word of ``raw``, as ``shlex_word`` finds it."""
    plain = _PLAIN_VALUE.fullmatch(raw)
    if plain is not None:
        return next(g for g in plain.groups() if g is not None)
    return shlex_word(raw)


def shlex_word(raw: str) -> str:
    """The first shell word of ``raw`` by shlex (what it cannot split, an unbalanced quote:
    the text without its outer quotes)."""
    try:
        parts = shlex.split(raw)
    except ValueError:
        parts = [raw.strip("\"'")]
    return parts[0] if parts else ""


def detect(root: Path | GuestRoot) -> Distro:
    with opened(root) as guest:
        text = next(
            (t for t in map(guest.read_text, ("/etc/os-release", "/usr/lib/os-release")) if t is not None), None
        )
    if text is None:
        raise UnsupportedDistro("the guest has no /etc/os-release")
    info = parse_os_release(text)
    ident = info.get("ID", "").lower()
    like = set(info.get("ID_LIKE", "").lower().split())
    version = info.get("VERSION_ID", "")
    pretty = info.get("PRETTY_NAME", ident)
    major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
    if ident == "ubuntu" or "ubuntu" in like:
        family = "ubuntu"
    elif ident == "debian" or "debian" in like:
        family = "debian"
    elif ident == "photon":
        family = "photon"
    elif ident in ("sles", "sled", "opensuse", "opensuse-leap", "opensuse-tumbleweed") or "suse" in like:
        family = "suse"
    elif ident == "fedora":
        family = "networkmanager" if major >= 33 or major == 0 else "sysconfig"
    elif ident in _RHEL_LIKE or like & {"rhel", "fedora", "centos"}:
        family = "networkmanager" if major >= 9 else "sysconfig"
    else:
        raise UnsupportedDistro(f"unsupported Linux distribution {pretty!r} (ID={ident})")
    return Distro(family, ident, version, pretty)
