"""Run under Debian's /usr/bin/python3: print what cloud-init's VMware parser reads.

argv: cust.cfg paths.  stdout: a JSON list, one object per file.  Not a test module.
"""

import base64
import json
import logging
import sys

from cloudinit.sources.helpers.vmware.imc.config import Config
from cloudinit.sources.helpers.vmware.imc.config_file import ConfigFile
from cloudinit.sources.helpers.vmware.imc.config_nic import NicConfigurator

logging.disable(logging.CRITICAL)


def probe(path):
    cfg = Config(ConfigFile(path))
    out = {
        "hostname": cfg.host_name,
        "domain": cfg.domain_name,
        "timezone": cfg.timezone,
        "utc": cfg.utc,
        "dns_servers": cfg.name_servers,
        "dns_suffixes": cfg.dns_suffixes,
        "password": None if cfg.admin_password is None else base64.b64decode(cfg.admin_password).decode(),
        "reset": cfg.reset_password,
        "marker": cfg.marker_id,
        "post_gc_status": cfg.post_gc_status,
        "default_run_post_script": cfg.default_run_post_script,
        "script": cfg.custom_script_name,
        "metadata": cfg.meta_data_name,
        "userdata": cfg.user_data_name,
        "nics": [],
    }
    try:
        nics = cfg.nics
    except KeyError:
        nics = []
    for nic in nics:
        v4 = nic.staticIpv4
        v6 = nic.staticIpv6 or []
        out["nics"].append(
            {
                "name": nic.name,
                "mac": nic.mac,
                "primary": nic.primary,
                "onboot": nic.onboot,
                "bootproto": nic.bootProto,
                "ipv4_mode": nic.ipv4_mode,
                "ip": v4[0].ip if v4 else None,
                "netmask": v4[0].netmask if v4 else None,
                "gateways": (v4[0].gateways or []) if v4 else [],
                "ipv6": [[a.ip, a.netmask, a.gateway] for a in v6],
            }
        )
    try:
        out["network"] = NicConfigurator(nics, use_system_devices=False).generate() if nics else []
    except Exception as exc:  # cloud-init refuses some specs (e.g. two primaries)
        out["network"] = repr(exc)
    return out


print(json.dumps([probe(p) for p in sys.argv[1:]]))
