"""pyVmomi clients for the SOAP tests: 9.1.1.0 from the project's venv, 8.0.3.0.1 from a
venv of its own (made by scripts/setup --with-debs, in the repo's git-ignored .cache/)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import CLONER_USER, LIMITED_PASSWORD, LIMITED_USER
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer

if TYPE_CHECKING:
    from tests.soap.wire import Soap

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).parent / "drivers" / "pyvmomi_driver.py"
PYVMOMI8 = "8.0.3.0.1"
VENV8 = REPO / ".cache" / "venv-pyvmomi8"


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _has_pyvmomi(python: Path, version: str) -> bool:
    if not python.exists():
        return False
    r = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('pyvmomi'))"],
        capture_output=True,
        text=True,
    )
    return r.returncode == 0 and r.stdout.strip() == version


@pytest.fixture(scope="session")
def pyvmomi8_python() -> Path:
    python = _venv_python(VENV8)
    assert _has_pyvmomi(python, PYVMOMI8), (
        f"no pyVmomi {PYVMOMI8} in {VENV8}: run scripts/setup --with-debs (make test does)"
    )
    return python


CLIENTS = ["9.1.1.0", PYVMOMI8]


@pytest.fixture(params=CLIENTS, scope="module")
def client(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def python_for(request: pytest.FixtureRequest) -> Any:
    def pick(version: str) -> Path:
        if version == PYVMOMI8:
            return request.getfixturevalue("pyvmomi8_python")
        return Path(sys.executable)

    return pick


class Driver:
    def __init__(self, server: GoscServer, python: Path, version: str) -> None:
        self.server = server
        self.python = python
        self.version = version

    def args(self, **extra: Any) -> dict[str, Any]:
        return {
            "host": "127.0.0.1",
            "port": self.server.port,
            "user": ADMIN,
            "password": ADMIN_PASSWORD,
            "viewer": LIMITED_USER,
            "viewer_password": LIMITED_PASSWORD,
            "cloner": CLONER_USER,
            "cloner_password": LIMITED_PASSWORD,
            "repo": str(REPO),
            **extra,
        }

    def __call__(self, scenario: str, timeout: float = 180, **extra: Any) -> Any:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        r = subprocess.run(
            [str(self.python), str(DRIVER), scenario, json.dumps(self.args(**extra))],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd="/",
        )
        if r.returncode != 0:
            pytest.fail(
                f"pyVmomi {self.version} scenario {scenario} failed:\n{r.stderr[-6000:]}\n"
                f"--- server log ---\n{self.server.log()[-4000:]}"
            )
        return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def driver(server: GoscServer, client: str, python_for: Any) -> Driver:
    return Driver(server, python_for(client), client)


@pytest.fixture(scope="module", autouse=True)
def _close_idle_connections(vi: Any) -> Any:
    """Close the module's VI/JSON client before its server stops: an idle keep-alive
    connection holds uvicorn's graceful shutdown until GoscServer.stop kills it (15 s)."""
    yield
    vi.http.close()


@pytest.fixture(scope="module")
def soap(server: GoscServer) -> Iterator[Soap]:
    """A raw SOAP client (httpx), logged in as the administrator."""
    from tests.soap.wire import Soap

    s = Soap(server.url)
    s.login()
    yield s
    s.http.close()
