"""End to end on a real Debian 12 tree made by debootstrap: the engine's files are read
by the guest's own tools (ifupdown, glibc's resolver, date) run inside it with chroot.

The tree is cached outside the repository in /var/cache/gosc-debootstrap/bookworm
(built once, about 20 s, from the Debian mirror in the machine's own apt sources); each
test works on a copy.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gosc.formats.custcfg import parse, render
from gosc.guest import shadow
from gosc.guest.engine import apply
from tests.conftest import guest_root
from tests.support.server import GoscServer
from tests.support.specs import customize_body, instant_clone_body, linux_spec
from tests.support.vijson import ViClient

from .guest_helpers import STATIC_2NIC

CACHE = Path(os.environ.get("GOSC_DEBOOTSTRAP_CACHE", "/var/cache/gosc-debootstrap"))
SUITE = "bookworm"
APT_SOURCES = (Path("/etc/apt/sources.list.d"), Path("/etc/apt/sources.list"))


def apt_mirror(suite: str = SUITE) -> str:
    """The machine's own Debian mirror for ``suite``: the first deb822 ``URIs`` (or
    one-line ``deb``) entry whose suites name it, as apt itself would use."""
    files = sorted(APT_SOURCES[0].glob("*.sources")) + sorted(APT_SOURCES[0].glob("*.list")) + [APT_SOURCES[1]]
    for f in files:
        if not f.is_file():
            continue
        text = f.read_text(errors="replace")
        if f.suffix == ".sources":
            for stanza in text.split("\n\n"):
                fields = dict(
                    line.split(":", 1) for line in stanza.splitlines() if ":" in line and not line.startswith("#")
                )
                if fields.get("Types", "").split() == ["deb"] and suite in fields.get("Suites", "").split():
                    return fields["URIs"].split()[0]
        else:
            for line in text.splitlines():
                words = [w for w in line.split() if not w.startswith("[")]
                if len(words) >= 3 and words[0] == "deb" and words[2] == suite:
                    return words[1]
    raise AssertionError(f"no apt source for {suite} on this machine: debootstrap has no mirror to use")


MACS = ("00:50:56:a6:8c:08", "00:50:56:a6:ef:7d")


def _build(tree: Path) -> None:
    tmp = tree.with_name(tree.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    proc = subprocess.run(
        ["debootstrap", "--variant=minbase", "--include=ifupdown,netbase", SUITE, str(tmp), apt_mirror()],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, f"debootstrap failed (needs root and the Debian mirror):\n{proc.stderr[-2000:]}"
    tmp.rename(tree)


@pytest.fixture(scope="module")
def debian_tree() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    tree = CACHE / SUITE
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build even when test runs overlap
        if not (tree / "etc/os-release").is_file():
            _build(tree)
    return tree


def chroot(root: Path, *cmd: str) -> str:
    proc = subprocess.run(
        ["chroot", str(root), *cmd],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_customize_real_debian(debian_tree, tmp_path):
    root = tmp_path / "root"
    subprocess.run(["cp", "-a", str(debian_tree), str(root)], check=True)
    for name, mac in zip(("ens192", "ens224"), MACS):
        (root / f"sys/class/net/{name}").mkdir(parents=True, exist_ok=True)
        (root / f"sys/class/net/{name}/address").write_text(mac + "\n")
    cfg = parse(STATIC_2NIC.read_text())
    cfg.admin_password, cfg.marker_id = "Deb-Root-1!", "e2e"
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "cust.cfg").write_text(render(cfg))

    result = apply(root, pkg)
    assert result.ok, result.message + "\n" + result.log
    assert result.family == "debian"

    # ifupdown inside the guest reads the new interfaces file (and its interfaces.d)
    assert set(chroot(root, "ifquery", "--list", "-a").split()) == {"lo", "ens192", "ens224"}
    ens192 = chroot(root, "ifquery", "ens192")
    assert "address: 10.20.87.154" in ens192 and "gateway: 10.20.87.253" in ens192
    assert (root / "etc/network/interfaces.BeforeVMwareCustomization").is_file()
    # glibc inside the guest resolves the new name through /etc/hosts
    assert chroot(root, "getent", "hosts", "myhost1").split()[:2] == ["10.20.87.154", "myhost1.eng.vmware.com"]
    assert (root / "etc/hostname").read_text() == "myhost1\n"
    # the guest's own tzdata backs the new zone
    assert os.readlink(root / "etc/localtime") == "/usr/share/zoneinfo/Africa/Abidjan"
    assert chroot(root, "date", "+%Z").strip() == "GMT"
    assert (root / "etc/timezone").read_text() == "Africa/Abidjan\n"
    # the password works for the guest's own tools
    acct = shadow.read_account(root, "root")
    assert acct and shadow.verify("Deb-Root-1!", acct.hash or "")
    assert chroot(root, "passwd", "-S", "root").split()[1] == "P"
    assert (root / ".markerfile-e2e.txt").exists()
    log = (root / "var/log/vmware-imc/toolsDeployPkg.log").read_text()
    assert "Deb-Root-1!" not in log and "customization succeeded" in log


def test_a_password_the_guest_set_itself_logs_in(debian_tree: Path, server: GoscServer, vi: ViClient) -> None:
    """A template's root password set by its own chpasswd (yescrypt on Debian 12) is the
    guest login CustomizeGuest_Task checks; a wrong one is InvalidGuestLogin."""
    src = vi.find("DC0/vm/demo-debian")
    assert src is not None
    info = vi.wait_task(
        vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body("deb-chpasswd"))
    )
    assert info["state"] == "success", info
    clone = info["result"]
    root = guest_root(server, vi, clone)
    # The clone's disk becomes the real Debian system; its virtual NICs stay as they are.
    net = root / "sys/class/net"
    saved = {p.name: (p / "address").read_text() for p in net.iterdir()}
    shutil.rmtree(root)
    subprocess.run(["cp", "-a", str(debian_tree), str(root)], check=True)
    for name, address in saved.items():
        (root / "sys/class/net" / name).mkdir(parents=True, exist_ok=True)
        (root / "sys/class/net" / name / "address").write_text(address)
    subprocess.run(
        ["chroot", str(root), "chpasswd"],
        input="root:Deb-Own-1!\n",
        text=True,
        check=True,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"},
    )
    acct = shadow.read_account(root, "root")
    assert acct is not None and (acct.hash or "").startswith("$y$"), "Debian 12's chpasswd writes yescrypt"

    gcm = ("VirtualMachineGuestCustomizationManager", "GuestCustomizationManager")
    spec = linux_spec("deb-own", nics=None)
    wrong = vi.wait_task(vi.call(*gcm, "CustomizeGuest_Task", customize_body(clone, spec, password="Deb-Own-2!")))
    assert wrong["state"] == "error" and wrong["error"]["_typeName"] == "InvalidGuestLogin", wrong
    right = vi.wait_task(vi.call(*gcm, "CustomizeGuest_Task", customize_body(clone, spec, password="Deb-Own-1!")))
    assert right["state"] == "success", right["error"]
    assert (root / "etc/hostname").read_text() == "deb-own\n"
