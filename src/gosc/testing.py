"""gosc as a pytest plugin: a real gosc server for your own tests (docs/testing.md).

Installed with gosc (the ``pytest11`` entry point ``gosc``), it gives every test suite:

- ``gosc`` (module scope): a started server (a subprocess with a temporary data dir, on a
  free port, the demo inventory) as a :class:`Gosc`: its ``url``, ``host`` and ``port``,
  ``service_instance`` (an administrator's pyVmomi connection) and ``inject`` (fault and
  delay injection, :class:`Injections`).
- ``gosc_data_dir`` (module scope): the data directory the server starts on; override it
  to put a ``users.toml`` there first.

The server answers once ``gosc`` is yielded: it is started with ``--listen 127.0.0.1:0``
and reports the port it bound in ``--port-file``.  This module is imported whenever pytest
starts where gosc is installed: it imports only the standard library at the top.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ADMIN = "administrator@vsphere.local"
ADMIN_PASSWORD = "Gosc-Test-1!"
START_TIMEOUT = 60.0  # seconds: a cold start builds the demo guest trees on a busy machine


class GoscServer:
    """``gosc serve`` in a subprocess on a free loopback port, with its own data dir."""

    def __init__(
        self, data_dir: Path, *, tls: bool = True, demo: bool = True, extra_args: list[str] | None = None
    ) -> None:
        self.data_dir = data_dir
        self.tls = tls
        self.demo = demo
        self.extra_args = extra_args or []
        self.port = 0  # the bound port, once started
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"
        self.port_file = data_dir.parent / f"{data_dir.name}-port"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = START_TIMEOUT) -> GoscServer:
        self.port_file.unlink(missing_ok=True)
        # The first start binds a free port; a restart binds the same one again, as a
        # restarted vCenter keeps its address (clients made before it still reach it).
        args = [sys.executable, "-m", "gosc.cli", "serve", "--listen", f"127.0.0.1:{self.port}"]
        args += ["--port-file", str(self.port_file), "--data-dir", str(self.data_dir), *self.extra_args]
        if self.demo:
            args.append("--demo")
        if not self.tls:
            args.append("--http")
        env = dict(os.environ, GOSC_ADMIN_PASSWORD=ADMIN_PASSWORD)
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:  # the child has its own descriptor
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        # The port file is written once the server listens, after its start (inventory
        # loaded): from then on it answers.
        deadline = time.monotonic() + timeout
        while not self.port_file.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"gosc exited with {self.proc.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gosc did not listen within {timeout} s:\n{self.log()}")
            time.sleep(0.05)
        self.port = int(self.port_file.read_text())
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def kill(self) -> None:
        """Die as a crash would: no shutdown code runs."""
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


class InjectionError(Exception):
    """The server refused an injection request; ``fault`` is its VI/JSON fault body."""

    def __init__(self, status: int, fault: dict[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {fault.get('_typeName')}: {fault.get('faultMessage') or fault}")
        self.status = status
        self.fault = fault


class Injections:
    """Fault and delay injection through ``/gosc/inject``, as an administrator."""

    def __init__(self, url: str, user: str = ADMIN, password: str = ADMIN_PASSWORD) -> None:
        self.url = url
        self.user, self.password = user, password
        self._session: str | None = None
        self._tls = ssl.create_default_context()
        self._tls.check_hostname = False
        self._tls.verify_mode = ssl.CERT_NONE  # the server's certificate is self-signed

    def add(
        self,
        method: str,
        *,
        moId: str | None = None,
        fault: str | None = None,
        delay: float = 0.0,
        hold: bool = False,
        count: int | None = None,
        **fault_fields: Any,
    ) -> int:
        """Inject into calls of ``method`` (on or about ``moId``): hold them until
        :meth:`release`, delay them, and/or fail them with the vSphere fault ``fault``
        (with ``fault_fields``); only the next ``count`` calls if given.  Its id."""
        spec: dict[str, Any] = {"method": method, "delay": delay, "hold": hold}
        if moId is not None:
            spec["moId"] = moId
        if count is not None:
            spec["count"] = count
        if fault is not None:
            spec["fault"] = {"fault": fault, **fault_fields}
        return int(self._request("POST", "", spec)["id"])

    def list(self) -> list[dict[str, Any]]:
        return list(self._request("GET", ""))

    def get(self, injection_id: int) -> dict[str, Any]:
        return next(i for i in self.list() if i["id"] == injection_id)

    def release(self, injection_id: int) -> None:
        self._request("POST", f"/{injection_id}/release")

    def remove(self, injection_id: int | None = None) -> None:
        """Remove one injection, or all; the calls they hold go on."""
        self._request("DELETE", "" if injection_id is None else f"/{injection_id}")

    def wait_held(self, injection_id: int, calls: int = 1, timeout: float = 60.0) -> None:
        """Return once ``calls`` calls are held by the injection; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while (held := self.get(injection_id)["held"]) < calls:
            if time.monotonic() > deadline:
                raise TimeoutError(f"injection {injection_id} holds {held} calls, not {calls}, after {timeout} s")
            time.sleep(0.02)

    def _login(self) -> str:
        body = json.dumps({"userName": self.user, "password": self.password}).encode()
        req = urllib.request.Request(
            f"{self.url}/sdk/vim25/9.1.0.0/SessionManager/SessionManager/Login",
            data=body,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(req, context=self._tls, timeout=60) as r:
            return str(r.headers["vmware-api-session-id"])

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        if self._session is None:
            self._session = self._login()
        req = urllib.request.Request(
            f"{self.url}/gosc/inject{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"vmware-api-session-id": self._session, "content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, context=self._tls, timeout=60) as r:
                data = r.read()
        except urllib.error.HTTPError as e:
            raise InjectionError(e.code, json.loads(e.read() or b"{}")) from None
        return json.loads(data) if data else None


class Gosc:
    """A started gosc server, as the ``gosc`` fixture yields it."""

    def __init__(self, server: GoscServer) -> None:
        self.server = server
        self.url = server.url
        self.host, self.port = "127.0.0.1", server.port
        self.user, self.password = ADMIN, ADMIN_PASSWORD
        self.inject = Injections(server.url)
        self._si: Any = None

    @property
    def service_instance(self) -> Any:
        """An administrator's pyVmomi ``vim.ServiceInstance`` (SOAP), made on first use."""
        if self._si is None:
            from pyVim import connect

            smart_connect: Any = connect.SmartConnect  # pyVim's helpers are untyped
            self._si = smart_connect(
                host=self.host, port=self.port, user=self.user, pwd=self.password, disableSslCertValidation=True
            )
        return self._si

    def close(self) -> None:
        if self._si is not None:
            from pyVim import connect

            disconnect: Any = connect.Disconnect
            disconnect(self._si)
            self._si = None


@pytest.fixture(scope="module")
def gosc_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory ``gosc`` starts on (empty: the demo inventory is made)."""
    return tmp_path_factory.mktemp("gosc") / "data"


@pytest.fixture(scope="module")
def gosc_server(gosc_data_dir: Path) -> Iterator[GoscServer]:
    """The started server process (``gosc`` wraps it)."""
    server = GoscServer(gosc_data_dir).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def gosc(gosc_server: GoscServer) -> Iterator[Gosc]:
    """A started gosc server with the demo inventory; injections are removed after each module."""
    handle = Gosc(gosc_server)
    try:
        yield handle
    finally:
        handle.close()
