"""Read and write VMware's cust.cfg, the Linux customization file of a deploy package.

The format is the INI dialect that vCenter writes and that both the VMware engine and
cloud-init's ``ConfigFile`` (a ``configparser`` with case-sensitive keys) read:

* ``[SECTION]`` headers; ``KEY = VALUE`` lines, spaces around ``=`` optional;
  full-line comments start with ``#`` or ``;``; blank lines anywhere.
* Keys are case-sensitive.  Keys starting with ``-`` are secrets (``-PASS``).
* Lists are either indexed keys (``SUFFIX|1``, ``NAMESERVER|2``, ``IPv6ADDR|1``), numbered
  from 1 without gaps, or one comma separated value (``GATEWAY``, ``NICS``).
* A missing key means "keep what the guest has" (``None`` in the model); a key present
  with an empty value means "remove" (``""`` or ``[]``).  For indexed lists the
  un-indexed key with an empty value (``SUFFIX =``) is how an empty list is written: it
  is invisible to cloud-init, which counts only ``SUFFIX|`` keys, so both read "no
  suffixes".

gosc extension (ignored by cloud-init, which only reads the keys it knows):
``IPv6_MODE = DHCP | AUTO`` in ``[NICn]`` for DHCPv6 / SLAAC addressing.

``render`` never writes a value that ``configparser`` would change: no leading or
trailing blanks, no line breaks, no ``%`` (cloud-init's parser interpolates ``%``).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass, field

from .custcfg_model import CustConfig, Ipv6Address, Nic
from .rules import is_mac

__all__ = ["CustCfgError", "parse", "render"]

_INDEXED_RE = re.compile(r"^(?P<base>[^|]+)\|(?P<index>[0-9]+)$")
_IPV4_MODES = ("BACKWARDS_COMPATIBLE", "STATIC", "DHCP", "DISABLED", "AS_IS")
_IPV6_MODES = ("DHCP", "AUTO")


class CustCfgError(ValueError):
    """cust.cfg is malformed; the message names the section and key."""


# ---------------------------------------------------------------------------------------
# Lexing: text -> {section: {key: value}}


@dataclass
class _Section:
    name: str
    line: int
    keys: dict[str, str] = field(default_factory=dict)


def _lex(text: str) -> dict[str, _Section]:
    sections: dict[str, _Section] = {}
    current: _Section | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            if not line.endswith("]") or len(line) < 3:
                raise CustCfgError(f"line {lineno}: malformed section header {line!r}")
            name = line[1:-1].strip()
            if name in sections:
                raise CustCfgError(f"[{name}]: section appears twice (line {lineno})")
            current = sections[name] = _Section(name, lineno)
            continue
        if "=" not in line:
            where = f"[{current.name}]" if current else "before any section"
            raise CustCfgError(f"{where}: line {lineno} is not KEY = VALUE: {_safe(line)!r}")
        key, value = (part.strip() for part in line.split("=", 1))
        if current is None:
            raise CustCfgError(f"key {key!r} on line {lineno} is outside any section")
        if not key:
            raise CustCfgError(f"[{current.name}]: empty key on line {lineno}")
        if any(c.isspace() for c in key):
            raise CustCfgError(f"[{current.name}]: line {lineno} has a blank inside its key: {_safe(line)!r}")
        if key in current.keys:
            raise CustCfgError(f"[{current.name}] {key}: key appears twice (line {lineno})")
        current.keys[key] = value
    return sections


def _safe(line: str) -> str:
    """A line fit for an error message: secret values are masked."""
    key = line.split("=", 1)[0].strip()
    if key.startswith("-") or "|-" in key:
        return f"{key.split()[0]} = *****"
    return line


# ---------------------------------------------------------------------------------------
# Typed access to one section


class _Reader:
    def __init__(self, section: _Section | None, name: str) -> None:
        self.keys = section.keys if section else {}
        self.name = name

    def err(self, key: str, why: str) -> CustCfgError:
        return CustCfgError(f"[{self.name}] {key}: {why}")

    def text(self, key: str) -> str | None:
        return self.keys.get(key)

    def flag(self, key: str) -> bool | None:
        value = self.keys.get(key)
        if value is None or value == "":
            return None
        low = value.lower()
        if low in ("yes", "true"):
            return True
        if low in ("no", "false"):
            return False
        raise self.err(key, f"expected yes or no, got {value!r}")

    def indexed(self, base: str) -> list[str] | None:
        """Values of BASE|1..BASE|n; [] for an empty un-indexed BASE; None if absent."""
        found: dict[int, str] = {}
        for key, value in self.keys.items():
            m = _INDEXED_RE.match(key)
            if m and m.group("base") == base:
                found[int(m.group("index"))] = value
        if not found:
            if base in self.keys:
                if self.keys[base] != "":
                    raise self.err(base, f"a list is written as {base}|1, {base}|2 ...")
                return []
            return None
        if sorted(found) != list(range(1, len(found) + 1)):
            raise self.err(f"{base}|n", f"indexes must run 1..n without gaps, got {sorted(found)}")
        for i, value in found.items():
            if value == "":
                raise self.err(f"{base}|{i}", "empty list entry")
        return [found[i] for i in range(1, len(found) + 1)]


def _check_ip(reader: _Reader, key: str, value: str, version: int) -> str:
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        raise reader.err(key, f"not an IPv{version} address: {value!r}") from None
    if addr.version != version:
        raise reader.err(key, f"not an IPv{version} address: {value!r}")
    return value


def contiguous_netmask(value: str) -> bool:
    """True for a dotted IPv4 mask whose host part is 0...01...1 (0.0.0.0 included)."""
    inverted = ~int(ipaddress.IPv4Address(value)) & 0xFFFFFFFF
    return not inverted & (inverted + 1)


def _check_netmask(reader: _Reader, key: str, value: str) -> str:
    _check_ip(reader, key, value, 4)
    if not contiguous_netmask(value):
        raise reader.err(key, f"not a contiguous netmask: {value!r}")
    return value


# ---------------------------------------------------------------------------------------
# parse


def parse(text: str) -> CustConfig:
    """Parse cust.cfg text into the model.  Raises CustCfgError naming section and key."""
    sections = _lex(text)

    def reader(name: str) -> _Reader:
        return _Reader(sections.get(name), name)

    cfg = CustConfig()
    net = reader("NETWORK")
    # Host name rules (gosc.formats.rules: <= 63 characters, letters/digits/hyphen) are checked by the engine,
    # which reports them as an identity failure rather than a malformed file.
    cfg.hostname = net.text("HOSTNAME")
    cfg.domainname = net.text("DOMAINNAME")
    networking = net.flag("NETWORKING")
    cfg.networking = True if networking is None else networking

    nic_config = reader("NIC-CONFIG")
    names = nic_config.text("NICS")
    if names:
        seen: set[str] = set()
        for name in (n.strip() for n in names.split(",")):
            if not name or name in seen:
                raise nic_config.err("NICS", f"empty or repeated NIC name in {names!r}")
            seen.add(name)
            if name not in sections:
                raise nic_config.err("NICS", f"names {name} but there is no [{name}] section")
            cfg.nics.append(_parse_nic(reader(name)))
    macs = [n.mac for n in cfg.nics]
    if len(set(macs)) != len(macs):
        raise nic_config.err("NICS", "two NICs have the same MACADDR")
    if sum(n.primary for n in cfg.nics) > 1:
        raise nic_config.err("NICS", "more than one NIC has PRIMARY = yes")

    dns = reader("DNS")
    cfg.dns_from_dhcp = dns.flag("DNSFROMDHCP")
    cfg.dns_suffixes = dns.indexed("SUFFIX")
    servers = dns.indexed("NAMESERVER")
    if servers:
        for i, server in enumerate(servers, start=1):
            try:
                ipaddress.ip_address(server)
            except ValueError:
                raise dns.err(f"NAMESERVER|{i}", f"not an IP address: {server!r}") from None
    cfg.dns_servers = servers

    dt = reader("DATETIME")
    cfg.timezone = dt.text("TIMEZONE")
    cfg.utc = dt.flag("UTC")

    pw = reader("PASSWORD")
    encoded = pw.text("-PASS")
    if encoded is not None:
        cfg.admin_password = _decode_password(pw, encoded)
    cfg.reset_password = bool(pw.flag("RESET"))

    cfg.script_name = reader("CUSTOM-SCRIPT").text("SCRIPT-NAME")

    misc = reader("MISC")
    cfg.marker_id = misc.text("MARKER-ID")
    cfg.post_gc_status = bool(misc.flag("POST-GC-STATUS"))
    cfg.default_run_post_script = bool(misc.flag("DEFAULT-RUN-POST-CUST-SCRIPT"))
    cfg.instance_id = misc.text("INSTANCE-ID")

    ci = reader("CLOUDINIT")
    cfg.cloudinit_metadata = ci.text("METADATA")
    cfg.cloudinit_userdata = ci.text("USERDATA")
    return cfg


def _decode_password(pw: _Reader, encoded: str) -> str:
    if encoded == "":
        return ""
    try:
        plain = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise pw.err("-PASS", "not base64 of UTF-8 text") from None
    # vCenter's encoding carries a line end after the password (the fixture's
    # "c2VjcmV0Cg==" is "secret\n"); passwords themselves never contain one.
    if plain.endswith("\r\n"):
        plain = plain[:-2]
    elif plain.endswith("\n"):
        plain = plain[:-1]
    if "\n" in plain or "\r" in plain:
        raise pw.err("-PASS", "password contains a line break")
    return plain


def _parse_nic(r: _Reader) -> Nic:
    mac = r.text("MACADDR")
    if not mac:
        raise r.err("MACADDR", "missing")
    mac = mac.lower()
    if not is_mac(mac):
        raise r.err("MACADDR", f"not a MAC address: {mac!r}")
    nic = Nic(name=r.name, mac=mac)
    nic.primary = bool(r.flag("PRIMARY"))
    onboot = r.flag("ONBOOT")
    nic.onboot = True if onboot is None else onboot
    mode = (r.text("IPv4_MODE") or "BACKWARDS_COMPATIBLE").upper()
    if mode not in _IPV4_MODES:
        raise r.err("IPv4_MODE", f"expected one of {', '.join(_IPV4_MODES)}, got {mode!r}")
    nic.ipv4_mode = mode
    bootproto = (r.text("BOOTPROTO") or "dhcp").lower()
    if bootproto not in ("static", "dhcp"):
        raise r.err("BOOTPROTO", f"expected static or dhcp, got {bootproto!r}")
    nic.bootproto = bootproto
    ipaddr = r.text("IPADDR")
    nic.ipaddr = _check_ip(r, "IPADDR", ipaddr, 4) if ipaddr else ipaddr
    netmask = r.text("NETMASK")
    nic.netmask = _check_netmask(r, "NETMASK", netmask) if netmask else netmask
    if nic.ipv4_static and not (nic.ipaddr and nic.netmask):
        raise r.err("IPADDR", "a static NIC needs IPADDR and NETMASK")
    gateways = r.text("GATEWAY")
    if gateways:
        nic.gateways = [_check_ip(r, "GATEWAY", g.strip(), 4) for g in gateways.split(",")]
    nic.ipv6 = _parse_ipv6(r)
    ipv6_mode = r.text("IPv6_MODE")
    if ipv6_mode:
        if ipv6_mode.upper() not in _IPV6_MODES:
            raise r.err("IPv6_MODE", f"expected DHCP or AUTO, got {ipv6_mode!r}")
        nic.ipv6_mode = ipv6_mode.lower()
    return nic


def _parse_ipv6(r: _Reader) -> list[Ipv6Address]:
    addrs = r.indexed("IPv6ADDR") or []
    result: list[Ipv6Address] = []
    for i, addr in enumerate(addrs, start=1):
        _check_ip(r, f"IPv6ADDR|{i}", addr, 6)
        prefix = r.text(f"IPv6NETMASK|{i}")
        if not prefix or not prefix.isdigit() or not 0 < int(prefix) <= 128:
            raise r.err(f"IPv6NETMASK|{i}", f"expected a prefix length 1..128, got {prefix!r}")
        gateway = r.text(f"IPv6GATEWAY|{i}") or None
        if gateway:
            _check_ip(r, f"IPv6GATEWAY|{i}", gateway, 6)
        result.append(Ipv6Address(address=addr, prefix=int(prefix), gateway=gateway))
    return result


# ---------------------------------------------------------------------------------------
# render


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.section = ""

    def start(self, section: str) -> None:
        if self.lines:
            self.lines.append("")
        self.lines.append(f"[{section}]")
        self.section = section

    def put(self, key: str, value: str | None) -> None:
        if value is None:
            return
        if value != value.strip() or "\n" in value or "\r" in value or "%" in value:
            raise CustCfgError(
                f"[{self.section}] {key}: value cannot be written to cust.cfg "
                "(leading/trailing blanks, line breaks and '%' are not allowed)"
            )
        self.lines.append(f"{key} = {value}" if value else f"{key} =")

    def put_bool(self, key: str, value: bool | None) -> None:
        if value is not None:
            self.put(key, "yes" if value else "no")

    def put_list(self, base: str, values: list[str] | None) -> None:
        if values is None:
            return
        if not values:
            self.put(base, "")
        for i, value in enumerate(values, start=1):
            if value == "":
                raise CustCfgError(f"[{self.section}] {base}|{i}: empty list entry")
            self.put(f"{base}|{i}", value)


def render(cfg: CustConfig) -> str:
    """Write the model as vCenter writes cust.cfg (sections in vCenter's order)."""
    w = _Writer()
    w.start("NETWORK")
    w.put_bool("NETWORKING", cfg.networking)
    w.put("BOOTPROTO", "dhcp")  # vCenter writes it; the per-NIC BOOTPROTO is what counts
    w.put("HOSTNAME", cfg.hostname)
    w.put("DOMAINNAME", cfg.domainname)

    if cfg.nics:
        w.start("NIC-CONFIG")
        w.put("NICS", ",".join(n.name for n in cfg.nics))
        for nic in cfg.nics:
            _render_nic(w, nic)

    if any(v is not None for v in (cfg.dns_from_dhcp, cfg.dns_suffixes, cfg.dns_servers)):
        w.start("DNS")
        w.put_bool("DNSFROMDHCP", cfg.dns_from_dhcp)
        w.put_list("SUFFIX", cfg.dns_suffixes)
        w.put_list("NAMESERVER", cfg.dns_servers)

    if cfg.timezone is not None or cfg.utc is not None:
        w.start("DATETIME")
        w.put("TIMEZONE", cfg.timezone)
        w.put_bool("UTC", cfg.utc)

    if cfg.admin_password is not None or cfg.reset_password:
        w.start("PASSWORD")
        if cfg.admin_password is not None:
            if "\n" in cfg.admin_password or "\r" in cfg.admin_password:
                raise CustCfgError("[PASSWORD] -PASS: password contains a line break")
            # vCenter encodes the password followed by a line end; parse() drops it again.
            plain = (cfg.admin_password + "\n").encode("utf-8")
            encoded = base64.b64encode(plain).decode("ascii") if cfg.admin_password else ""
            w.put("-PASS", encoded)
        w.put_bool("RESET", cfg.reset_password)

    if cfg.script_name is not None:
        w.start("CUSTOM-SCRIPT")
        w.put("SCRIPT-NAME", cfg.script_name)

    if cfg.marker_id is not None or cfg.post_gc_status or cfg.default_run_post_script or cfg.instance_id is not None:
        w.start("MISC")
        w.put("MARKER-ID", cfg.marker_id)
        if cfg.post_gc_status:
            w.put_bool("POST-GC-STATUS", True)
        if cfg.default_run_post_script:
            w.put_bool("DEFAULT-RUN-POST-CUST-SCRIPT", True)
        w.put("INSTANCE-ID", cfg.instance_id)

    if cfg.cloudinit_metadata is not None or cfg.cloudinit_userdata is not None:
        w.start("CLOUDINIT")
        w.put("METADATA", cfg.cloudinit_metadata)
        w.put("USERDATA", cfg.cloudinit_userdata)
    return "\n".join(w.lines) + "\n"


def _render_nic(w: _Writer, nic: Nic) -> None:
    if not is_mac(nic.mac):
        raise CustCfgError(f"[{nic.name}] MACADDR: not a lower-case MAC address: {nic.mac!r}")
    if nic.ipv4_mode not in _IPV4_MODES:
        raise CustCfgError(f"[{nic.name}] IPv4_MODE: unknown mode {nic.ipv4_mode!r}")
    if nic.bootproto not in ("static", "dhcp"):
        raise CustCfgError(f"[{nic.name}] BOOTPROTO: expected static or dhcp, got {nic.bootproto!r}")
    w.start(nic.name)
    w.put("MACADDR", nic.mac)
    if nic.primary:
        w.put_bool("PRIMARY", True)
    w.put_bool("ONBOOT", nic.onboot)
    w.put("IPv4_MODE", nic.ipv4_mode)
    w.put("BOOTPROTO", nic.bootproto)
    w.put("IPADDR", nic.ipaddr)
    w.put("NETMASK", nic.netmask)
    if nic.gateways:
        w.put("GATEWAY", ",".join(nic.gateways))
    for i, addr in enumerate(nic.ipv6, start=1):
        w.put(f"IPv6ADDR|{i}", addr.address)
        w.put(f"IPv6NETMASK|{i}", str(addr.prefix))
        w.put(f"IPv6GATEWAY|{i}", addr.gateway)
    if nic.ipv6_mode is not None:
        w.put("IPv6_MODE", nic.ipv6_mode.upper())
