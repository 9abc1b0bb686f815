"""Differential test: cloud-init's own VMware parser (Debian's cloud-init, run under the
system Python) must read the same values from our cust.cfg that our parser reads."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gosc.formats.custcfg import parse, render
from gosc.formats.custcfg_model import CustConfig
from gosc.guest.engine.network.model import build

from .guest_helpers import DHCP_2NIC, HERE, STATIC_2NIC
from .guest_strategies import custconfigs

SYSTEM_PYTHON = "/usr/bin/python3"


def cloud_init_reads(paths: list[Path]) -> list[dict]:
    out = subprocess.run(
        [SYSTEM_PYTHON, str(HERE / "cloudinit_probe.py"), *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def assert_same(cfg: CustConfig, ci: dict) -> None:
    assert ci["hostname"] == cfg.hostname
    assert ci["domain"] == cfg.domainname
    assert ci["timezone"] == cfg.timezone
    assert ci["utc"] == (None if cfg.utc is None else ("yes" if cfg.utc else "no"))
    assert ci["dns_servers"] == (cfg.dns_servers or [])
    assert ci["dns_suffixes"] == (cfg.dns_suffixes or [])
    if cfg.admin_password is None:
        assert ci["password"] is None
    else:
        assert ci["password"].removesuffix("\n") == cfg.admin_password
    assert ci["reset"] == cfg.reset_password
    assert (ci["marker"], ci["script"], ci["metadata"], ci["userdata"]) == (
        cfg.marker_id,
        cfg.script_name,
        cfg.cloudinit_metadata,
        cfg.cloudinit_userdata,
    )
    assert (ci["post_gc_status"], ci["default_run_post_script"]) == (cfg.post_gc_status, cfg.default_run_post_script)
    assert len(ci["nics"]) == len(cfg.nics)
    for nic, cin in zip(cfg.nics, ci["nics"]):
        assert (cin["name"], cin["mac"], cin["primary"], cin["onboot"]) == (nic.name, nic.mac, nic.primary, nic.onboot)
        assert cin["bootproto"] == nic.bootproto and cin["ipv4_mode"] == nic.ipv4_mode.lower()
        static = nic.bootproto == "static"
        assert cin["ip"] == (nic.ipaddr if static else None)
        assert cin["netmask"] == (nic.netmask if static else None)
        assert cin["gateways"] == (nic.gateways if static else [])
        assert cin["ipv6"] == [[a.address, str(a.prefix), a.gateway] for a in nic.ipv6]
    _same_routes(cfg, ci)


def _same_routes(cfg: CustConfig, ci: dict) -> None:
    """Where gosc's gateway mapping is cloud-init's, the routes must agree."""
    if isinstance(ci["network"], str):
        # cloud-init refuses a config only for a reason gosc knows: more than one primary NIC.
        assert sum(n.primary for n in cfg.nics) > 1, f"cloud-init refused a config gosc accepts: {ci['network']}"
        return
    if not cfg.nics:
        return
    net = build(cfg, {n.mac: n.name for n in cfg.nics})
    ci_ifaces = {d["name"]: d for d in ci["network"] if d.get("type") == "physical"}
    flagged = any(n.primary for n in cfg.nics)
    for nic, iface in zip(cfg.nics, net.ifaces):
        if nic.bootproto != "static" or nic.ipv4_mode == "DISABLED" or not nic.gateways:
            continue
        subnet = ci_ifaces[nic.name]["subnets"][0]
        if nic.primary:
            assert subnet.get("gateway") == iface.gateway4 == nic.gateways[0]
        elif not flagged and not iface.primary:
            ours = [(r.to, r.via, r.metric) for r in iface.routes if r.family == 4]
            theirs = [(r["destination"], r["gateway"], r["metric"]) for r in subnet.get("routes", [])]
            assert ours == theirs


def test_conformance_files_read_alike():
    ci = cloud_init_reads([STATIC_2NIC, DHCP_2NIC])
    for path, reading in zip([STATIC_2NIC, DHCP_2NIC], ci):
        assert_same(parse(path.read_text()), reading)
    assert ci[0]["nics"][0]["gateways"] == ["10.20.87.253", "10.20.87.105"]


def test_rendered_conformance_files_read_alike(tmp_path):
    paths = []
    for src in (STATIC_2NIC, DHCP_2NIC):
        p = tmp_path / src.name
        p.write_text(render(parse(src.read_text())))
        paths.append(p)
    for p, reading in zip(paths, cloud_init_reads(paths)):
        assert_same(parse(p.read_text()), reading)


# 3 examples x 12 generated configs = 36 configs through cloud-init's parser, one
# subprocess per example to keep the run fast.
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(st.lists(custconfigs(), min_size=12, max_size=12))
def test_generated_configs_read_alike(tmp_path_factory, cfgs):
    d = tmp_path_factory.mktemp("gen")
    paths = []
    for i, cfg in enumerate(cfgs):
        p = d / f"cust-{i}.cfg"
        p.write_text(render(cfg))
        paths.append(p)
    for cfg, reading in zip(cfgs, cloud_init_reads(paths)):
        assert_same(cfg, reading)
