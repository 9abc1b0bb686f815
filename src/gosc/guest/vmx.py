"""The host ("VMX") end of a guest's tools channel.

It answers the agent's RPCIs (heartbeat, guest info, guestinfo variables, deployPkg
state) by calling the VM that owns it, and lets the server send TCLO commands.

A live guest's agent runs sandboxed with only network capabilities; what it may not do
itself it asks here, and the backend (``guest_host``, set at power on) does it for this
guest only, after checking the request as coming from an untrusted guest program:

    guest.sethostname <name>    one DNS label; set in the guest's UTS namespace
    guest.script.run <json>     {"cwd", "env", "command", "timeout"}: run in a script sandbox
                                of this guest (its tree as /, its network, no capability);
                                one at a time; the reply is {"outcome", "returncode",
                                "stdout", "stderr"} (output bounded by the sandbox module)
    guest.script.cancel         kill the running one (AbortCustomization_Task)
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..formats import custrecord
from ..formats.rules import HOST_LABEL_MAX, host_label_problem
from . import rpc
from .sandbox import Completed
from .states import DeployReport

TOOLS_TIMEOUT_SECONDS = 4.0  # no heartbeat for this long: tools are not running
SCRIPT_MAX_SECONDS = 3600.0
SCRIPT_MAX_ARGS = 64
SCRIPT_MAX_BYTES = 64 * 1024  # of the command line and environment together


class VmxHandler(Protocol):
    def guestinfo_get(self, key: str) -> str | None: ...

    def guestinfo_set(self, key: str, value: str) -> None: ...

    def on_guest_info(self, info: dict[str, Any]) -> None: ...

    def on_tools_state(self) -> None: ...


@dataclass(frozen=True)
class ScriptRequest:
    """A ``guest.script.run`` request, checked: absolute cwd, strings without NUL, bounded."""

    cwd: str
    env: Mapping[str, str]
    command: Sequence[str]
    timeout: float

    @classmethod
    def parse(cls, text: str) -> ScriptRequest:
        if len(text) > SCRIPT_MAX_BYTES:
            raise ValueError("request too large")
        d = json.loads(text)
        if not isinstance(d, dict):
            raise ValueError("malformed guest.script.run")
        cwd, env, command, timeout = d.get("cwd"), d.get("env"), d.get("command"), d.get("timeout")
        strings = [cwd, *(command or []), *(env or {}).keys(), *(env or {}).values()]
        if (
            not isinstance(cwd, str)
            or not isinstance(command, list)
            or not command
            or len(command) > SCRIPT_MAX_ARGS
            or not isinstance(env, dict)
            or not all(isinstance(x, str) and "\0" not in x for x in strings)
            or not cwd.startswith("/")
            or not isinstance(timeout, (int, float))
            or not 0 < timeout <= SCRIPT_MAX_SECONDS
        ):
            raise ValueError("malformed guest.script.run")
        return cls(cwd, dict(env), list(command), float(timeout))


class GuestHost(Protocol):
    """What the host does for a sandboxed live agent (the netns backend, for one guest)."""

    async def set_hostname(self, name: str) -> None: ...

    async def run_script(self, request: ScriptRequest, cancel: threading.Event) -> Completed: ...


class ToolsConnection:
    def __init__(self, handler: VmxHandler) -> None:
        self.handler = handler
        self.endpoint: rpc.Endpoint | None = None
        self.last_heartbeat = 0.0
        self.deploy_reports: asyncio.Queue[DeployReport] = asyncio.Queue()
        self.deploy_changes: dict[str, Any] | None = None  # the latest deployPkg.changes, bounded
        self.guest_host: GuestHost | None = None  # a live guest's (set by its backend at power on)
        self._script_cancel: threading.Event | None = None  # the running guest.script.run's

    def attach(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, name: str) -> None:
        self.endpoint = rpc.Endpoint(reader, writer, self.handle, name=f"vmx:{name}")
        self.endpoint.start()
        self.last_heartbeat = time.monotonic()

    @property
    def running(self) -> bool:
        return (
            self.endpoint is not None
            and not self.endpoint.closed
            and time.monotonic() - self.last_heartbeat < TOOLS_TIMEOUT_SECONDS
        )

    async def close(self) -> None:
        if self._script_cancel is not None:  # a script the agent asked for ends with its channel
            self._script_cancel.set()
        if self.endpoint is not None:
            await self.endpoint.close()

    # ------------------------------------------------------------ TCLO (host -> guest)

    async def call(self, command: str, args: bytes | str = b"", timeout: float = 30.0) -> bytes:
        if self.endpoint is None:
            raise rpc.ChannelError("tools are not connected")
        return await self.endpoint.call(command, args, timeout=timeout)

    async def authenticate(self, user: str, password: str) -> int | None:
        """The account's uid when the guest accepts the password, None when it refuses;
        rpc.ChannelError when the channel fails (that says nothing of the password)."""
        args = base64.b64encode(user.encode()) + b" " + base64.b64encode(password.encode())
        try:
            return int(await self.call("guest.auth", args))
        except rpc.Refused:
            return None

    # ------------------------------------------------------------ RPCI (guest -> host)

    async def handle(self, command: str, args: bytes) -> bytes:
        text = args.decode("utf-8", "replace")
        if command == "tools.heartbeat":
            was_running = self.running
            self.last_heartbeat = time.monotonic()
            if not was_running:
                self.handler.on_tools_state()
            return rpc.ok()
        if command == "info-get":
            value = self.handler.guestinfo_get(text.strip())
            return rpc.ok(value) if value is not None else rpc.error("No value found")
        if command == "info-set":
            key, _, value = text.partition(" ")
            self.handler.guestinfo_set(key, value)
            return rpc.ok()
        if command == "guest.info":
            self.handler.on_guest_info(json.loads(text))
            return rpc.ok()
        if command == "deployPkg.changes":  # gosc's own, just before DONE (gosc.formats.custrecord)
            self.deploy_changes = custrecord.decode(text)
            return rpc.ok()
        if command == "deployPkg.update.state":
            self.deploy_reports.put_nowait(DeployReport(text))
            return rpc.ok()
        if command in ("guest.sethostname", "guest.script.run", "guest.script.cancel") and self.guest_host is not None:
            return await self._for_live_guest(self.guest_host, command, text)
        return rpc.error(f"Unknown command {command}")

    async def _for_live_guest(self, host: GuestHost, command: str, text: str) -> bytes:
        if command == "guest.sethostname":
            if host_label_problem(text) is not None:  # not echoed: the guest's text stays out of logs
                return rpc.error(f"a host name is one DNS label: letters, digits and '-', at most {HOST_LABEL_MAX}")
            await host.set_hostname(text)
            return rpc.ok()
        if command == "guest.script.cancel":
            if self._script_cancel is not None:
                self._script_cancel.set()
            return rpc.ok()
        if self._script_cancel is not None:
            return rpc.error("a script is already running")
        try:
            request = ScriptRequest.parse(text)
        except ValueError as e:
            return rpc.error(str(e))
        self._script_cancel = cancel = threading.Event()
        try:
            done = await host.run_script(request, cancel)
        finally:
            self._script_cancel = None
        return rpc.ok(
            json.dumps(
                {
                    "outcome": done.outcome.value,
                    "returncode": done.returncode,
                    "stdout": done.stdout,
                    "stderr": done.stderr,
                }
            )
        )
