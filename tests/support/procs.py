"""Processes of this machine, seen through /proc: whether a guest's script still runs (guest
programs run in sandboxes and namespaces, but their processes are the host kernel's)."""

from __future__ import annotations

import os
from pathlib import Path

# The custom script the abort and cancel tests start: it would run for an hour, so a test
# that sees the task end and this process gone knows the abort killed it.
ENDLESS_SCRIPT = "#!/bin/sh\nsleep 3600\n"
ENDLESS_CMDLINE = b"sleep\x003600\x00"


def running(cmdline: bytes) -> bool:
    """Is a process with exactly this command line (NUL-separated, as /proc has it) running?"""
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if Path(f"/proc/{p}/cmdline").read_bytes() == cmdline:
                    return True
            except OSError:  # gone meanwhile
                pass
    return False
