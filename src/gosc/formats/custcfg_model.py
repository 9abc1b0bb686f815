"""The one model of a Linux customization, as VMware's cust.cfg carries it.

vCenter renders a CustomizationSpec into cust.cfg; the guest engine parses cust.cfg
back into this model and every renderer reads only this model.  Field names follow
the cust.cfg keys.  ``None`` means "key absent: keep what the guest has"; an empty
string or list means "key present and empty: remove" (the Perl engine's rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Ipv6Address:
    address: str
    prefix: int
    gateway: str | None = None


@dataclass
class Nic:
    name: str  # the cust.cfg section name, e.g. "NIC1"
    mac: str  # lower-case, colon separated
    primary: bool = False
    onboot: bool = True
    # STATIC | DHCP | DISABLED | AS_IS | BACKWARDS_COMPATIBLE (then bootproto decides)
    ipv4_mode: str = "BACKWARDS_COMPATIBLE"
    bootproto: str = "dhcp"  # "static" | "dhcp"
    ipaddr: str | None = None
    netmask: str | None = None  # dotted quad
    gateways: list[str] = field(default_factory=list)
    ipv6: list[Ipv6Address] = field(default_factory=list)
    # IPv6 address assignment beyond static entries: None | "dhcp" | "auto"
    ipv6_mode: str | None = None

    @property
    def ipv4_static(self) -> bool:
        if self.ipv4_mode == "STATIC":
            return True
        return self.ipv4_mode == "BACKWARDS_COMPATIBLE" and self.bootproto == "static"

    @property
    def ipv4_dhcp(self) -> bool:
        if self.ipv4_mode == "DHCP":
            return True
        return self.ipv4_mode == "BACKWARDS_COMPATIBLE" and self.bootproto == "dhcp"


@dataclass
class CustConfig:
    # [NETWORK]
    hostname: str | None = None
    domainname: str | None = None
    networking: bool = True
    # [NIC-CONFIG] + [NICn], in order
    nics: list[Nic] = field(default_factory=list)
    # [DNS]
    dns_from_dhcp: bool | None = None
    dns_suffixes: list[str] | None = None
    dns_servers: list[str] | None = None
    # [DATETIME]
    timezone: str | None = None
    utc: bool | None = None
    # [PASSWORD] (-PASS is base64 in the file; here the plain text, never logged)
    admin_password: str | None = None
    reset_password: bool = False
    # [CUSTOM-SCRIPT]
    script_name: str | None = None
    # [MISC]
    marker_id: str | None = None
    post_gc_status: bool = False
    default_run_post_script: bool = False
    instance_id: str | None = None
    # [CLOUDINIT]
    cloudinit_metadata: str | None = None  # file name inside the package
    cloudinit_userdata: str | None = None

    @property
    def fqdn(self) -> str | None:
        if not self.hostname:
            return self.hostname
        return f"{self.hostname}.{self.domainname}" if self.domainname else self.hostname

    def nic_by_mac(self, mac: str) -> Nic | None:
        mac = mac.lower()
        return next((n for n in self.nics if n.mac == mac), None)
