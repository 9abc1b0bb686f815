"""A cloud-init NoCloud seed (meta-data, user-data, network-config) from a SeedInput.

The network is the engine's own: ``network.model.build`` takes the decisions (primary
NIC, default route and metrics of the other gateways, the one interface that carries the
DNS settings) and the netplan renderer's ``ethernet`` writes each interface, since
netplan's YAML is cloud-init's network-config version 2.  So what cloud-init renders from
the seed on an Ubuntu guest is what the engine would have written there.

user-data is ``#cloud-config``:

* ``hostname``/``fqdn`` and ``manage_etc_hosts`` (the engine rewrites /etc/hosts too);
* ``timezone``; the hardware clock (cust.cfg's UTC) as ``timedatectl set-local-rtc`` in
  ``runcmd``, cloud-init having no setting for it;
* root's password (Administrator's for a Windows spec, in ``users``) only as a SHA-512
  crypt hash, never in plain text; ``resetPassword`` as ``chpasswd.expire``;
* the spec's script, run as VMware runs it: with ``precustomization`` from ``bootcmd``
  (once per instance, before most of cloud-init's work) and with ``postcustomization`` from
  ``runcmd`` (after it); a Windows spec's GuiRunOnce commands in ``runcmd``.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from gosc.formats.nocloud import SCRIPT_NAME, Seed, SeedInput

from .. import shadow
from .cloudinit import load_metadata
from .errors import EngineError
from .network import model
from .network.netplan import ethernet

SHELL = "/bin/sh"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (a script) as literal blocks, so the seed reads as the script does."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    literal = "\n" in value and not any(c in value for c in "\r\t") and value == value.rstrip(" ")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if literal else None)


_Dumper.add_representer(str, _str)


def _yaml(doc: object) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1 << 16)


def network_config(seed: SeedInput) -> dict[str, Any]:
    net = model.build(seed.cfg, seed.names)
    ethernets: dict[str, Any] = {}
    for iface in net.ifaces:
        if iface.ipv4 == "as_is" and not iface.ipv6 and not iface.ipv6_mode:
            continue  # nothing to say about it (an address from outside the spec): no guess
        eth = ethernet(iface, net)
        if not seed.by_mac:  # the key is then the interface's own name
            del eth["match"], eth["set-name"]
        ethernets[iface.name] = eth
    return {"version": 2, "ethernets": ethernets}


def carries_dns(network: dict[str, Any]) -> bool:
    return any("nameservers" in eth for eth in network["ethernets"].values())


def _user_data(seed: SeedInput, salt: str | None) -> dict[str, Any]:
    cfg = seed.cfg
    doc: dict[str, Any] = {}
    if cfg.hostname:
        doc["hostname"] = cfg.hostname
        if cfg.domainname:
            doc["fqdn"] = cfg.fqdn
        if not seed.windows:
            doc["manage_etc_hosts"] = True
    if cfg.timezone:
        doc["timezone"] = cfg.timezone
    bootcmd: list[Any] = []
    runcmd: list[Any] = []
    if cfg.admin_password:
        hashed = shadow.hash_password(cfg.admin_password, salt, method=shadow.Method.SHA512)
        if seed.windows:
            doc["users"] = [{"name": seed.admin_user, "hashed_passwd": hashed, "lock_passwd": False}]
        else:
            doc["chpasswd"] = {
                "expire": cfg.reset_password,
                "users": [{"name": seed.admin_user, "password": hashed, "type": "hash"}],
            }
    elif cfg.reset_password:
        runcmd.append(["passwd", "--expire", seed.admin_user])
    if cfg.utc is not None:
        runcmd.append(["timedatectl", "set-local-rtc", "0" if cfg.utc else "1"])
    if seed.script:
        once = ["cloud-init-per", "instance", "gosc-precustomization"]
        bootcmd.append([*once, SHELL, "-c", seed.script, SCRIPT_NAME, "precustomization"])
        runcmd.append([SHELL, "-c", seed.script, SCRIPT_NAME, "postcustomization"])
    runcmd += seed.run_once
    if bootcmd:
        doc["bootcmd"] = bootcmd
    if runcmd:
        doc["runcmd"] = runcmd
    return doc


def _raw(seed: SeedInput, meta: dict[str, Any], network: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A CloudinitPrep spec: its metadata's network (VMware's metadata carries one) becomes
    network-config, the rest meta-data; its userdata is user-data as it is."""
    data = load_metadata(seed.raw_metadata or "")
    given = data.pop("network", None)
    data.pop("network.encoding", None)
    if isinstance(given, str):  # VMware's metadata may carry it as a YAML/JSON string
        try:
            given = json.loads(given)
        except ValueError:
            given = yaml.safe_load(given)
    if isinstance(given, dict):
        network = given.get("network", given) if isinstance(given.get("network"), dict) else given
    data.setdefault("instance-id", meta["instance-id"])
    return data, network, seed.raw_userdata or "#cloud-config\n{}\n"


def render(seed: SeedInput, *, salt: str | None = None) -> Seed:
    """The seed's files; ``salt`` fixes the password hash's salt (tests), else it is fresh.
    ValueError for what the engine would refuse (malformed CloudinitPrep metadata)."""
    meta: dict[str, Any] = {"instance-id": seed.instance_id}
    if seed.cfg.hostname:
        meta["local-hostname"] = seed.cfg.hostname
    try:
        network = network_config(seed)
        if seed.raw_metadata is not None:
            meta, network, user_data = _raw(seed, meta, network)
        else:
            user_data = "#cloud-config\n" + _yaml(_user_data(seed, salt))
    except EngineError as e:
        raise ValueError(e.message) from None
    return Seed(_yaml(meta), user_data, _yaml(network), list(seed.gaps), list(seed.notes))
