"""The host ("VMX") end of a guest's tools channel.

It answers the agent's RPCIs (heartbeat, guest info, guestinfo variables, deployPkg
state) by calling the VM that owns it, and lets the server send TCLO commands.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any, Protocol

from . import rpc
from .states import DeployError, DeployState

TOOLS_TIMEOUT_SECONDS = 4.0  # no heartbeat for this long: tools are not running


class VmxHandler(Protocol):
    def guestinfo_get(self, key: str) -> str | None: ...

    def guestinfo_set(self, key: str, value: str) -> None: ...

    def on_guest_info(self, info: dict[str, Any]) -> None: ...

    def on_tools_state(self) -> None: ...


class DeployReport:
    """One ``deployPkg.update.state`` from the agent."""

    def __init__(self, args: str) -> None:
        head, _, tail = args.partition(" ")
        code, _, detail = tail.partition(" ")
        self.state = DeployState(int(head))
        self.code = DeployError(int(code or 0))
        log_path, _, self.message = detail.partition("@")
        self.log_path = log_path or None


class ToolsConnection:
    def __init__(self, handler: VmxHandler) -> None:
        self.handler = handler
        self.endpoint: rpc.Endpoint | None = None
        self.last_heartbeat = 0.0
        self.deploy_reports: asyncio.Queue[DeployReport] = asyncio.Queue()

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
        if self.endpoint is not None:
            await self.endpoint.close()

    # ------------------------------------------------------------ TCLO (host -> guest)

    async def call(self, command: str, args: bytes | str = b"", timeout: float = 30.0) -> bytes:
        if self.endpoint is None:
            raise rpc.RpcError("tools are not connected")
        return await self.endpoint.call(command, args, timeout=timeout)

    async def authenticate(self, user: str, password: str) -> int | None:
        """The account's uid when the guest accepts the password, else None."""
        args = base64.b64encode(user.encode()) + b" " + base64.b64encode(password.encode())
        try:
            return int(await self.call("guest.auth", args))
        except rpc.RpcError:
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
        if command == "deployPkg.update.state":
            self.deploy_reports.put_nowait(DeployReport(text))
            return rpc.ok()
        return rpc.error(f"Unknown command {command}")
