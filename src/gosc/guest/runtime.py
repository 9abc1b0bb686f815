"""The gosc tools runtime a live guest sees under ``/usr/lib/gosc-tools`` (read-only), and
the sandbox its tools agent runs in.

As VMware Tools lives inside a guest, the agent of a live guest (``gosc.guest.agent_process``)
runs from files inside the guest's ``/``; nothing else of the host is visible.  The host
binds, read-only, exactly what the agent needs into one tmpfs directory (``TOOLS_DIR``):

    lib/<loader>            the host's dynamic loader (ld-linux-*.so.*)
    lib/<soname>            the shared libraries ``ldd`` names for the interpreter, the
                            extension modules the agent uses and ``ip``
    lib/python3.X/          the interpreter's standard library (its lib-dynload inside;
                            its own site-packages masked by an empty read-only tmpfs)
    bin/python3, bin/ip     the interpreter the server runs and iproute2's ``ip``
    site/gosc, site/yaml    gosc's source and the one third-party package it needs

Programs start through the loader (``tool_argv``), so the guest's own libc and loader are
never mixed with the host's and the binaries' own paths do not matter.  ``agent_spec`` is
the agent's sandbox (gosc.guest.sandbox): made inside the guest's network, UTS and mount
namespaces (``nsenter`` into its holder), the guest tree as ``/``, its own mount, PID and
IPC namespaces, no user namespace, only CAP_NET_ADMIN, CAP_NET_RAW and
CAP_NET_BIND_SERVICE, ``no_new_privs``, a read-only ``/proc``.

By hand (an agent restarted in a running guest, as one restarts vmtoolsd)::

    sudo .venv/bin/python -m gosc.guest.runtime --holder PID --root <data>/guests/<uuid>/root \\
         --vm-id <uuid> --connect <data>/netns/<moId>.tools.sock

connects to the VM's tools channel on the host and hands the connected socket to the
sandboxed agent (the channel's path is never visible in the guest).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from .sandbox import DEFAULT_PATH, Bind, Network, SandboxSpec, popen

TOOLS_DIR = "/usr/lib/gosc-tools"
AGENT_CAPS = ("CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_NET_BIND_SERVICE")  # addresses and routes; DHCP's port 68
# Extension modules the agent imports (asyncio, sockets, the engine, guestpath's ctypes,
# tarfile/zipfile of deploy packages): their libraries are bound; the stdlib's others are
# present but may miss theirs.  tests/security/test_live_agent.py checks the list.
# ``_crypt`` is not imported: it names libcrypt.so.1, which gosc.guest.libxcrypt dlopens.
AGENT_EXTENSIONS = (
    "_asyncio",
    "_bisect",
    "_blake2",
    "_bz2",
    "_contextvars",
    "_crypt",
    "_ctypes",
    "_datetime",
    "_hashlib",
    "_heapq",
    "_json",
    "_lzma",
    "_opcode",
    "_posixsubprocess",
    "_queue",
    "_random",
    "_sha512",
    "_socket",
    "_ssl",
    "_struct",
    "_typing",
    "_uuid",
    "_zoneinfo",
    "array",
    "binascii",
    "fcntl",
    "grp",
    "math",
    "pyexpat",
    "select",
    "zlib",
)
THIRD_PARTY = ("yaml",)  # netplan files
_LDD_LINE = re.compile(r"^\s*(?:(\S+) => )?(/\S+) \(0x[0-9a-f]+\)$")


@dataclass(frozen=True)
class ToolsRuntime:
    """The binds that make TOOLS_DIR, found once on the host (``discover``)."""

    binds: tuple[Bind, ...]
    masks: tuple[str, ...]
    loader: str  # its file name in TOOLS_DIR/lib

    @classmethod
    def discover(cls) -> ToolsRuntime:
        python = Path(os.path.realpath(sys.executable))
        ip = shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin")
        if ip is None:
            raise RuntimeError("iproute2's ip is not installed on the gosc host")
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        dynload = Path(sysconfig.get_config_var("DESTSHARED") or stdlib / "lib-dynload")
        lib = f"{TOOLS_DIR}/lib"
        std_dest = f"{lib}/{stdlib.name}"
        binds = [
            Bind(python, f"{TOOLS_DIR}/bin/python3"),
            Bind(Path(os.path.realpath(ip)), f"{TOOLS_DIR}/bin/ip"),
            Bind(stdlib, std_dest),
        ]
        if dynload.parent != stdlib:  # a distribution that keeps it elsewhere: shown where PYTHONHOME expects it
            binds.append(Bind(dynload, f"{std_dest}/lib-dynload"))
        elfs = [python, Path(ip), *(p for m in AGENT_EXTENSIONS for p in dynload.glob(f"{m}.*.so"))]
        for name in THIRD_PARTY:
            spec = __import__(name)
            pkg = Path(str(spec.__file__)).parent
            binds.append(Bind(pkg, f"{TOOLS_DIR}/site/{name}"))
            elfs += pkg.glob("*.so")
        import gosc

        binds.append(Bind(Path(gosc.__file__).parent, f"{TOOLS_DIR}/site/gosc"))
        libs = _shared_libraries(elfs)
        for soname, path in libs.items():
            binds.append(Bind(path, f"{lib}/{soname}"))
        masks = (f"{std_dest}/site-packages",) if (stdlib / "site-packages").is_dir() else ()
        return cls(tuple(binds), masks, min(n for n in libs if n.startswith("ld-linux")))


def _shared_libraries(elfs: list[Path]) -> dict[str, Path]:
    """soname -> host file, for everything ``ldd`` names (the loader included)."""
    out = subprocess.run(["ldd", *map(str, elfs)], capture_output=True, text=True, check=False).stdout
    libs: dict[str, Path] = {}
    for line in out.splitlines():
        m = _LDD_LINE.match(line)
        if m:
            path = Path(m.group(2))
            libs.setdefault(m.group(1) or path.name, Path(os.path.realpath(path)))
    if not any(name.startswith("ld-linux") for name in libs):
        raise RuntimeError("ldd named no dynamic loader for the gosc tools runtime")
    return libs


def tool_argv(loader: str, name: str, *args: str, tools_dir: str = TOOLS_DIR) -> list[str]:
    """The command line of a runtime program (``python3``, ``ip``) inside the guest:
    ``loader`` is the loader's file name in ``<tools_dir>/lib`` (``guest_loader``)."""
    lib = f"{tools_dir}/lib"
    return [f"{lib}/{loader}", "--library-path", lib, f"{tools_dir}/bin/{name}", *args]


def guest_loader(tools_dir: str = TOOLS_DIR) -> str:
    """The loader's file name, as the agent finds it in its own runtime."""
    loaders = sorted(n for n in os.listdir(f"{tools_dir}/lib") if n.startswith("ld-linux"))
    if not loaders:
        raise RuntimeError(f"no dynamic loader in {tools_dir}/lib")
    return loaders[0]


def agent_spec(runtime: ToolsRuntime, holder: int, root: Path, extra_env: dict[str, str]) -> SandboxSpec:
    """The live agent's sandbox: ``root`` is the guest tree in the holder's mount namespace."""
    env = {
        "PATH": DEFAULT_PATH,
        "LANG": "C",
        "PYTHONHOME": TOOLS_DIR,
        "PYTHONPATH": f"{TOOLS_DIR}/site",
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra_env,
    }
    return SandboxSpec(
        root=root,
        view=Path(f"/proc/{holder}/root") / root.relative_to("/"),
        env=env,
        network=Network.JOIN_CURRENT,
        own_uts=False,
        userns=False,
        capabilities=AGENT_CAPS,
        enter=holder,
        tools_dir=TOOLS_DIR,
        ro_binds=runtime.binds,
        masks=runtime.masks,
        host_env=extra_env,
    )


def agent_command(runtime: ToolsRuntime, vm_id: str, fd: int) -> list[str]:
    """The agent's command line in its sandbox: the guest tree is its ``/``."""
    return tool_argv(
        runtime.loader,
        "python3",
        "-B",
        "-S",
        "-m",
        "gosc.guest.agent_process",
        "--root",
        "/",
        "--vm-id",
        vm_id,
        "--fd",
        str(fd),
        "--tools-dir",
        TOOLS_DIR,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gosc-agent-restart", description="start a live guest's tools agent by hand")
    p.add_argument("--holder", type=int, required=True, help="a pid in the guest's namespaces (its holder)")
    p.add_argument("--root", required=True, help="the guest tree, as mounted in the holder's mount namespace")
    p.add_argument("--vm-id", required=True, help="the VM's instanceUuid")
    p.add_argument("--connect", required=True, help="the VM's tools channel, <data>/netns/<moId>.tools.sock")
    args = p.parse_args(argv)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(args.connect)
        owner = {k: v for k, v in os.environ.items() if k == "GOSC_NETNS_OWNER"}
        runtime = ToolsRuntime.discover()
        spec = agent_spec(runtime, args.holder, Path(args.root), owner)
        proc = popen(spec, agent_command(runtime, args.vm_id, sock.fileno()), pass_fds=(sock.fileno(),))
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
