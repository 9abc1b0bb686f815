"""The seccomp filter of a sandbox that has no user namespace of its own (the live agent).

A program run by host uid 0 without any capability could still create a user namespace
(``unshare(CLONE_NEWUSER)`` needs none), get every capability inside it, mount a fresh
``/proc`` there and write root-owned ``/proc/sys`` files by mode bits alone (the kernel
checks the global uid, not capabilities).  Sandboxes with their own user namespace stop
that with bwrap's ``--disable-userns``; one without it (the live agent keeps host ids so
that its network capabilities act on the guest's network namespace) gets this filter,
loaded by bwrap (``--seccomp FD``) just before it runs the program:

* ``clone``/``unshare`` with CLONE_NEWUSER: EPERM; ``clone3`` (flags out of reach of a
  classic BPF filter): ENOSYS, so the C library falls back to ``clone``;
* ``add_key``/``keyctl``/``request_key``: EPERM (the kernel's keyrings are not namespaced:
  uid 0's user keyring is the host root's);
* x32 system calls on x86_64: ENOSYS; an unknown architecture: the process is killed.
"""

from __future__ import annotations

import errno
import platform
import struct

__all__ = ["program"]

# struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6] (little endian)
_NR, _ARCH, _ARG0_LOW = 0, 4, 16
_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _ERRNO, _KILL = 0x7FFF0000, 0x00050000, 0x80000000
CLONE_NEWUSER = 0x10000000

# machine -> (AUDIT_ARCH, {name: number}, x32 bit)
_ARCHES: dict[str, tuple[int, dict[str, int], int | None]] = {
    "x86_64": (
        0xC000003E,
        {"clone": 56, "unshare": 272, "clone3": 435, "add_key": 248, "request_key": 249, "keyctl": 250},
        0x40000000,
    ),
    "aarch64": (
        0xC00000B7,
        {"clone": 220, "unshare": 97, "clone3": 435, "add_key": 217, "request_key": 218, "keyctl": 219},
        None,
    ),
}


def program(machine: str | None = None) -> bytes:
    """The filter as bwrap reads it: an array of ``struct sock_filter``."""
    arch, nr, x32 = _ARCHES[machine or platform.machine()]
    ops: list[tuple[int, int, str | None, str | None]] = [
        (_LD_ABS, _ARCH, None, None),
        (_JEQ, arch, None, "kill"),
        (_LD_ABS, _NR, None, None),
    ]
    if x32 is not None:
        ops.append((_JGE, x32, "enosys", None))
    ops += [(_JEQ, nr[name], "eperm", None) for name in ("add_key", "request_key", "keyctl")]
    ops.append((_JEQ, nr["clone3"], "enosys", None))
    ops += [(_JEQ, nr[name], "newuser", None) for name in ("clone", "unshare")]
    ops.append((_RET, _ALLOW, None, None))
    labels = {"newuser": len(ops)}
    ops += [(_LD_ABS, _ARG0_LOW, None, None), (_JSET, CLONE_NEWUSER, "eperm", None), (_RET, _ALLOW, None, None)]
    labels["eperm"] = len(ops)
    ops.append((_RET, _ERRNO | errno.EPERM, None, None))
    labels["enosys"] = len(ops)
    ops.append((_RET, _ERRNO | errno.ENOSYS, None, None))
    labels["kill"] = len(ops)
    ops.append((_RET, _KILL, None, None))
    out = b""
    for i, (code, k, jt, jf) in enumerate(ops):
        t = labels[jt] - i - 1 if jt else 0
        f = labels[jf] - i - 1 if jf else 0
        out += struct.pack("=HBBI", code, t, f, k)
    return out
