"""Fixtures for the guest-side tests."""

from __future__ import annotations

import pytest

from gosc.formats import custcfg
from gosc.formats.custcfg_model import CustConfig
from gosc.guest.skeletons import copy_skeleton


@pytest.fixture
def guest(tmp_path):
    """guest(family, macs, cfg, extra files) -> (root, pkg_dir) ready for engine.apply."""

    def make(family: str, macs: list[str], cfg: CustConfig | str, extra: dict[str, bytes] | None = None):
        root = copy_skeleton(family, tmp_path / f"root-{family}", macs)
        pkg = root / "var/run/vmware-imc/pkg"  # where the agent extracts it: scripts run there, in the guest
        pkg.mkdir(parents=True)
        text = cfg if isinstance(cfg, str) else custcfg.render(cfg)
        (pkg / "cust.cfg").write_text(text)
        for name, data in (extra or {}).items():
            (pkg / name).write_bytes(data)
        return root, pkg

    return make
