"""Custom scripts run in the guest's sandbox (gosc.guest.sandbox), never on the host.

A user with only ``VirtualMachine.Provisioning.Customize`` controls ``scriptText``; these
tests are that user.  Each escape attempt aims at canaries on the host (a secret to read,
a file to change, a path to create, a global sysctl) and records what it saw in the
guest; a held script is inspected from outside through /proc and must die with a
SIGKILLed server.  Before the sandbox, a tree without /bin/sh ran the script on the host
and a tree with one ran it under chroot as full root: every test here failed then.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import uuid as uuidlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gosc.formats import custcfg
from gosc.formats.custcfg_model import CustConfig, Nic
from gosc.guest import sandbox
from gosc.guest.engine import apply
from gosc.guest.skeletons import copy_skeleton
from tests.conftest import CUSTOMIZER_USER, LIMITED_PASSWORD, guest_root, write_users
from tests.netns.support import guest_file, netns_server, sweep
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer
from tests.support.specs import customize_body, instant_clone_body, linux_spec
from tests.support.vijson import ViClient
from tests.support.wait import wait_for

GCM = ("VirtualMachineGuestCustomizationManager", "GuestCustomizationManager")
NO_SHELL = "the guest has no /bin/sh to run the customization script"
ZERO_CAPS = "0000000000000000"


# ---------------------------------------------------------------- helpers


def scripted_clone(server: GoscServer, vi: ViClient, name: str, source: str = "demo-ubuntu") -> dict[str, str]:
    src = vi.find(f"DC0/vm/{source}")
    info = vi.wait_task(vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body(name)))
    assert info["state"] == "success", info
    vm: dict[str, str] = info["result"]
    conf = guest_root(server, vi, vm) / "etc/vmware-tools/tools.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text("[deployPkg]\nenable-custom-scripts = true\n")
    return vm


def customize(vi: ViClient, vm: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    return vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, spec)))  # type: ignore[no-any-return]


def events_of(vi: ViClient, vm: dict[str, str], chain: int) -> list[dict[str, Any]]:
    events = vi.call(
        "EventManager",
        "EventManager",
        "QueryEvents",
        {
            "filter": {
                "_typeName": "EventFilterSpec",
                "entity": {"_typeName": "EventFilterSpecByEntity", "entity": vm, "recursion": "self"},
            }
        },
    )
    return [e for e in events if e.get("chainId") == chain and e["_typeName"].startswith("Customization")]


def pids_with(token: bytes) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if token in Path(f"/proc/{entry}/cmdline").read_bytes():
                    out.append(int(entry))
            except OSError:
                pass
    return out


def status_of(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    """Host files a script must never read, change or create."""
    d = tmp_path / "host-canary"
    d.mkdir()
    (d / "shadow").write_text("root:host-secret-4b1d:19000:0:99999:7:::\n")
    (d / "shadow").chmod(0o600)
    (d / "untouched").write_text("original\n")
    return d


def assert_canary_intact(canary: Path) -> None:
    assert (canary / "untouched").read_text() == "original\n"
    assert sorted(p.name for p in canary.iterdir()) == ["shadow", "untouched"]


# ---------------------------------------------------------------- scripts work, in the guest

PROOF = """#!/bin/sh
echo "$1 uid=$(id -u) cwd=$PWD pid=$$ host=$(hostname)" >> /etc/gosc-proof
"""


def test_script_runs_in_the_guest_over_vijson(server: GoscServer, vi: ViClient) -> None:
    vm = scripted_clone(server, vi, "sbx-json")
    info = customize(vi, vm, linux_spec("sbxjson", script=PROOF))
    assert info["state"] == "success", info.get("error")
    lines = (guest_root(server, vi, vm) / "etc/gosc-proof").read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["precustomization", "postcustomization"]
    for line in lines:
        assert "uid=0 cwd=/var/run/vmware-imc/" in line and " pid=2 " in line  # guest root, in its own PID namespace
    assert not Path("/etc/gosc-proof").exists()


# pyVmomi in a process of its own, as a user's script runs it (pyVmomi keeps global state).
PYVMOMI_CUSTOMIZE = """
import sys
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim
port, user, pwd, vm_name, script = sys.argv[1:]
si = SmartConnect(host="127.0.0.1", port=int(port), user=user, pwd=pwd, disableSslCertValidation=True)
content = si.RetrieveContent()
target = content.searchIndex.FindByInventoryPath("DC0/vm/" + vm_name)
c = vim.vm.customization
spec = c.Specification(
    identity=c.LinuxPrep(hostName=c.FixedName(name="sbxsoap"), domain="example.com", scriptText=script),
    globalIPSettings=c.GlobalIPSettings(),
    nicSettingMap=[c.AdapterMapping(adapter=c.IPSettings(ip=c.DhcpIpGenerator()))])
auth = vim.vm.guest.NamePasswordAuthentication(username="root", password="VMware1!")
WaitForTask(content.guestCustomizationManager.CustomizeGuest_Task(target, auth, spec))
Disconnect(si)
"""


def test_script_runs_in_the_guest_over_pyvmomi(server: GoscServer, vi: ViClient) -> None:
    vm = scripted_clone(server, vi, "sbx-soap")
    run = subprocess.run(
        [sys.executable, "-c", PYVMOMI_CUSTOMIZE, str(server.port), ADMIN, ADMIN_PASSWORD, "sbx-soap", PROOF],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    lines = (guest_root(server, vi, vm) / "etc/gosc-proof").read_text().splitlines()
    assert len(lines) == 2 and all("uid=0 cwd=/var/run/vmware-imc/" in line for line in lines)


# ---------------------------------------------------------------- scripts cannot touch the host

ESCAPE = """#!/bin/sh
C={canary}
exec >> /escape.log 2>&1
echo "self $$"; echo "init $(cat /proc/1/comm)"; grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status
cat $C/shadow && echo "READ-ABSOLUTE"
echo pwned > $C/untouched && echo "WROTE-ABSOLUTE"
echo pwned > $C/created && echo "CREATED-ABSOLUTE"
for p in /proc/[0-9]*; do cat $p/root$C/shadow && echo "READ-VIA-$p"; echo pwned > $p/root$C/created && echo "CREATED-VIA-$p"; done
cat /proc/1/root$C/shadow && echo "READ-VIA-PROC1"
/bin/busybox mkdir -p /mnt/p && /bin/busybox mount -t proc proc /mnt/p && echo "MOUNTED-PROC"
for p in /mnt/p/[0-9]*; do cat $p/root$C/shadow && echo "READ-VIA-NEWPROC-$p"; done
mkdir -p /x && /bin/busybox chroot /x /bin/sh -c true && echo "CHROOTED"
/bin/busybox chroot /proc/1/root /bin/sh -c "cat $C/shadow" && echo "CHROOT-PROC1"
v=$(cat /proc/sys/kernel/core_uses_pid) && echo $v > /proc/sys/kernel/core_uses_pid && echo "SYSCTL-WRITTEN"
/bin/busybox unshare -U -r -m -p -f /bin/sh -c 'echo NESTED-USERNS'
/bin/busybox mount -o remount,rw /proc && echo "REMOUNTED-PROC"
exit 0
"""


def test_escape_attempts_never_reach_the_host(server: GoscServer, vi: ViClient, canary: Path) -> None:
    """The attacker of issue 8: a user whose only privilege is Customize writes the script."""
    vm = scripted_clone(server, vi, "sbx-escape")
    attacker = ViClient(server.url)
    attacker.login(CUSTOMIZER_USER, LIMITED_PASSWORD)
    try:
        info = customize(attacker, vm, linux_spec("sbxescape", script=ESCAPE.format(canary=canary)))
    finally:
        attacker.http.close()
    assert info["state"] == "success", info.get("error")
    log = (guest_root(server, vi, vm) / "escape.log").read_text()
    assert "self 2" in log and "init bwrap" in log  # its own PID namespace: pid 1 is bwrap's init
    assert log.count(ZERO_CAPS) == 6  # CapEff, CapPrm, CapBnd, for pre and post: no capability at all
    assert "host-secret" not in log
    for success in (
        "READ-",
        "WROTE-",
        "CREATED-",
        "MOUNTED-",
        "CHROOT",
        "SYSCTL-WRITTEN",
        "NESTED-USERNS",
        "REMOUNTED-",
    ):
        assert success not in log, (success, log)
    assert_canary_intact(canary)


# ---------------------------------------------------------------- guests that cannot run a script


def assert_failed_without_running(
    server: GoscServer, vi: ViClient, vm: dict[str, str], info: dict[str, Any], message: str
) -> None:
    assert info["state"] == "error" and info["error"]["_typeName"] == "CustomizationFault", info
    ci = vi.get("VirtualMachine", vm["value"], "guest")["customizationInfo"]
    assert ci["customizationStatus"] == "TOOLSDEPLOYPKG_FAILED" and message in ci["errorMsg"], ci
    assert [e["_typeName"] for e in events_of(vi, vm, info["eventChainId"])] == [
        "CustomizationStartedEvent",
        "CustomizationFailed",
    ]


def test_a_guest_without_a_shell_fails_and_nothing_runs_on_the_host(
    server: GoscServer, vi: ViClient, canary: Path
) -> None:
    vm = scripted_clone(server, vi, "sbx-noshell")
    root = guest_root(server, vi, vm)
    shutil.rmtree(root / "bin")
    hostname = (root / "etc/hostname").read_text()
    script = f"#!/bin/sh\necho ran > {canary}/created\necho ran > /ran\n"
    info = customize(vi, vm, linux_spec("noshell", script=script))
    assert_failed_without_running(server, vi, vm, info, NO_SHELL)
    assert (root / "etc/hostname").read_text() == hostname  # nothing of the customization was written
    assert not (root / "ran").exists()
    assert_canary_intact(canary)


def test_a_windows_guest_with_a_script_spec_fails_and_nothing_runs(
    server: GoscServer, vi: ViClient, canary: Path, tmp_path: Path
) -> None:
    vm = scripted_clone(server, vi, "sbx-windows", source="demo-windows")
    script = f"#!/bin/sh\necho ran > {canary}/created\n"
    info = customize(vi, vm, linux_spec("winscript", script=script))
    assert info["state"] == "error" and info["error"]["_typeName"] == "UncustomizableGuest", (
        info
    )  # a CustomizationFault
    assert "Windows guest" in info["error"]["faultMessage"][0]["message"]
    assert vi.get("VirtualMachine", vm["value"], "guest").get("customizationInfo") is None  # never reached the guest
    # The engine itself, handed a script for a Windows tree: refused before any program starts.
    root = copy_skeleton("windows", tmp_path / "win", ["00:50:56:00:00:01"])
    pkg = root / "var/run/vmware-imc/pkg"
    pkg.mkdir(parents=True)
    cfg = CustConfig(hostname="win", script_name="customize.sh", default_run_post_script=True)
    (pkg / "cust.cfg").write_text(custcfg.render(cfg))
    (pkg / "customize.sh").write_text(script)
    before = sandbox.launch_count()
    result = apply(root, pkg)
    assert not result.ok and result.message and sandbox.launch_count() == before
    assert_canary_intact(canary)


# ---------------------------------------------------------------- lifetime and confinement, seen from outside

HOLD = """#!/bin/sh
if [ "$1" = precustomization ]; then
  echo "$$ $(cat /proc/1/comm)" > /hold-{token}.ready
  exec cat /hold-{token}.fifo
fi
"""


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[GoscServer]:
    data = tmp_path / "data"
    write_users(data)
    srv = GoscServer(data).start()
    try:
        yield srv
    finally:
        srv.stop()


def test_a_held_script_is_confined_and_dies_with_a_killed_server(own_server: GoscServer) -> None:
    vi = ViClient(own_server.url)
    vi.login(ADMIN, ADMIN_PASSWORD)
    vm = scripted_clone(own_server, vi, "sbx-hold")
    root = guest_root(own_server, vi, vm)
    token = uuidlib.uuid4().hex
    os.mkfifo(root / f"hold-{token}.fifo")
    vi.call(*GCM, "CustomizeGuest_Task", customize_body(vm, linux_spec("held", script=HOLD.format(token=token))))
    ready = wait_for(
        lambda: (root / f"hold-{token}.ready").is_file() and (root / f"hold-{token}.ready").read_text(),
        "the script runs",
    )
    assert ready == "2 bwrap\n"  # pid 2 in its own PID namespace, whose pid 1 is bwrap's init
    (pid,) = wait_for(lambda: pids_with(f"/hold-{token}.fifo".encode()), "the held process")
    st = status_of(pid)
    assert st["CapEff"] == st["CapPrm"] == st["CapBnd"] == st["CapAmb"] == ZERO_CAPS and st["NoNewPrivs"] == "1"
    assert len(st["NSpid"].split()) == 2 and st["NSpid"].split()[1] == "2"
    for ns in ("user", "mnt", "pid", "net", "ipc", "uts"):
        assert os.readlink(f"/proc/{pid}/ns/{ns}") != os.readlink(f"/proc/self/ns/{ns}"), ns
    here, there = os.stat(root), os.stat(f"/proc/{pid}/root")
    assert (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)  # its / is the guest tree
    sandbox_pids = [pid, *(p for p in pids_with(b"bwrap") if p != pid)]
    assert own_server.proc is not None
    os.kill(own_server.proc.pid, signal.SIGKILL)  # the server process alone: no group kill helps the script
    own_server.proc.wait(10)
    own_server.proc = None

    def gone() -> bool:
        return not any(os.path.exists(f"/proc/{p}") and status_of_or_none(p) not in (None, "Z") for p in sandbox_pids)

    wait_for(gone, "the sandbox dies with the server")
    assert not os.path.exists(f"/proc/{pid}")


def status_of_or_none(pid: int) -> str | None:
    try:
        return status_of(pid)["State"].split()[0]
    except (OSError, KeyError):
        return None


# ---------------------------------------------------------------- cost: only where a spec has a script


def test_no_sandbox_starts_without_a_script(tmp_path: Path) -> None:
    root = copy_skeleton("ubuntu", tmp_path / "root", ["00:50:56:00:00:01"])
    (root / "etc/vmware-tools/tools.conf").write_text("[deployPkg]\nenable-custom-scripts = true\n")
    pkg = root / "var/run/vmware-imc/pkg"
    pkg.mkdir(parents=True)
    cfg = CustConfig(hostname="plain", domainname="example.com", nics=[Nic("NIC1", "00:50:56:00:00:01", primary=True)])
    (pkg / "cust.cfg").write_text(custcfg.render(cfg))
    before = sandbox.launch_count()
    assert apply(root, pkg).ok
    assert sandbox.launch_count() == before
    cfg.script_name = "customize.sh"
    (pkg / "cust.cfg").write_text(custcfg.render(cfg))
    (pkg / "customize.sh").write_text("#!/bin/sh\ntrue\n")
    assert apply(root, pkg).ok
    assert sandbox.launch_count() == before + 3  # the shell check, pre and post


def test_mount_points_never_follow_a_guest_symlink(tmp_path: Path, canary: Path) -> None:
    root = copy_skeleton("ubuntu", tmp_path / "root", [])
    os.symlink(str(canary / "proc-through-link"), root / "proc")
    spec = sandbox.SandboxSpec(root=root)
    with pytest.raises(sandbox.SandboxError) as err:
        sandbox.popen(spec, ["/bin/sh", "-c", "true"])
    assert err.value.kind is sandbox.SandboxFailure.BAD_MOUNT_POINT
    assert_canary_intact(canary)
    assert stat.S_ISLNK(os.lstat(root / "proc").st_mode)


# ---------------------------------------------------------------- live guests: the guest's network, the guest's tree

LIVE_PREFIX = f"gs{os.getpid() % 100000}"


def test_a_live_guests_script_runs_in_its_namespaces(tmp_path: Path, canary: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("live guests need root; CI runs as root")
    srv = netns_server(tmp_path / "data", LIVE_PREFIX).start()
    try:
        vi = ViClient(srv.url)
        vi.login(ADMIN, ADMIN_PASSWORD)
        src = vi.find("DC0/vm/demo-ubuntu")
        vm = vi.wait_task(vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body("sbx-live")))[
            "result"
        ]
        guest_file(srv, vi, LIVE_PREFIX, vm, "etc/vmware-tools/tools.conf").write_text(
            "[deployPkg]\nenable-custom-scripts = true\n"
        )
        script = (
            f'#!/bin/sh\n{{ echo "$1 pid=$$"; cat /proc/net/dev; cat {canary}/shadow; echo x > {canary}/created; }}'
            " >> /etc/gosc-proof 2>&1\nexit 0\n"
        )
        info = customize(vi, vm, linux_spec("livesbx", script=script, tz=None))
        assert info["state"] == "success", info.get("error")
        proof = guest_file(srv, vi, LIVE_PREFIX, vm, "etc/gosc-proof").read_text()
        assert "precustomization pid=2" in proof and "postcustomization pid=2" in proof
        assert "ens192" in proof  # the guest's own network namespace, with the VM's NIC
        assert "host-secret" not in proof
        assert_canary_intact(canary)
    finally:
        srv.stop()
        sweep(LIVE_PREFIX)
