"""Offline operator commands: check a spec, build a package, apply one to a guest tree."""

from __future__ import annotations

import argparse
from typing import Any


def add_offline_commands(sub: Any) -> None:
    """Filled in with issue 3's offline tools (spec validate, package, apply)."""
