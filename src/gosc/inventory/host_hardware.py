"""What the host's hardware is: the machine gosc runs on, read once.

A gosc host stands for the machine the guests really run on, so its CPU and memory are
this machine's (``/proc/cpuinfo``, ``sysconf``); where a fact cannot be read the value
vcsim reports for its ESXi host is used instead.
"""

from __future__ import annotations

import functools
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

# vcsim's ESXi host: the fallback when /proc says nothing.
_DEFAULT_MODEL = "Intel(R) Core(TM) i7-3615QM CPU @ 2.30GHz"
_DEFAULT_MHZ = 2294
_DEFAULT_MEMORY = 4294430720
VENDOR = "VMware, Inc."
MODEL = "VMware Virtual Platform"


@dataclass(frozen=True)
class Machine:
    cpu_model: str
    cpu_mhz: int
    cores: int
    memory: int  # bytes


def _cpuinfo() -> dict[str, str]:
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in out:
            out[key.strip()] = value.strip()
    return out


@functools.cache
def machine() -> Machine:
    info = _cpuinfo()
    try:
        mhz = int(float(info.get("cpu MHz", "")))
    except ValueError:
        mhz = _DEFAULT_MHZ
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        memory = _DEFAULT_MEMORY
    return Machine(
        cpu_model=info.get("model name") or _DEFAULT_MODEL,
        cpu_mhz=mhz or _DEFAULT_MHZ,
        cores=os.cpu_count() or 2,
        memory=memory if memory > 0 else _DEFAULT_MEMORY,
    )


def host_uuid(instance_uuid: str, host_moid: str) -> str:
    """A host's hardware UUID: stable for one server's host, different between servers."""
    return str(uuid.uuid5(uuid.UUID(instance_uuid), host_moid))
