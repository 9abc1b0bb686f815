"""Ansible 12.3.0's VMware modules (community.vmware 5.10.0, vmware.vmware 2.6.0), unchanged,
against gosc and vcsim 0.24: each playbook in playbooks/ runs its module(s) with
``ansible-playbook`` from .cache/venv-ansible and asserts every registered result
(``ansible.builtin.assert``); the first failed task, with the module's message, fails the test."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.clients.ansible.guest import read_guest_file
from tests.clients.results import REPO
from tests.clients.targets import Target, require, server_panic

VENV = REPO / ".cache" / "venv-ansible"
PLAYBOOKS = Path(__file__).parent / "playbooks"
# pyVmomi's repr of a fault: (vmodl.fault.MethodNotFound) { ... msg = "...", ... }
PYVMOMI_FAULT = re.compile(r"""\(((?:vim|vmodl)\.fault\.\w+)\) \{.*?msg = ("[^"]*"|'[^']*'|[^,]*)""", re.S)
GUEST_PASSWORD = "VMware1!"  # demo-ubuntu's guest account (src/gosc/demo.py): instant clone's vm_password


def play(target: Target, playbook: str, tmp_path: Path, env_extra: dict[str, str] | None = None) -> None:
    ansible_playbook = require(VENV / "bin" / "ansible-playbook")
    extra = {
        "vc_host": target.host,
        "vc_port": target.port,
        "vc_user": target.user,
        "vc_password": target.password,
        "dc": target.datacenter,
        "esx": target.esx,
        "vm": target.vm,
        "power_vm": target.power_vm,
        "network": target.network,
        "vm_network": target.vm_network,
        "guest_password": GUEST_PASSWORD,
        "server": target.name,
        "ansible_python_interpreter": str(VENV / "bin" / "python"),  # the venv with pyVmomi
    }
    (tmp_path / "vars.json").write_text(json.dumps(extra))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_DEPRECATION_WARNINGS="false",
        ANSIBLE_NOCOLOR="1",
    )
    env.update(env_extra or {})
    r = subprocess.run(
        [str(ansible_playbook), "-i", "localhost,", "-e", f"@{tmp_path / 'vars.json'}", str(PLAYBOOKS / playbook)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    try:
        report = json.loads(r.stdout[r.stdout.index("{") :])
    except ValueError:
        pytest.fail(f"ansible-playbook {playbook}: exit {r.returncode}: {(r.stderr or r.stdout).strip()[-300:]}")
    failed = first_failure(report)
    if failed is not None:
        panic = server_panic(target) if "Remote end closed connection" in failed else ""
        pytest.fail(f"{failed} ({target.name}: {panic})" if panic else failed, pytrace=False)
    assert r.returncode == 0, r.stderr[-2000:]
    stats = report["stats"]["localhost"]
    assert stats["failures"] == 0 and stats["unreachable"] == 0 and stats["ok"] > 0, stats


def first_failure(report: dict[str, Any]) -> str | None:
    for p in report.get("plays", []):
        for task in p.get("tasks", []):
            result = task.get("hosts", {}).get("localhost", {})
            if result.get("failed") or result.get("unreachable"):
                msg = result.get("msg") or result.get("exception") or result
                fault = PYVMOMI_FAULT.search(str(msg))
                if fault:  # a pyVmomi fault's repr: its type and message are what matter
                    msg = f"{str(msg)[: fault.start()]}{fault[1]}: {fault[2].strip(chr(34) + chr(39))}"
                if "assertion" in result:  # ansible.builtin.assert: the condition, then what the module gave
                    msg = f"assert {result['assertion']}: {msg}"
                return f"{task['task']['name']}: {' '.join(str(msg).split())[:400]}"
    return None


@pytest.mark.compat("ansible", "vmware_guest_instant_clone (guestinfo_vars)")
def test_instant_clone_with_guestinfo_vars(target: Target, tmp_path: Path) -> None:
    play(target, "instant_clone.yml", tmp_path)


@pytest.mark.compat("ansible", "vmware_guest (clone from template, customization)")
def test_clone_from_template_with_customization(target: Target, tmp_path: Path) -> None:
    play(target, "clone_template.yml", tmp_path)


@pytest.mark.compat("ansible", "vmware_guest (customization.existing_vm)")
def test_customize_existing_vm(target: Target, tmp_path: Path) -> None:
    play(target, "existing_vm.yml", tmp_path)


@pytest.mark.compat("ansible", "vmware.vmware.vm_apply_customization, power-on")
def test_apply_customization_then_power_on(target: Target, tmp_path: Path) -> None:
    play(target, "apply_customization.yml", tmp_path)


@pytest.mark.compat("ansible", "vmware_guest_powerstate")
def test_powerstate_every_state(target: Target, tmp_path: Path) -> None:
    play(target, "powerstate.yml", tmp_path)


@pytest.mark.compat("ansible", "vmware_guest_tools_info")
def test_tools_info(target: Target, tmp_path: Path) -> None:
    play(target, "tools_info.yml", tmp_path)


@pytest.mark.compat("ansible", "vmware_guest_tools_wait")
def test_tools_wait(target: Target, tmp_path: Path) -> None:
    play(target, "tools_wait.yml", tmp_path)


@pytest.mark.compat("ansible", "vmware_guest_network")
def test_guest_network_gather(target: Target, tmp_path: Path) -> None:
    play(target, "guest_network.yml", tmp_path)


@pytest.mark.compat("ansible", "vmware_guest_info")
def test_guest_info(target: Target, tmp_path: Path) -> None:
    play(target, "guest_info.yml", tmp_path)


@pytest.mark.compat("ansible", "vmware_vm_info")
def test_vm_info(target: Target, tmp_path: Path) -> None:
    play(target, "vm_info.yml", tmp_path)


@pytest.mark.compat("ansible", "vmware_datastore_info")
def test_datastore_info(target: Target, tmp_path: Path) -> None:
    play(target, "datastore_info.yml", tmp_path)


@pytest.mark.compat("ansible", "vmware_host_facts")
def test_host_facts(target: Target, tmp_path: Path) -> None:
    play(target, "host_facts.yml", tmp_path)


@pytest.mark.compat("ansible", "vmware_guest_customization_info")
def test_customization_info(target: Target, tmp_path: Path) -> None:
    play(target, "customization_info.yml", tmp_path)


@pytest.mark.compat("ansible", "vmware_vm_shell, vmware_guest_file_operation")
def test_guest_operations(target: Target, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "upload.txt").write_text("uploaded by ansible\n")
    play(target, "guest_ops.yml", tmp_path, {"GOSC_ANSIBLE_WORK": str(work)})
    # What the guest's program wrote came back, and the upload is in the guest (read back below
    # through a guest operation of its own: the tree is the guest's business).
    lines = (work / "fetched.txt").read_text().splitlines()
    assert lines[-1] == "ran" and lines[0], lines
    if target.name == "gosc":  # vcsim 0.24 has no guest operations to read it back with
        assert read_guest_file(target, "/tmp/ans-dir/sub/upload.txt") == "uploaded by ansible\n"
