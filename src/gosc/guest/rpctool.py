"""``gosc rpctool``: what ``vmware-rpctool`` is inside a VMware guest.

Run in the guest's view (for live guests: ``ip netns exec <guest netns> gosc rpctool``),
it sends one command through the guest's tools agent to the host and prints the answer:

    gosc rpctool --vm-uuid UUID "info-get guestinfo.app.role"
"""

from __future__ import annotations

import socket
import sys

from .agent import rpctool_address


def call(vm_uuid: str, command: str, timeout: float = 15.0) -> tuple[bool, str]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(rpctool_address(vm_uuid))
        s.sendall(command.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    status, _, result = data.rstrip(b"\n").partition(b" ")
    return status == b"1", result.decode("utf-8", "replace")


def main(vm_uuid: str, command: str) -> int:
    try:
        ok, result = call(vm_uuid, command)
    except OSError as e:
        print(f"no tools agent for VM {vm_uuid} here: {e}", file=sys.stderr)
        return 2
    print(result, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1
