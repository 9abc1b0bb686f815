"""The pyvmomi-community-samples scripts for folders, datacenters, clusters, new VMs, hosts
and managers, run unchanged (tests/data/community-samples, from vmware/pyvmomi-community-samples
at ec890d5, Apache-2.0: LICENSE there) with the project's python, each checked by reading
its effect back through pyVmomi.  The scheduled power-off is made to come due by moving the
server's clock (GOSC_TEST_HOOKS' clock_offset), never by waiting for it.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import ssl
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyVmomi import vim

from gosc.testhooks import CLOCK_OFFSET, ENV
from gosc.testing import ADMIN, ADMIN_PASSWORD, Gosc, GoscServer
from tests.inventory.support import find, task_result
from tests.support.vijson import ViClient
from tests.support.wait import wait_for

SAMPLES = Path(__file__).parents[1] / "data" / "community-samples"
HOST = "DC0/host/esx-01.gosc.local/esx-01.gosc.local"


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hooks")


@pytest.fixture(scope="module")
def gosc_server(gosc_data_dir: Path, hooks: Path) -> Iterator[GoscServer]:
    """The server with test hooks, so that the scheduler's clock can be moved."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV, str(hooks))
        server = GoscServer(gosc_data_dir).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def si(gosc: Gosc) -> Any:
    return gosc.service_instance


@pytest.fixture(scope="module")
def vi(gosc: Gosc) -> Iterator[ViClient]:
    client = ViClient(gosc.url)
    client.login(ADMIN, ADMIN_PASSWORD)
    yield client
    client.http.close()


def info(vi: ViClient, task: Any) -> dict[str, Any]:
    """A scheduled task's info, read over VI/JSON."""
    result: dict[str, Any] = vi.get("ScheduledTask", task._moId, "info")
    return result


def run(gosc: Gosc, script: str, *args: str, stdin: str = "") -> str:
    cmd = [sys.executable, str(SAMPLES / script), "-s", gosc.host, "-o", str(gosc.port)]
    cmd += ["-u", ADMIN, "-p", ADMIN_PASSWORD, "-nossl", *args]
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120, cwd=SAMPLES)
    assert r.returncode == 0, f"{script} failed:\n{r.stdout}\n{r.stderr[-3000:]}"
    return r.stdout


def first_line_with(gosc: Gosc, script: str, text: str, *args: str) -> str:
    """Run a sample that lingers once it has said what it says (generate_html5_console sleeps a
    minute to keep its ticket's window open): its first line containing ``text``, then stop it."""
    cmd = [sys.executable, str(SAMPLES / script), "-s", gosc.host, "-o", str(gosc.port)]
    cmd += ["-u", ADMIN, "-p", ADMIN_PASSWORD, "-nossl", *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # its lines as it prints them, not at its exit
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=SAMPLES, env=env) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        try:
            seen = []
            for line in proc.stdout:
                seen.append(line)
                if text in line:
                    return line.strip()
            raise AssertionError(f"{script} ended without '{text}':\n{''.join(seen)}\n{proc.stderr.read()[-3000:]}")
        finally:
            proc.kill()


def test_create_vm(gosc: Gosc, si: Any) -> None:
    out = run(gosc, "create_vm.py", "-v", "sample-vm", "--datacenter-name", "DC0", "--esx-ip", "esx-01.gosc.local")
    assert "VM created: sample-vm" in out
    vm = find(si, "DC0/vm/sample-vm")
    assert vm.config.guestId == "otherGuest" and vm.config.annotation == "Sample" and vm.config.hardware.memoryMB == 4
    assert vm.runtime.powerState == "poweredOff"


def test_create_folder_in_datacenter(gosc: Gosc, si: Any) -> None:
    out = run(gosc, "create_folder_in_datacenter.py", "--datacenter-name", "DC0", "--folder-name", "sample-folder")
    assert "Successfully created the VM folder" in out
    assert find(si, "DC0/vm/sample-folder").childType == find(si, "DC0/vm").childType
    assert isinstance(find(si, "DC0/host/sample-folder"), vim.Folder)


def test_make_dc_and_cluster(gosc: Gosc, si: Any) -> None:
    assert "created DC and cluster" in run(
        gosc, "make_dc_and_cluster.py", "--datacenter-name", "DC-S", "--cluster-name", "CL-S"
    )
    assert isinstance(find(si, "DC-S/host/CL-S"), vim.ClusterComputeResource)


def test_host_network_samples(gosc: Gosc, si: Any) -> None:
    assert "vSwitch0" in run(gosc, "get_hosts_vswitch.py").splitlines()
    out = run(gosc, "getvnicinfo.py")
    # demo-ubuntu's NIC, on vSwitch0's VM Network port group, VLAN 0.
    mac = next(
        d.macAddress
        for d in find(si, "DC0/vm/demo-ubuntu").config.hardware.device
        if isinstance(d, vim.vm.device.VirtualEthernetCard)
    )
    assert f"Network adapter 1->{mac} @ vSwitch0->VM Network (VLAN 0)" in out


def test_list_datastore_info_and_host_alarms(gosc: Gosc, si: Any) -> None:
    # gosc's datastores are not VMFS volumes: the script lists the host and no VMFS volume.
    assert "esx-01.gosc.local" in run(gosc, "list_datastore_info.py")
    host = find(si, HOST)
    out = run(gosc, "list_host_alarms.py", "--uuid", host.hardware.systemInfo.uuid, stdin="\n")
    assert "Unable to locate HostSystem" not in out


def test_set_vcenter_motd(gosc: Gosc, si: Any) -> None:
    run(gosc, "set_vcenter_motd.py", "-m", "gosc says hello")
    assert si.RetrieveContent().sessionManager.message == "gosc says hello"


def test_upgrade_vm(gosc: Gosc, si: Any) -> None:
    host = find(si, HOST)
    spec = vim.vm.ConfigSpec(
        name="old-hw", guestId="ubuntu64Guest", version="vmx-15", files=vim.vm.FileInfo(vmPathName="[datastore1]")
    )
    task_result(find(si, "DC0/vm").CreateVm(spec, pool=host.parent.resourcePool, host=host))
    assert "Upgrade complete" in run(gosc, "upgrade_vm.py", "-v", "old-hw")
    assert find(si, "DC0/vm/old-hw").config.version == "vmx-21"
    assert "VM is already upgraded" in run(gosc, "upgrade_vm.py", "-v", "old-hw")


def test_scheduled_poweroff_happens(gosc: Gosc, si: Any, vi: ViClient, hooks: Path) -> None:
    vm = find(si, "DC0/vm/demo-photon")
    if vm.runtime.powerState != "poweredOn":
        task_result(vm.PowerOn())
    assert "Scheduled Task Successfully" in run(gosc, "scheduled_poweroff.py", "--minutes", "2", "-v", "demo-photon")
    stm = si.RetrieveContent().scheduledTaskManager
    [task] = stm.RetrieveEntityScheduledTask(vm)
    assert info(vi, task)["state"] == "queued" and info(vi, task)["nextRunTime"]
    assert vm.runtime.powerState == "poweredOn"  # not due yet
    (hooks / CLOCK_OFFSET).write_text(str(3 * 60))  # three minutes later (less than the sessions' idle timeout)
    wait_for(lambda: vm.runtime.powerState == "poweredOff", "the scheduled power-off")
    wait_for(lambda: info(vi, task)["state"] == "success", "the scheduled task's success")
    assert info(vi, task)["prevRunTime"] and "nextRunTime" not in info(vi, task)
    (hooks / CLOCK_OFFSET).write_text("0")
    # RunScheduledTask runs it now, once more (the VM is off: the power-off fails, as a client's would).
    task.RunScheduledTask()
    wait_for(lambda: info(vi, task)["state"] == "error", "the second run's failure")
    assert info(vi, task)["error"]["_typeName"] == "InvalidPowerState"
    task.RemoveScheduledTask()
    assert stm.RetrieveEntityScheduledTask(vm) == []


def test_a_recurrent_task_runs_and_is_reconfigured(si: Any, vi: ViClient, hooks: Path) -> None:
    vm = find(si, "DC0/vm/demo-sles15")
    stm = si.RetrieveContent().scheduledTaskManager
    soon = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=3)).minute
    spec = vim.scheduler.ScheduledTaskSpec(
        name="hourly power-on",
        description="",
        enabled=True,
        scheduler=vim.scheduler.HourlyTaskScheduler(minute=soon, interval=1),
        action=vim.action.MethodAction(name=vim.VirtualMachine.PowerOn),
    )
    task = stm.CreateScheduledTask(vm, spec)
    nxt = datetime.datetime.fromisoformat(info(vi, task)["nextRunTime"].replace("Z", "+00:00"))
    now = datetime.datetime.now(datetime.UTC)
    assert nxt.minute == soon and datetime.timedelta(0) < nxt - now <= datetime.timedelta(minutes=4)
    task_result(vm.PowerOff())
    (hooks / CLOCK_OFFSET).write_text(str((nxt - now).total_seconds() + 5))
    wait_for(lambda: vm.runtime.powerState == "poweredOn", "the hourly power-on")
    wait_for(lambda: info(vi, task)["state"] == "success", "its success")
    later = datetime.datetime.fromisoformat(info(vi, task)["nextRunTime"].replace("Z", "+00:00"))
    assert later > nxt  # it recurs
    spec.enabled = False
    task.ReconfigureScheduledTask(spec)
    assert info(vi, task)["enabled"] is False and "nextRunTime" not in info(vi, task)
    (hooks / CLOCK_OFFSET).write_text("0")
    with pytest.raises(vim.fault.DuplicateName):
        stm.CreateScheduledTask(vm, spec)
    task.RemoveScheduledTask()


def test_generate_html5_console(gosc: Gosc, si: Any) -> None:
    url = first_line_with(gosc, "generate_html5_console.py", "/console/?", "-v", "demo-ubuntu")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    content = si.RetrieveContent()
    assert query["vmId"] == find(si, "DC0/vm/demo-ubuntu")._moId and query["vmName"] == "demo-ubuntu"
    [fqdn] = [o.value for o in content.setting.QueryOptions("VirtualCenter.FQDN")]
    assert query["host"] == fqdn and fqdn
    # The thumbprint is the server certificate's (the script prints pyOpenSSL's bytes as b'AA:BB:...').
    der = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate((gosc.host, gosc.port)))
    digest = hashlib.sha1(der).hexdigest().upper()
    assert query["thumbprint"] == "b'" + ":".join(digest[i : i + 2] for i in range(0, 40, 2)) + "'"
    # The ticket logs a client in as the script's user, once.
    client = ViClient(gosc.url)
    r = client.raw("POST", "SessionManager/SessionManager/CloneSession", json={"cloneTicket": query["sessionTicket"]})
    assert r.status_code == 200 and r.json()["userName"] == content.sessionManager.currentSession.userName, r.text
    client.http.close()
