"""Rules both sides apply: host names, MAC addresses, guest NIC names, the primary NIC.

The server checks a spec against them (gosc.customization.validation) and the guest
engine checks a cust.cfg against them (gosc.guest.engine): one definition, so the two
can never disagree about what they accept.

Host names: one DNS label of letters, digits and inner hyphens, at most 63 characters
(RFC 1123 section 2.1, which RFC 1035's 63-octet label limit bounds); a domain is at most
253 characters of such labels.  vCenter's UI accepts 63 too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .custcfg_model import Nic

HOST_LABEL_MAX = 63
DOMAIN_MAX = 253
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
assert len("a" * HOST_LABEL_MAX) == 63 and _LABEL.match("a" * HOST_LABEL_MAX) and not _LABEL.match("a" * 64)

# Lower case, colon separated: how cust.cfg, nics.txt and /sys/class/net/*/address write a MAC.
MAC = re.compile(r"^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$")

# The names a VMware VM's vmxnet3 NICs get in a Linux guest (predictable names from the
# PCI slots vSphere assigns, in NIC order): the skeletons and both backends name NICs so.
NIC_NAMES = ("ens192", "ens224", "ens256", "ens161", "ens193", "ens225", "ens257", "ens162", "ens194", "ens226")


def is_label(name: str) -> bool:
    return bool(_LABEL.match(name))


def host_label_problem(name: str) -> str | None:
    """Why ``name`` is no host name, or None."""
    if not name:
        return "a host name must not be empty"
    if "." in name:
        return f"'{name}' is not a single DNS label: the domain goes in 'domain'"
    if "_" in name:
        return f"'{name}' contains an underscore, which a host name may not"
    if len(name) > HOST_LABEL_MAX:
        return f"'{name}' is longer than {HOST_LABEL_MAX} characters"
    if not _LABEL.match(name):
        return f"'{name}' must be letters, digits and inner hyphens"
    return None


def domain_problem(domain: str) -> str | None:
    """Why ``domain`` is no DNS domain, or None (an empty domain is none to check)."""
    if not domain:
        return None
    if len(domain) > DOMAIN_MAX:
        return f"a domain name is at most {DOMAIN_MAX} characters"
    for label in domain.rstrip(".").split("."):
        if not _LABEL.match(label):
            return f"'{domain}' is not a valid DNS domain (label '{label}')"
    return None


def is_mac(mac: str) -> bool:
    """A MAC in the canonical form (lower case, colons)."""
    return bool(MAC.match(mac))


def custcfg_nic_name(index: int) -> str:
    """The cust.cfg section of the ``index``-th NIC (1-based): NIC1, NIC2, ..."""
    return f"NIC{index}"


def primary_nic(nics: Sequence[Nic]) -> Nic | None:
    """The primary NIC: it carries the default route and the DNS settings.  The one
    flagged PRIMARY (cust.cfg's ``PRIMARY = yes``), else the first static NIC with an
    IPv4 gateway, else the first with an IPv6 gateway, else the first NIC.  vCenter's side
    flags the NIC this rule picks (gosc.customization.package), so a cust.cfg that gosc
    wrote always names it; the rule itself decides for one that does not."""
    flagged = [n for n in nics if n.primary]
    if flagged:
        return flagged[0]
    return (
        next((n for n in nics if n.ipv4_static and n.gateways), None)
        or next((n for n in nics if any(a.gateway for a in n.ipv6)), None)
        or (nics[0] if nics else None)
    )
