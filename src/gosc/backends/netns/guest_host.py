"""A running guest's processes, and what the backend does for its sandboxed agent: the
agent, with only network capabilities, may not set the host name (CAP_SYS_ADMIN) nor make
a custom script's sandbox (namespaces); the host does both in the guest's namespaces."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ...guest import sandbox
from ...guest.vmx import ScriptRequest
from .processes import OWNER_ENV, run_async

if TYPE_CHECKING:
    from ...inventory.virtual_machine import VirtualMachine


@dataclass
class Guest:
    """A running guest's processes and links."""

    vm: VirtualMachine
    holder: asyncio.subprocess.Process
    netns: str
    links: list[str] = field(default_factory=list)  # host ends, by NIC index
    link_up: list[bool] = field(default_factory=list)
    agent: subprocess.Popen[bytes] | None = None  # the sandbox's bwrap
    watcher: asyncio.Task[None] | None = None
    channel: asyncio.Server | None = None  # where a restarted agent connects
    stopping: bool = False


class GuestHost:
    """A ToolsConnection's ``guest_host`` for one guest."""

    def __init__(self, guest: Guest, root: Path, prefix: str) -> None:
        self.guest, self.root, self.prefix = guest, root, prefix

    async def set_hostname(self, name: str) -> None:
        """sethostname in the guest's UTS namespace (``name``: one DNS label, checked by the
        ToolsConnection), for its agent, which lacks CAP_SYS_ADMIN."""
        await run_async(["nsenter", "-t", str(self.guest.holder.pid), "-u", "hostname", name])

    async def run_script(self, request: ScriptRequest, cancel: threading.Event) -> sandbox.Completed:
        """A custom script's sandbox for a guest's agent: made inside the guest's namespaces,
        the guest tree as /, the guest's network, a user namespace without capabilities.
        Run in a thread of its own: a script may take minutes."""
        pid = self.guest.holder.pid
        root = self.root
        spec = sandbox.SandboxSpec(
            root=root,
            view=Path(f"/proc/{pid}/root") / root.relative_to("/"),
            cwd=request.cwd,
            env=request.env,
            network=sandbox.Network.JOIN_CURRENT,
            enter=pid,
            host_env={OWNER_ENV: self.prefix},
        )
        loop = asyncio.get_running_loop()
        done: asyncio.Future[sandbox.Completed] = loop.create_future()

        def settle(result: sandbox.Completed | None, exc: BaseException | None) -> None:
            if done.done():
                return
            if exc is not None:
                done.set_exception(exc)
            else:
                assert result is not None
                done.set_result(result)

        def work() -> None:
            try:
                result = sandbox.run(spec, request.command, request.timeout, cancel)
            except BaseException as e:
                # passed now: Python unbinds ``e`` when the except block ends, before the loop runs this
                loop.call_soon_threadsafe(settle, None, e)
            else:
                loop.call_soon_threadsafe(settle, result, None)

        threading.Thread(target=work, name=f"gosc-script-{self.guest.vm.moId}", daemon=True).start()
        try:
            return await done
        except asyncio.CancelledError:
            cancel.set()
            raise
