"""gosc.guest.guestpath on its own: every operation stays inside the guest root, with the
kernel's openat2(RESOLVE_IN_ROOT) and with the O_NOFOLLOW component walk alike.

Each test runs twice (``mode``): "openat2" and "walk" (the fallback, forced).  A host
canary directory sits beside the guest; the absolute symlinks in the guest name it by
its real host path, so a host-side resolution would reach it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gosc.guest.guestpath import MAX_HOPS, GuestPathError, GuestRoot, Kind
from tests.support.guest_canary import CANARY_TEXT, make_canary, snapshot


@pytest.fixture(params=["openat2", "walk"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def host(tmp_path: Path) -> Path:
    return make_canary(tmp_path)


@pytest.fixture
def root(tmp_path: Path, host: Path) -> Path:
    r = tmp_path / "guest"
    (r / "etc").mkdir(parents=True)
    (r / "run" / "vmware-imc" / "pkg").mkdir(parents=True)
    (r / "run" / "vmware-imc" / "pkg" / "cust.cfg").write_bytes(b"guest package\n")
    (r / "var").mkdir()
    (r / "etc" / "hostname").write_text("guest-name\n")
    (r / "var" / "run").symlink_to("/run")  # as on Debian
    (r / "hostdir").symlink_to(host)  # a host path, absolute: means <guest>/<that path>
    (r / "etc" / "host-secret").symlink_to(host / "secret")
    (r / "up").symlink_to("../../../../../..")
    return r


@pytest.fixture
def guest(root: Path, mode: str) -> Iterator[GuestRoot]:
    g = GuestRoot(root, use_openat2=mode == "openat2")
    if mode == "openat2":
        assert GuestRoot(root).uses_openat2, "this kernel has openat2: the default must use it"
    with g:
        yield g


def kind_of(fn: object, *args: object) -> Kind:
    with pytest.raises(GuestPathError) as info:
        fn(*args)  # type: ignore[operator]
    return info.value.kind


def test_absolute_links_and_dotdot_stay_in_the_guest(guest: GuestRoot, root: Path, host: Path) -> None:
    assert guest.read_text("/etc/host-secret") is None  # <guest><host>/secret does not exist
    assert guest.read_bytes("/hostdir/secret") is None
    assert guest.read_text("/up/etc/hostname") == "guest-name\n"
    assert guest.read_text("../../../../etc/hostname") == "guest-name\n"
    assert guest.read_text(f"/etc/../../..{root}/etc/hostname") is None
    assert guest.listdir("/var/run") == ["vmware-imc"]
    assert guest.listdir("/hostdir") == [] and guest.listdir("/up") == sorted(os.listdir(root))
    (root / "etc" / "hn").symlink_to("/etc/hostname")
    assert guest.read_text("etc/hn") == "guest-name\n"
    assert guest.realpath("/var/run/vmware-imc/pkg") == "/run/vmware-imc/pkg"
    assert guest.host_path("/var/run/vmware-imc") == root / "run/vmware-imc"


def test_loops_and_the_hop_limit(guest: GuestRoot, root: Path) -> None:
    (root / "etc" / "a").symlink_to("b")
    (root / "etc" / "b").symlink_to("/etc/a")
    (root / "self").symlink_to("self")
    for p in ("/etc/a", "/self", "/self/x", "/etc/a/hostname"):
        assert kind_of(guest.stat, p) is Kind.LOOP
        assert kind_of(guest.write_atomic, p + "/f", b"x") in (Kind.LOOP,)
    # a chain of exactly MAX_HOPS links resolves (as in the kernel); one more is a loop
    for i in range(MAX_HOPS + 1):
        (root / f"c{i}").symlink_to(f"c{i + 1}" if i < MAX_HOPS else "etc/hostname")
    assert guest.read_text("/c1") == "guest-name\n"  # MAX_HOPS links
    assert kind_of(guest.stat, "/c0") is Kind.LOOP  # MAX_HOPS + 1 links
    with pytest.raises(GuestPathError) as raised:
        guest.stat("/c0")
    err = raised.value
    assert "symbolic links" in str(err) and err.path == "/c0"


def test_writes_go_through_symlinked_parents_into_the_guest(guest: GuestRoot, root: Path, host: Path) -> None:
    before = snapshot(host)
    guest.write_atomic("/var/run/vmware-imc/new/cust.cfg", b"x", 0o600)
    # hostdir -> <host path>: dangling in the guest, so "mkdir -p" through it fails as in Linux
    assert kind_of(guest.write_atomic, "/hostdir/log/vmware-imc/toolsDeployPkg.log", b"log") is Kind.NOT_FOUND
    (root / str(host).lstrip("/")).mkdir(parents=True)  # the guest's own directory of that name
    guest.write_atomic("/hostdir/log/vmware-imc/toolsDeployPkg.log", b"log")
    guest.mkdir("/hostdir/made", parents=True)
    guest.write_atomic("/up/up/etc/motd", b"m")
    assert (root / "run/vmware-imc/new/cust.cfg").read_bytes() == b"x"
    assert stat.S_IMODE((root / "run/vmware-imc/new/cust.cfg").stat().st_mode) == 0o600
    assert (root / str(host).lstrip("/") / "log/vmware-imc/toolsDeployPkg.log").read_bytes() == b"log"
    assert (root / "etc/motd").read_bytes() == b"m"
    assert snapshot(host) == before
    assert not [p for p in (root / "etc").iterdir() if p.name.endswith(".gosc-tmp")]


def test_the_final_component_is_never_followed_by_a_write(guest: GuestRoot, root: Path, host: Path) -> None:
    before = snapshot(host)
    assert kind_of(guest.open, "/etc/host-secret", os.O_WRONLY | os.O_APPEND | os.O_CREAT) is Kind.SYMLINK
    assert kind_of(guest.chmod, "/etc/host-secret", 0o777) is Kind.SYMLINK
    guest.write_atomic("/etc/host-secret", b"replaced")  # the link is replaced, not followed
    assert not (root / "etc/host-secret").is_symlink()
    (root / "etc/l2").symlink_to(host / "secret")
    guest.unlink("/etc/l2")
    assert not os.path.lexists(root / "etc/l2")
    (root / "etc/l3").symlink_to(host / "secret")
    guest.rename("/etc/l3", "/var/run/l3")  # the link moves; its target is untouched
    assert (root / "run/l3").is_symlink()
    assert snapshot(host) == before


def test_rmtree_never_leaves_the_guest(guest: GuestRoot, root: Path, host: Path) -> None:
    before = snapshot(host)
    (root / "run/vmware-imc/pkg/to-host").symlink_to(host)
    (root / "run/vmware-imc/pkg/to-host-imc").symlink_to(host / "vmware-imc")
    guest.rmtree("/var/run/vmware-imc")  # through var/run -> /run: the guest's run/
    assert not (root / "run/vmware-imc").exists() and (root / "run").is_dir()
    (root / "run/imc-link").symlink_to(host / "vmware-imc")
    guest.rmtree("/var/run/imc-link")  # a link at the top is unlinked, its target kept
    assert not os.path.lexists(root / "run/imc-link")
    guest.rmtree("/hostdir/vmware-imc")  # <guest><host>/vmware-imc: absent, nothing happens
    assert snapshot(host) == before


def test_reads_refuse_what_is_not_a_regular_file(guest: GuestRoot, root: Path) -> None:
    os.mkfifo(root / "etc/fifo")
    (root / "etc/fifo-link").symlink_to("/etc/fifo")
    assert guest.read_bytes("/etc/fifo") is None  # never blocks on a FIFO
    assert guest.read_bytes("/etc/fifo-link") is None
    assert guest.read_bytes("/etc") is None
    assert guest.read_bytes("/etc/hostname/x") is None
    assert guest.read_bytes("/etc/host-secret", follow=False) is None
    (root / "etc/hn").symlink_to("/etc/hostname")
    assert guest.read_bytes("/etc/hn", follow=False) is None and guest.read_bytes("/etc/hn") == b"guest-name\n"


def test_queries_and_bad_paths(guest: GuestRoot, root: Path) -> None:
    assert guest.exists("/var/run/vmware-imc") and guest.is_dir("/var/run") and guest.is_symlink("/var/run")
    assert not guest.is_symlink("/run") and guest.is_file("/etc/hostname") and not guest.exists("/etc/host-secret")
    assert guest.lexists("/etc/host-secret") and guest.readlink("/var/run") == "/run"
    assert stat.S_ISLNK(guest.lstat("/var/run").st_mode) and stat.S_ISDIR(guest.stat("/var/run").st_mode)
    assert kind_of(guest.read_bytes, "/etc/\0hostname") is Kind.INVALID
    assert kind_of(guest.unlink, "/") is Kind.INVALID
    assert kind_of(guest.unlink, "/etc/..") is Kind.INVALID
    assert kind_of(guest.stat, "/nope") is Kind.NOT_FOUND
    assert kind_of(guest.mkdir, "/etc") is Kind.EXISTS
    assert kind_of(guest.unlink, "/nope") is Kind.NOT_FOUND
    guest.mkdir("/etc", exist_ok=True)
    guest.mkdir("/", exist_ok=True)
    assert isinstance(GuestPathError(Kind.LOOP, "/x", "loop"), OSError)


def test_a_subroot_confines_its_own_links(guest: GuestRoot, root: Path) -> None:
    (root / "run/vmware-imc/pkg/script.sh").symlink_to("/etc/hostname")
    (root / "run/vmware-imc/pkg/up").symlink_to("../../..")
    with guest.subroot("/var/run/vmware-imc/pkg") as pkg:
        assert pkg.path == root / "run/vmware-imc/pkg"
        assert pkg.read_bytes("cust.cfg") == b"guest package\n"
        assert pkg.read_bytes("script.sh") is None  # the package's /etc/hostname, absent
        assert pkg.listdir("up") == sorted(os.listdir(root / "run/vmware-imc/pkg"))
        assert pkg.uses_openat2 is guest.uses_openat2


@pytest.mark.skipif(shutil.which("unshare") is None, reason="util-linux unshare")
def test_magic_links_of_a_live_guests_proc_stay_inside(guest: GuestRoot, root: Path, mode: str) -> None:
    """A live guest has /proc mounted in its tree: /proc/self/root is a magic link to the
    HOST's root for the agent.  openat2 refuses magic links (RESOLVE_NO_MAGICLINKS); the walk
    reads the link's text ("/") and resolves it inside the guest."""
    (root / "proc").mkdir()
    script = f"""
import subprocess, sys
from gosc.guest.guestpath import GuestRoot, GuestPathError
subprocess.run(["mount", "-t", "proc", "proc", {str(root / "proc")!r}], check=True)
with GuestRoot({str(root)!r}, use_openat2={mode == "openat2"}) as g:
    try:
        data = g.read_bytes("/proc/self/root/etc/hostname")
    except GuestPathError as e:
        data = e.kind.name.encode()
sys.stdout.write(repr(data))
"""
    out = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # /etc/hostname of the host is never read: the guest's own file, or a refusal
    assert out in ("b'guest-name\\n'", "b'LOOP'"), out
    assert CANARY_TEXT.decode() not in out
