"""govc 0.24's guest.* commands against gosc: programs, processes, files, transfers.

The binary is REPO/.cache/bin/govc (scripts/setup puts it there); without it these tests
fail and say so.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer
from tests.support.specs import instant_clone_body
from tests.support.vijson import ViClient

REPO = Path(__file__).resolve().parents[3]
GOVC = REPO / ".cache" / "bin" / "govc"
LOGIN = "root:VMware1!"
_names = itertools.count(1)


@pytest.fixture(scope="module")
def vm_path(server: GoscServer) -> str:
    """A fresh instant clone of demo-ubuntu, running, for this module to change."""
    vi = ViClient(server.url)
    vi.login(ADMIN, ADMIN_PASSWORD)
    name = f"govc-guest-{next(_names)}"
    src = vi.find("DC0/vm/demo-ubuntu")
    assert src is not None
    info = vi.wait_task(vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body(name)))
    assert info["state"] == "success", info
    vi.http.close()
    return f"/DC0/vm/{name}"


def govc(
    server: GoscServer, *args: str, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    if not GOVC.is_file():
        pytest.fail(f"govc 0.24 is not at {GOVC}: run scripts/setup (or copy a govc 0.24 binary there)")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "GOVC_URL": f"https://127.0.0.1:{server.port}/sdk",
        "GOVC_USERNAME": ADMIN,
        "GOVC_PASSWORD": ADMIN_PASSWORD,
        "GOVC_INSECURE": "1",
    }
    r = subprocess.run([str(GOVC), *args], env=env, capture_output=True, text=True, timeout=300)
    assert "panic:" not in r.stderr, r.stderr
    if check:
        assert r.returncode == 0, f"govc {' '.join(args)}: {r.stderr.strip()}"
    return r


def guest(server: GoscServer, vm: str, cmd: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return govc(server, f"guest.{cmd}", "-vm", vm, "-l", LOGIN, *args, check=check)


def test_run_prints_the_output_and_passes_the_exit_code(server: GoscServer, vm_path: str) -> None:
    assert guest(server, vm_path, "run", "/bin/echo", "hello", "guest").stdout == "hello guest\n"
    assert guest(server, vm_path, "run", "/bin/cat", "/etc/hostname").stdout.strip()
    failed = guest(server, vm_path, "run", "/bin/sh", "-c", "'exit 7'", check=False)
    assert failed.returncode == 7
    piped = guest(server, vm_path, "run", "-d", "from stdin", "/bin/cat")
    assert piped.stdout == "from stdin"


def test_start_ps_and_kill(server: GoscServer, vm_path: str) -> None:
    pid = guest(server, vm_path, "start", "/bin/sleep", "600").stdout.strip()
    assert pid.isdigit()
    listed = guest(server, vm_path, "ps", "-p", pid, "-x").stdout
    assert pid in listed and "sleep" in listed
    guest(server, vm_path, "kill", "-p", pid)
    ended = guest(server, vm_path, "ps", "-p", pid, "-x", "-X").stdout
    assert "137" in ended.splitlines()[-1]
    done = guest(server, vm_path, "start", "/bin/true").stdout.strip()
    assert guest(server, vm_path, "ps", "-p", done, "-x", "-X").stdout.splitlines()[-1].split()[4] == "0"


def test_files(server: GoscServer, vm_path: str, tmp_path: Path) -> None:
    guest(server, vm_path, "mkdir", "-p", "/tmp/govc/a/b")
    local = tmp_path / "up.bin"
    local.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    guest(server, vm_path, "upload", "-perm", "0600", str(local), "/tmp/govc/a/up.bin")
    refused = guest(server, vm_path, "upload", str(local), "/tmp/govc/a/up.bin", check=False)
    assert refused.returncode != 0 and "already exists" in refused.stderr
    guest(server, vm_path, "upload", "-f", str(local), "/tmp/govc/a/up.bin")
    ls = guest(server, vm_path, "ls", "/tmp/govc/a").stdout
    assert "up.bin" in ls and "-rw-------" in ls and "b" in guest(server, vm_path, "ls", "-s", "/tmp/govc/a").stdout
    back = tmp_path / "back.bin"
    guest(server, vm_path, "download", "/tmp/govc/a/up.bin", str(back))
    assert back.read_bytes() == local.read_bytes()
    guest(server, vm_path, "mv", "/tmp/govc/a/up.bin", "/tmp/govc/moved.bin")
    guest(server, vm_path, "mv", "/tmp/govc/a", "/tmp/govc/dir")  # a directory: govc retries with MoveDirectory
    assert guest(server, vm_path, "ls", "-s", "/tmp/govc").stdout.split() == ["dir", "moved.bin"]
    guest(server, vm_path, "rm", "/tmp/govc/moved.bin")
    missing = guest(server, vm_path, "rm", "/tmp/govc/moved.bin", check=False)
    assert missing.returncode != 0 and "not found" in missing.stderr.lower()


def test_getenv_and_mktemp(server: GoscServer, vm_path: str) -> None:
    env = guest(server, vm_path, "getenv", "HOME", "USER").stdout.split()
    assert env == ["HOME=/root", "USER=root"]
    tmp = guest(server, vm_path, "mktemp").stdout.strip()
    assert tmp.startswith("/tmp/") and tmp != "/tmp/"
    tdir = guest(server, vm_path, "mktemp", "-d").stdout.strip()
    assert tdir.startswith("/tmp/") and tdir != tmp
    names = guest(server, vm_path, "ls", "-s", "/tmp").stdout.split()
    assert os.path.basename(tmp) in names and os.path.basename(tdir) in names


def test_wrong_password_is_a_clear_error(server: GoscServer, vm_path: str) -> None:
    r = govc(server, "guest.ls", "-vm", vm_path, "-l", "root:wrong", "/", check=False)
    assert r.returncode != 0 and "Failed to authenticate" in r.stderr
