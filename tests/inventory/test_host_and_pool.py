"""The host, its compute resource and root pool: what govc host.info and pool.info read."""

from __future__ import annotations

import os
from typing import Any

import pytest
from pyVmomi import vim

from gosc.testing import Gosc
from tests.inventory.support import find

HOST = "DC0/host/esx-01.gosc.local/esx-01.gosc.local"


@pytest.fixture(scope="module")
def si(gosc: Gosc) -> Any:
    return gosc.service_instance


def test_the_host_summary_has_the_machines_hardware(si: Any) -> None:
    host = find(si, HOST)
    s = host.summary
    hw = s.hardware
    assert hw.numCpuCores == os.cpu_count() and hw.numCpuThreads == os.cpu_count() and hw.numCpuPkgs == 1
    assert hw.memorySize == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert hw.cpuMhz > 0 and hw.cpuModel and hw.vendor == "VMware, Inc."
    assert len(hw.uuid) == 36
    assert s.host == host and s.config.name == "esx-01.gosc.local"
    assert s.config.product.productLineId == "embeddedEsx" and s.config.product.apiType == "HostAgent"
    assert s.runtime.connectionState == "connected" and s.runtime.powerState == "poweredOn"
    assert s.runtime.bootTime is not None and s.quickStats.uptime >= 0
    # Memory in use is what the powered-on VMs were given.
    on = [v for v in host.vm if v.runtime.powerState == "poweredOn"]
    assert s.quickStats.overallMemoryUsage == sum(v.config.hardware.memoryMB for v in on)


def test_the_host_hardware_config_and_runtime(si: Any) -> None:
    host = find(si, HOST)
    hw = host.hardware
    assert hw.memorySize == host.summary.hardware.memorySize
    assert hw.cpuInfo.numCpuCores == os.cpu_count() and hw.systemInfo.uuid == host.summary.hardware.uuid
    [tag] = [i for i in hw.systemInfo.otherIdentifyingInfo if i.identifierType.key == "ServiceTag"]
    assert tag.identifierValue.startswith("VMware-" + hw.systemInfo.uuid[:2])
    config = host.config
    assert config.host == host and config.product.name == "VMware ESXi"
    assert [p.spec.name for p in config.network.portgroup] == ["VM Network", "Management Network"]  # vmk0's
    ds = find(si, "DC0/datastore/datastore1")
    assert [m.mountInfo.path for m in config.fileSystemVolume.mountInfo] == [ds.host[0].mountInfo.path]
    assert config.fileSystemVolume.mountInfo[0].volume.capacity == ds.summary.capacity
    assert host.runtime.inMaintenanceMode is False
    assert host.capability.maxRunningVMs > 0
    assert isinstance(host.configManager, vim.host.ConfigManager)


def test_the_compute_resource_sums_its_host(si: Any) -> None:
    host = find(si, HOST)
    cr = host.parent
    assert isinstance(cr, vim.ComputeResource)
    s = cr.summary
    hw = host.summary.hardware
    assert s.numHosts == 1 and s.numEffectiveHosts == 1
    assert s.numCpuCores == hw.numCpuCores and s.totalMemory == hw.memorySize
    assert s.effectiveMemory == hw.memorySize >> 20 and s.totalCpu == hw.cpuMhz * hw.numCpuCores
    assert cr.configurationEx.vmSwapPlacement == "vmDirectory"
    assert list(cr.host) == [host]
    assert isinstance(cr.environmentBrowser, vim.EnvironmentBrowser)


def test_the_root_pool_has_summary_config_and_runtime(si: Any) -> None:
    cr = find(si, HOST).parent
    pool = cr.resourcePool
    assert pool == find(si, "DC0/host/esx-01.gosc.local/Resources")
    assert pool.owner == cr
    hw = cr.summary
    config = pool.config
    assert config.entity == pool
    assert config.cpuAllocation.reservation == hw.totalCpu and config.cpuAllocation.limit == hw.totalCpu
    assert config.memoryAllocation.reservation == hw.totalMemory >> 20
    assert config.cpuAllocation.shares.level == "custom" and config.cpuAllocation.expandableReservation is False
    runtime = pool.runtime
    assert runtime.overallStatus == "green"
    assert runtime.memory.maxUsage == hw.totalMemory and runtime.cpu.maxUsage == hw.totalCpu
    summary = pool.summary
    assert summary.name == "Resources" and summary.config.entity == pool
    assert summary.runtime.cpu.unreservedForVm == hw.totalCpu
    assert find(si, "DC0/vm/demo-ubuntu") in pool.vm
    assert summary.configuredMemoryMB == sum(v.config.hardware.memoryMB for v in pool.vm)
