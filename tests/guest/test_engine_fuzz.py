"""Generated customizations through every family: the engine either succeeds or fails
with a named failure kind, never with an unexpected exception or a half-written tree."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gosc.formats.custcfg import render
from gosc.guest.engine import apply
from gosc.guest.skeletons import copy_skeleton

from .guest_helpers import snapshot
from .guest_scenarios import LINUX
from .guest_strategies import custconfigs

KNOWN = {"network", "identity", "script_disabled", "script", "metadata", "cloudinit_missing", "config"}


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(cfg=custconfigs(), family=st.sampled_from(LINUX))
def test_engine_never_crashes(cfg, family):
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_skeleton(family, Path(tmp) / "root", [n.mac for n in cfg.nics])
        pkg = Path(tmp) / "pkg"
        pkg.mkdir()
        (pkg / "cust.cfg").write_text(render(cfg))
        (pkg / "customize.sh").write_text("exit 0\n")
        (pkg / "metadata").write_text("instance-id: x\n")
        (pkg / "userdata").write_text("#cloud-config\n")
        before = snapshot(root)
        result = apply(root, pkg)
        if result.error_code:
            assert result.failure in KNOWN, result.message
            changed = {k for k, v in snapshot(root).items() if before.get(k) != v}
            assert all(k.startswith("var") for k in changed), changed
        else:
            assert result.failure is None
        if cfg.admin_password and len(cfg.admin_password) >= 8:
            assert cfg.admin_password not in (root / "var/log/vmware-imc/toolsDeployPkg.log").read_text()
