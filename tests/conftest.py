"""Shared fixtures: a real gosc server (HTTPS on 127.0.0.1) with the demo inventory."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from gosc.inventory.authorization_manager import hash_password
from gosc.testing import Gosc
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer, Injections
from tests.support.vijson import ViClient

LIMITED_USER = "viewer@vsphere.local"
LIMITED_PASSWORD = "Viewer-1!"
CLONER_USER = "cloner@vsphere.local"
CUSTOMIZER_USER = "customizer@vsphere.local"  # may only customize: the containment tests' attacker


def write_users(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    h = hash_password(LIMITED_PASSWORD)
    (data_dir / "users.toml").write_text(f"""
[roles.Viewer]
privileges = ["System.View", "System.Read"]

[roles.Cloner]
privileges = ["System.View", "VirtualMachine.Provisioning.Clone", "VirtualMachine.Inventory.CreateFromExisting"]

[roles.Customizer]
privileges = ["VirtualMachine.Provisioning.Customize"]

[[users]]
name = "{CUSTOMIZER_USER}"
password_hash = "{h}"
role = "Customizer"

[[users]]
name = "{LIMITED_USER}"
password_hash = "{h}"
role = "Viewer"

[[users]]
name = "{CLONER_USER}"
password_hash = "{h}"
role = "Cloner"
# NoAccess on one VM: the collector tests read it as a user who may not.
permissions = [{{ entity = "/DC0/vm/demo-ubuntu", role = "NoAccess" }}]
""")


@pytest.fixture(scope="module")
def gosc_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin's data dir (gosc.testing), with the tests' users."""
    data = tmp_path_factory.mktemp("gosc") / "data"
    write_users(data)
    return data


@pytest.fixture(scope="module")
def server(gosc_server: GoscServer) -> GoscServer:
    """The module's server: gosc's pytest plugin (gosc.testing) starts and stops it."""
    return gosc_server


@pytest.fixture(scope="module")
def inject(gosc: Gosc) -> Iterator[Injections]:
    """Fault and delay injection on the module's server; nothing stays injected after a test."""
    yield gosc.inject
    gosc.inject.remove()


@pytest.fixture(scope="module")
def vi(server: GoscServer) -> Iterator[ViClient]:
    client = ViClient(server.url)
    client.login(ADMIN, ADMIN_PASSWORD)
    yield client
    client.http.close()  # an idle keep-alive connection would hold up the server's stop


_names = itertools.count(1)


@pytest.fixture
def clone(vi: ViClient) -> dict[str, str]:
    """A fresh instant clone of demo-ubuntu, powered on with tools running."""
    from tests.support.specs import instant_clone_body

    src = vi.find("DC0/vm/demo-ubuntu")
    info = vi.wait_task(
        vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body(f"clone-{next(_names)}"))
    )
    assert info["state"] == "success", info
    return info["result"]


def guest_root(server: GoscServer, vi: ViClient, vm: dict[str, str]) -> Path:
    uuid = vi.get("VirtualMachine", vm["value"], "config")["instanceUuid"]
    return server.data_dir / "guests" / uuid / "root"
