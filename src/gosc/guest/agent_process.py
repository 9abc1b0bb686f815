"""The tools agent of a live guest, as its own process (``python -m gosc.guest.agent_process``).

The netns backend starts it in a sandbox inside the guest's network and UTS namespaces,
with the guest tree as its ``/`` (``--root /``) and its runtime under ``--tools-dir``
(gosc.guest.runtime; the agent imports nothing else: no pyVmomi).  It talks to the server's
ToolsConnection over a Unix stream socket with the framing of gosc.guest.rpc: either an
inherited, already connected socket (``--fd N``, what the backend uses: no socket file to
clean up) or a socket path to connect to (``--connect PATH``).

It boots the guest's network from its files (gosc.guest.live) before its first heartbeat
(the host name through the host: ``guest.sethostname``), then serves TCLO until
the channel closes, and re-reports guest info when the live namespace changes (a lease
expiring, an address added by hand with ``ip netns exec``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import socket
import sys
from pathlib import Path

from . import rpc
from .agent import ToolsAgent
from .live import LiveGuest
from .runtime import guest_loader, tool_argv

REPORT_SECONDS = 2.0


async def run(
    root: Path, fd: int | None, path: str | None, vm_id: str | None = None, tools_dir: str | None = None
) -> int:
    if fd is not None:
        sock = socket.socket(fileno=fd)
        reader, writer = await asyncio.open_unix_connection(sock=sock)
    else:
        assert path is not None
        reader, writer = await asyncio.open_unix_connection(path)
    agent = ToolsAgent(root, vm_id=vm_id)
    ip = tool_argv(guest_loader(tools_dir), "ip", tools_dir=tools_dir) if tools_dir else ["ip"]
    live = LiveGuest(root, ip=ip, set_hostname=agent.set_hostname_on_host)
    agent.live = live
    endpoint = agent.attach(reader, writer, boot=lambda: asyncio.to_thread(live.boot))
    last = None
    while True:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(endpoint.wait_closed(), REPORT_SECONDS)
        if endpoint.closed:
            break
        try:
            info = await asyncio.to_thread(live.guest_info)
            if info != last:
                await endpoint.call("guest.info", json.dumps(info))
                last = info
        except (rpc.RpcError, OSError, ValueError):
            pass
    await agent.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gosc-agent", description="gosc tools agent for a guest in namespaces")
    p.add_argument("--root", required=True, help="the guest tree (its / as the guest sees it)")
    p.add_argument("--vm-id", help="the VM's instanceUuid: names the rpctool socket")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--fd", type=int, help="an inherited, connected Unix stream socket")
    g.add_argument("--connect", help="a Unix socket path to connect to")
    p.add_argument("--tools-dir", help="the gosc tools runtime in the guest (programs run through its loader)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s agent %(levelname)s %(name)s: %(message)s")
    return asyncio.run(run(Path(args.root), args.fd, args.connect, args.vm_id, args.tools_dir))


if __name__ == "__main__":
    sys.exit(main())
