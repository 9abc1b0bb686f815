"""Live guests need root: these tests create namespaces, veths, bridges and mounts (all
named with a prefix of their own) and check that nothing is left behind."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _needs_root() -> None:
    if os.geteuid() != 0:
        pytest.fail("tests/netns need root (namespaces, veths, bridges, mounts); CI runs them as root")
