"""A module's gosc server (the tests' users.toml: conftest.write_users) and pyVmomi
connections as the administrator and as the Viewer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

from tests.conftest import LIMITED_PASSWORD, LIMITED_USER
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer


def connect(server: GoscServer, user: str = ADMIN, password: str = ADMIN_PASSWORD) -> vim.ServiceInstance:
    return SmartConnect(host="127.0.0.1", port=server.port, user=user, pwd=password, disableSslCertValidation=True)


@pytest.fixture(scope="module")
def si(server: GoscServer) -> Iterator[vim.ServiceInstance]:
    conn = connect(server)
    yield conn
    Disconnect(conn)


@pytest.fixture(scope="module")
def viewer(server: GoscServer) -> Iterator[vim.ServiceInstance]:
    conn = connect(server, LIMITED_USER, LIMITED_PASSWORD)
    yield conn
    Disconnect(conn)


def find_vm(si: vim.ServiceInstance, name: str) -> vim.VirtualMachine:
    vm = si.content.searchIndex.FindByInventoryPath(f"DC0/vm/{name}")
    assert isinstance(vm, vim.VirtualMachine), name
    return vm
