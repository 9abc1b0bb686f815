"""Time zone and hardware clock.

A name is accepted when the guest tree has /usr/share/zoneinfo/<name>, or, because
rootfs guests and skeletons ship only a few zone files, when it is in the IANA
database that gosc itself carries (Python ``zoneinfo`` + ``tzdata``).  Unknown names
get VMware-style fallbacks: a case-insensitive match, then ``GMT+5``/``UTC-03:00``
style offsets mapped to ``Etc/GMT-5``/``Etc/GMT+3`` (POSIX inverts the sign).  A name
that still does not resolve fails the identity step.

Files: /etc/localtime symlink (absolute on Debian/Ubuntu as tzdata writes it,
``../usr/share/zoneinfo/<tz>`` elsewhere as systemd writes it); /etc/timezone on
Debian/Ubuntu; ZONE= (RHEL) or TIMEZONE= (SUSE) in /etc/sysconfig/clock; UTC/LOCAL
as the third line of /etc/adjtime.
"""

from __future__ import annotations

import re

from gosc.formats.custcfg_model import CustConfig
from gosc.formats.timezones import iana_zones

from .distro import Distro
from .errors import EngineError, FailureKind
from .files import ChangeSet
from .log import EngineLog

_NAME = re.compile(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")
_OFFSET = re.compile(r"^(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?00)?$", re.IGNORECASE)


def resolve(tz: str, cs: ChangeSet, zones: frozenset[str] | set[str] | None = None) -> str:
    """The zone name to install for ``tz``; EngineError(identity) when none fits."""
    tz = tz.strip()
    if _NAME.match(tz) and ".." not in tz and cs.guest.is_file(f"/usr/share/zoneinfo/{tz}"):
        return tz
    zones = iana_zones() if zones is None else zones
    if tz in zones:
        return tz
    by_lower = {z.lower(): z for z in zones}
    if tz.lower() in by_lower:
        return by_lower[tz.lower()]
    m = _OFFSET.match(tz)
    if m:
        hours = int(m.group(2))
        if hours == 0:
            return "Etc/UTC"
        name = f"Etc/GMT{'-' if m.group(1) == '+' else '+'}{hours}"
        if name in zones:
            return name
    raise EngineError(FailureKind.IDENTITY, f"unknown time zone {tz!r}")


def _set_kv(text: str, key: str, value: str) -> str:
    lines = [line for line in text.splitlines() if line.split("=", 1)[0].strip() != key]
    return "\n".join([*lines, f'{key}="{value}"']) + "\n"


def apply(cfg: CustConfig, distro: Distro, cs: ChangeSet, log: EngineLog) -> None:
    if cfg.timezone:
        tz = resolve(cfg.timezone, cs)
        if tz != cfg.timezone:
            log.warn(f"time zone {cfg.timezone!r} is not an IANA name; using {tz}")
        prefix = "../usr/share/zoneinfo" if distro.localtime_relative else "/usr/share/zoneinfo"
        cs.symlink("/etc/localtime", f"{prefix}/{tz}")
        if distro.debian_like:
            cs.write("/etc/timezone", tz + "\n")
        elif distro.family in ("sysconfig", "suse"):
            key = "TIMEZONE" if distro.family == "suse" else "ZONE"
            cs.write("/etc/sysconfig/clock", _set_kv(cs.read_text("/etc/sysconfig/clock") or "", key, tz))
        log.info(f"time zone {tz}")
    elif cfg.timezone is None:
        log.info("TIMEZONE absent: time zone kept")
    if cfg.utc is not None:
        mode = "UTC" if cfg.utc else "LOCAL"
        lines = (cs.read_text("/etc/adjtime") or "0.0 0 0.0\n0\n").splitlines()
        lines = ([*lines, "", "", ""])[:3] if len(lines) < 3 else lines
        if not lines[0]:
            lines[0] = "0.0 0 0.0"
        if not lines[1]:
            lines[1] = "0"
        lines[2] = mode
        cs.write("/etc/adjtime", "\n".join(lines) + "\n")
        log.info(f"hardware clock keeps {mode} time")
