"""Host name: /etc/hostname (+ the family's own files) and /etc/hosts.

/etc/hosts is rewritten the way VMware's engine leaves it: every line naming the old
or new host name loses those names (a line left with no names is dropped), the old
127.0.1.1 line goes, and one line for the host is placed right after the 127.0.0.1
loopback line, FQDN first then the short name::

    127.0.0.1   localhost
    10.20.87.154    myhost1.eng.vmware.com myhost1      (a static IPv4 exists)
    127.0.1.1   myhost1.eng.vmware.com myhost1          (DHCP only)

The static address is the primary NIC's, else the first static NIC's.
"""

from __future__ import annotations

from gosc.formats.custcfg_model import CustConfig
from gosc.formats.rules import HOST_LABEL_MAX, domain_problem, host_label_problem

from .distro import Distro
from .errors import EngineError, FailureKind
from .files import ChangeSet
from .log import EngineLog


def validate(hostname: str, domain: str | None) -> None:
    if not hostname:
        raise EngineError(FailureKind.IDENTITY, "HOSTNAME is empty; a Linux guest needs a host name")
    if host_label_problem(hostname) is not None:
        raise EngineError(
            FailureKind.IDENTITY,
            f"invalid host name {hostname!r}: letters, digits and '-', at most {HOST_LABEL_MAX} characters",
        )
    if domain and domain_problem(domain) is not None:
        raise EngineError(FailureKind.IDENTITY, f"invalid domain name {domain!r}")


def static_ip(cfg: CustConfig) -> str | None:
    primary = next((n for n in cfg.nics if n.primary), None)
    candidates = ([primary] if primary else []) + list(cfg.nics)
    return next((n.ipaddr for n in candidates if n.ipv4_static and n.ipaddr and n.ipv4_mode != "DISABLED"), None)


def hosts_text(old: str, names: list[str], remove: set[str], address: str) -> str:
    """New /etc/hosts text: ``names`` (FQDN first) on one line for ``address``."""
    drop = remove | set(names)
    host_line = f"{address}\t{' '.join(names)}"
    out: list[str] = []
    placed = False
    for line in old.splitlines():
        body, _, comment = line.partition("#")
        fields = body.split()
        if not fields:
            out.append(line)
            continue
        ip, aliases = fields[0], fields[1:]
        if ip == "127.0.1.1" or ip == address:
            continue
        kept = [a for a in aliases if a not in drop]
        if aliases and not kept:
            continue
        out.append(line if kept == aliases else f"{ip}\t{' '.join(kept)}" + (f" #{comment}" if comment else ""))
        if ip == "127.0.0.1" and not placed:
            out.append(host_line)
            placed = True
    if not placed:
        out.insert(0, host_line)
        out.insert(0, "127.0.0.1\tlocalhost")
    return "\n".join(out) + "\n"


def _set_kv(text: str, key: str, value: str) -> str:
    lines = [line for line in text.splitlines() if line.split("=", 1)[0].strip() != key]
    return "\n".join([*lines, f"{key}={value}"]) + "\n"


def apply(cfg: CustConfig, distro: Distro, cs: ChangeSet, log: EngineLog) -> None:
    if cfg.hostname is None:
        log.info("HOSTNAME absent: host name kept")
        return
    validate(cfg.hostname, cfg.domainname)
    short = cfg.hostname
    fqdn = f"{short}.{cfg.domainname.rstrip('.')}" if cfg.domainname else short
    old = (cs.read_text("/etc/hostname") or "").strip()
    remove = {old, old.split(".")[0]}
    if distro.family == "suse":
        old_suse = (cs.read_text("/etc/HOSTNAME") or "").strip()
        remove |= {old_suse, old_suse.split(".")[0]}
        cs.write("/etc/HOSTNAME", fqdn + "\n")
    # A default name like localhost.localdomain must not strip the loopback aliases.
    remove = {n for n in remove if n and not n.startswith("localhost")}
    cs.write("/etc/hostname", short + "\n")
    if distro.family == "sysconfig":
        cs.write("/etc/sysconfig/network", _set_kv(cs.read_text("/etc/sysconfig/network") or "", "HOSTNAME", fqdn))
    names = [fqdn, short] if fqdn != short else [short]
    address = static_ip(cfg) or "127.0.1.1"
    cs.write("/etc/hosts", hosts_text(cs.read_text("/etc/hosts") or "", names, remove, address))
    log.info(f"host name {fqdn} ({address} in /etc/hosts)")
