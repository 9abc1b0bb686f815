"""The Ansible tests' gosc server keeps a rebooting guest down 30 s: vmware_guest_instant_clone
(and Ansible's tools waits) first wait, in 15 s steps, for the tools to go away after
RebootGuest, then for them to come back; a short reboot could come and go between two looks
on a loaded machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import GoscServer


@pytest.fixture(scope="module")
def gosc_server(gosc_data_dir: Path) -> Iterator[GoscServer]:
    server = GoscServer(gosc_data_dir, extra_args=["--guest-reboot-seconds", "30"]).start()
    try:
        yield server
    finally:
        server.stop()
