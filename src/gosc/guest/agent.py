"""The tools agent: what open-vm-tools' deployPkg plugin and VGAuth do inside a guest.

It serves the host's TCLO commands over an rpc.Endpoint:

    ping
    guest.auth <b64 user> <b64 password>   -> "1 <uid>"; checks the guest's own /etc/shadow
    deployPkg.begin                         -> "1 <guest dir>" under /var/run/vmware-imc
    file.put <guest path>\\0<bytes>          (the guest-operations file copy)
    deployPkg.deploy <guest package path>   -> "1", then deployPkg.update.state RPCIs
    deployPkg.abort                         stops a running deployment
    network.start                           starts the guest network (DHCP; live guests only)

It also relays what programs in the guest ask the host, as ``vmware-rpctool`` does:
``gosc rpctool --vm-uuid UUID "info-get guestinfo.key"`` connects to the agent's
abstract Unix socket ``@gosc-rpctool-<instanceUuid>`` (in the guest's network namespace
for live guests) and gets the host's answer.

The agent sends RPCIs to the host: ``tools.heartbeat``, ``guest.info <json>`` (host name and
addresses as the guest sees them), ``deployPkg.update.state <state> <code> [<log>@<msg>]``
with VMware's state and error numbers, and ``info-get``/``info-set`` for guestinfo keys.
The agent never trusts the host's paths: every guest path is resolved inside its root.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import secrets
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import introspect, rpc
from .sandbox import Network
from .states import DeployError, DeployState

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0
IMC_DIR = "var/run/vmware-imc"
# What guest programs may ask the host through the agent (vmware-rpctool's usual calls).
RPCTOOL_COMMANDS = frozenset({"info-get", "info-set"})


def rpctool_address(vm_id: str) -> str:
    """The abstract socket (leading NUL) a guest's agent relays rpctool requests on."""
    return f"\0gosc-rpctool-{vm_id}"


class ToolsAgent:
    def __init__(self, root: Path, live: Any = None, vm_id: str | None = None) -> None:
        """``root`` is the guest's tree; ``live`` (optional) applies results to a running
        guest (namespaces) after the files are written; ``vm_id`` (the instanceUuid)
        names the rpctool socket."""
        self.root = root
        self.live = live
        self.vm_id = vm_id
        self._rpctool: asyncio.Server | None = None
        self.endpoint: rpc.Endpoint | None = None
        self._deploy: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._cancel = threading.Event()

    # ------------------------------------------------------------ lifecycle

    def attach(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> rpc.Endpoint:
        # /var/run is a tmpfs on a real guest: what an earlier boot left there (a package
        # cut short by a crash, with its secrets) is gone when the agent starts.
        shutil.rmtree(self.root / IMC_DIR, ignore_errors=True)
        self._event_loop = asyncio.get_running_loop()
        self.endpoint = rpc.Endpoint(reader, writer, self.handle, name=f"agent:{self.root.name}")
        self.endpoint.start()
        self._spawn(self._announce())
        self._spawn(self._heartbeat())
        if self.vm_id:
            self._spawn(self._serve_rpctool())
        return self.endpoint

    def _spawn(self, coro: Any) -> None:
        t = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        if self._rpctool is not None:
            self._rpctool.close()
        for t in list(self._tasks):
            t.cancel()
        if self._deploy is not None:
            self._deploy.cancel()
        if self.endpoint is not None:
            await self.endpoint.close()

    async def _heartbeat(self) -> None:
        assert self.endpoint is not None
        while not self.endpoint.closed:
            with contextlib.suppress(rpc.RpcError):
                await self.endpoint.call("tools.heartbeat", timeout=5)
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def _announce(self) -> None:
        with contextlib.suppress(rpc.RpcError):
            await self.report_guest_info()

    async def _serve_rpctool(self) -> None:
        assert self.vm_id is not None
        self._rpctool = await asyncio.start_unix_server(self._rpctool_client, path=rpctool_address(self.vm_id))

    async def _rpctool_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One request line in, one reply line out: ``1 <result>`` or ``0 <error>``."""
        try:
            command, args = rpc.split((await reader.readline()).rstrip(b"\n"))
            if command not in RPCTOOL_COMMANDS or self.endpoint is None:
                reply = rpc.error(f"{command} is not allowed from the guest")
            else:
                try:
                    reply = rpc.ok(await self.endpoint.call(command, args, timeout=10))
                except rpc.RpcError as e:
                    reply = rpc.error(str(e))
            writer.write(reply + b"\n")
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def report_guest_info(self) -> None:
        assert self.endpoint is not None
        info = await asyncio.to_thread(self.guest_info)
        await self.endpoint.call("guest.info", json.dumps(info))

    def guest_info(self) -> dict[str, Any]:
        if self.live is not None:
            return self.live.guest_info()
        return introspect.guest_info(self.root)

    # ------------------------------------------------------------ TCLO

    async def handle(self, command: str, args: bytes) -> bytes:
        handler = _TCLO.get(command)
        if handler is None:
            return rpc.error(f"Unknown command {command}")
        return await handler(self, args)

    async def _ping(self, args: bytes) -> bytes:
        return rpc.ok()

    async def _auth(self, args: bytes) -> bytes:
        from . import accounts

        try:
            user_b64, pw_b64 = args.split(b" ", 1)
            user = base64.b64decode(user_b64).decode()
            password = base64.b64decode(pw_b64).decode()
        except ValueError:
            return rpc.error("malformed guest.auth")
        uid = await asyncio.to_thread(accounts.authenticate, self.root, user, password)
        return rpc.error("invalid login") if uid is None else rpc.ok(str(uid))

    async def _begin(self, args: bytes) -> bytes:
        if self._deploy is not None and not self._deploy.done():
            return rpc.error("a deployment is already running")
        rel = f"{IMC_DIR}/{secrets.token_hex(8)}"
        path = self.guest_path(rel)
        path.mkdir(parents=True, mode=0o700)
        return rpc.ok("/" + rel)

    async def _put(self, args: bytes) -> bytes:
        name, sep, data = args.partition(b"\0")
        if not sep:
            return rpc.error("malformed file.put")
        path = self.guest_path(name.decode())
        await asyncio.to_thread(_write_private, path, data)
        return rpc.ok()

    async def _deploy_cmd(self, args: bytes) -> bytes:
        if self._deploy is not None and not self._deploy.done():
            return rpc.error("a deployment is already running")
        pkg = self.guest_path(args.decode())
        if not pkg.is_file():
            return rpc.error(f"package {args.decode()} not found")
        self._cancel = threading.Event()
        self._deploy = asyncio.get_running_loop().create_task(self._run_deploy(pkg, self._cancel))
        return rpc.ok()

    async def _abort(self, args: bytes) -> bytes:
        if self._deploy is None or self._deploy.done():
            return rpc.error("no deployment is running")
        # The engine runs in a thread: it stops at its next step (killing a running
        # script), writes nothing, and the deployment reports the failure "aborted".
        self._cancel.set()
        return rpc.ok()

    async def _network_start(self, args: bytes) -> bytes:
        """StartGuestNetwork_Task: start the guest's network service (DHCP on a live guest)."""
        if self.live is None or not hasattr(self.live, "network_start"):
            return rpc.error("this guest has no network service to start")
        result = await self.live.network_start()
        with contextlib.suppress(rpc.RpcError):
            await self.report_guest_info()
        return rpc.ok(result)

    # ------------------------------------------------------------ deployment

    async def _update_state(self, state: DeployState, code: DeployError = DeployError.SUCCESS, log_path: str = "", msg: str = "") -> None:
        assert self.endpoint is not None
        text = f"{int(state)} {int(code)}"
        if log_path or msg:
            text += f" {log_path}@{msg}"
        await self.endpoint.call("deployPkg.update.state", text)

    async def _run_deploy(self, pkg: Path, cancel: threading.Event) -> None:
        from ..customization import deploypkg
        from .deploy import apply_package

        work = pkg.parent
        try:
            await self._update_state(DeployState.RUNNING)
            try:
                data = await asyncio.to_thread(pkg.read_bytes)
                await asyncio.to_thread(deploypkg.extract, data, work)
            except deploypkg.DeployPkgError as e:
                await self._update_state(DeployState.DONE, DeployError.DEPLOY_FAILED, "", f"bad package: {e}")
                return
            # A live guest's script shares the guest's network (the agent runs in it); a tree's has none.
            net = Network.JOIN_CURRENT if self.live is not None else Network.NONE
            result = await asyncio.to_thread(apply_package, self.root, work, report=self._gc_status_sync, cancel=cancel,
                                             script_network=net)  # fmt: skip
            if result.error_code == 0 and self.live is not None:
                try:
                    await self.live.apply_network(self.root)
                except Exception as e:  # live apply errors are network errors to the host
                    result.error_code, result.failure, result.message = int(DeployError.DEPLOY_FAILED), "network", str(e)
            with contextlib.suppress(rpc.RpcError):
                await self.report_guest_info()
            log_loc = "/" + str(result.log_path.relative_to(self.root)) if result.log_path else ""
            msg = f"{result.failure}: {result.message}" if result.error_code else ""
            await self._update_state(DeployState.DONE, DeployError(result.error_code), log_loc, msg)
        except asyncio.CancelledError:  # the agent is stopping (power off)
            cancel.set()
            raise
        except rpc.RpcError:
            pass
        except Exception as e:
            log.exception("deployment failed in %s", self.root)
            with contextlib.suppress(rpc.RpcError):
                await self._update_state(DeployState.DONE, DeployError.DEPLOY_FAILED, "", f"unknown: {type(e).__name__}: {e}")
        finally:
            # The package holds secrets (cust.cfg -PASS): never leave it in the guest.
            shutil.rmtree(work, ignore_errors=True)

    def _gc_status_sync(self, key: str, value: str) -> None:
        """Engine callback (runs in the engine's thread) for guestinfo.gc.status."""
        if self.endpoint is None or self._event_loop is None:
            return
        fut = asyncio.run_coroutine_threadsafe(self.endpoint.call("info-set", f"{key} {value}"), self._event_loop)
        with contextlib.suppress(Exception):
            fut.result(timeout=10)

    # ------------------------------------------------------------ helpers

    def guest_path(self, guest_path: str) -> Path:
        """A guest path resolved inside the root; refuses to leave it."""
        rel = os.path.normpath("/" + guest_path.lstrip("/")).lstrip("/")
        path = self.root / rel
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise ValueError(f"{guest_path} leaves the guest")
        return path


_TCLO: dict[str, Callable[[ToolsAgent, bytes], Any]] = {
    "ping": ToolsAgent._ping,
    "guest.auth": ToolsAgent._auth,
    "deployPkg.begin": ToolsAgent._begin,
    "file.put": ToolsAgent._put,
    "deployPkg.deploy": ToolsAgent._deploy_cmd,
    "deployPkg.abort": ToolsAgent._abort,
    "network.start": ToolsAgent._network_start,
}


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
