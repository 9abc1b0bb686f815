"""A broken tools channel is a system error, never a statement about the guest login.

The guest's side of the channel here is a real rpc.Endpoint on a socketpair that answers
``guest.auth`` as the agent does (``1 <uid>`` / ``0 invalid login``) or dies mid-request
(the connection closes, as when the agent process is killed).
"""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from gosc.guest import rpc
from gosc.guest.states import DeployError, DeployReport, DeployState, FailureKind, update_state
from gosc.guest.vmx import ToolsConnection
from gosc.inventory.guest_customization_manager import GuestCustomizationManager, failure_event

GuestSide = Callable[[str, bytes], Awaitable[bytes]]


class _Handler:
    def guestinfo_get(self, key: str) -> str | None:
        return None

    def guestinfo_set(self, key: str, value: str) -> None:
        pass

    def on_guest_info(self, info: dict[str, Any]) -> None:
        pass

    def on_tools_state(self) -> None:
        pass


class _Vm:
    """What CustomizeGuest_Task's login step reads of a VM: its name and tools."""

    def __init__(self, tools: ToolsConnection) -> None:
        self.name, self.tools = "vm-test", tools


async def _connected(guest_side: Callable[[rpc.Endpoint], GuestSide]) -> tuple[ToolsConnection, rpc.Endpoint]:
    host_sock, guest_sock = socket.socketpair()
    tools = ToolsConnection(_Handler())
    reader, writer = await asyncio.open_connection(sock=host_sock)
    tools.attach(reader, writer, "test")
    g_reader, g_writer = await asyncio.open_connection(sock=guest_sock)
    holder: list[rpc.Endpoint] = []

    async def handle(command: str, args: bytes) -> bytes:
        return await guest_side(holder[0])(command, args)

    guest = rpc.Endpoint(g_reader, g_writer, handle, name="guest")
    holder.append(guest)
    guest.start()
    return tools, guest


def _agent(uid: int | None) -> Callable[[rpc.Endpoint], GuestSide]:
    def side(endpoint: rpc.Endpoint) -> GuestSide:
        async def handle(command: str, args: bytes) -> bytes:
            return rpc.error("invalid login") if uid is None else rpc.ok(str(uid))

        return handle

    return side


def _dying_agent(endpoint: rpc.Endpoint) -> GuestSide:
    async def handle(command: str, args: bytes) -> bytes:
        await endpoint.close()  # the agent dies with the request unanswered
        await asyncio.Event().wait()
        return rpc.ok()

    return handle


def _auth() -> Any:
    return vim.vm.guest.NamePasswordAuthentication(username="root", password="VMware1!")


async def _login(tools: ToolsConnection) -> None:
    manager = GuestCustomizationManager.__new__(GuestCustomizationManager)  # _login reads no state of its own
    await manager._login(_Vm(tools), _auth())  # type: ignore[arg-type]


def test_a_refused_password_is_invalid_guest_login() -> None:
    async def run() -> None:
        tools, _ = await _connected(_agent(None))
        assert await tools.authenticate("root", "wrong") is None
        with pytest.raises(vim.fault.InvalidGuestLogin):
            await _login(tools)

    asyncio.run(run())


def test_an_accepted_password_logs_in() -> None:
    async def run() -> None:
        tools, _ = await _connected(_agent(0))
        assert await tools.authenticate("root", base64.b64encode(b"x").decode()) == 0
        await _login(tools)

    asyncio.run(run())


def test_an_agent_that_dies_during_the_login_is_a_system_error() -> None:
    async def run() -> None:
        tools, _ = await _connected(_dying_agent)
        with pytest.raises(rpc.ChannelError):
            await tools.authenticate("root", "VMware1!")
        tools2, _ = await _connected(_dying_agent)
        with pytest.raises(vmodl.fault.SystemError) as info:
            await _login(tools2)
        assert "channel" in info.value.reason and "VMware1!" not in info.value.msg

    asyncio.run(run())


def test_tools_not_connected_is_a_system_error_not_a_login_failure() -> None:
    async def run() -> None:
        tools = ToolsConnection(_Handler())  # never attached: no agent at all
        with pytest.raises(vmodl.fault.SystemError):
            await _login(tools)

    asyncio.run(run())


@pytest.mark.parametrize(
    ("kind", "event"),
    [
        (FailureKind.NETWORK, vim.event.CustomizationNetworkSetupFailed),
        (FailureKind.IDENTITY, vim.event.CustomizationLinuxIdentityFailed),
        (FailureKind.SYSPREP, vim.event.CustomizationSysprepFailed),
        (FailureKind.SCRIPT, vim.event.CustomizationFailed),
        (FailureKind.CHANNEL, vim.event.CustomizationUnknownFailure),
        (FailureKind.UNKNOWN, vim.event.CustomizationUnknownFailure),
    ],
)
def test_the_failure_kind_travels_typed_to_the_event(kind: FailureKind, event: type) -> None:
    text = update_state(DeployState.DONE, DeployError.DEPLOY_FAILED, "/var/log/x.log", kind, "a: b: c")
    report = DeployReport(text)
    assert (report.kind, report.message, report.log_path) == (kind, "a: b: c", "/var/log/x.log")
    assert type(failure_event(report)) is event


def test_a_report_without_a_kind_is_unknown() -> None:
    """VMware's own tools send a message without gosc's kind prefix."""
    report = DeployReport("5 5 @something broke")
    assert (report.kind, report.message) == (FailureKind.UNKNOWN, "something broke")
    assert DeployReport(update_state(DeployState.DONE)).kind is None
