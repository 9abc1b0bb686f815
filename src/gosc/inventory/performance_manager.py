"""PerformanceManager (ServiceContent ``perfManager``): counters, intervals and which
metrics each entity has (perf_counters.py).  gosc collects no samples."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import types as T
from ..vim.faults import invalid_argument, not_found
from .base import CallContext, ManagedObject
from .perf_counters import COUNTERS, GROUPS, INTERVALS, REALTIME_INTERVAL, REALTIME_TYPES, UNITS, Counter

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

PM = vim.PerformanceManager


def _element(key: str, label: str, summary: str) -> vim.ElementDescription:
    return vim.ElementDescription(key=key, label=label, summary=summary)


def counter_info(key: int, c: Counter) -> PM.CounterInfo:
    unit_label, unit_summary = UNITS[c.unit]
    return PM.CounterInfo(
        key=key,
        nameInfo=_element(c.name, c.label, c.summary),
        groupInfo=_element(c.group, GROUPS[c.group], GROUPS[c.group]),
        unitInfo=_element(c.unit, unit_label, unit_summary),
        rollupType=c.rollup,
        statsType=c.stats,
        level=c.level,
        perDeviceLevel=min(c.level + 2, 4),
    )


# Counter keys are the counters' places in COUNTERS, from 1: stable from release to release
# as long as counters are only ever appended.
INFOS = {i: counter_info(i, c) for i, c in enumerate(COUNTERS, 1)}


class PerformanceManager(ManagedObject):
    vim_type = vim.PerformanceManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "PerfMgr")

    def prop_perfCounter(self, ctx: CallContext) -> list[PM.CounterInfo]:
        return T.array(PM.CounterInfo, list(INFOS.values()))

    def prop_historicalInterval(self, ctx: CallContext) -> list[vim.HistoricalInterval]:
        return T.array(
            vim.HistoricalInterval,
            [
                vim.HistoricalInterval(key=k, samplingPeriod=p, name=n, length=n_s, level=1, enabled=True)
                for k, p, n, n_s in INTERVALS
            ],
        )

    def prop_description(self, ctx: CallContext) -> vim.PerformanceDescription:
        return vim.PerformanceDescription(
            counterType=[_element(u, label, summary) for u, (label, summary) in UNITS.items()],
            statsType=[
                _element("absolute", "Absolute", "Absolute value"),
                _element("delta", "Delta", "Change since the previous sample"),
                _element("rate", "Rate", "Rate per second during the interval"),
            ],
        )

    def QueryPerfCounter(self, ctx: CallContext, counterId: list[int]) -> list[PM.CounterInfo]:
        for i, key in enumerate(counterId):
            if key not in INFOS:
                raise invalid_argument(f"counterId[{i}]", f"there is no performance counter {key}")
        return T.array(PM.CounterInfo, [INFOS[k] for k in counterId])

    def QueryPerfCounterByLevel(self, ctx: CallContext, level: int) -> list[PM.CounterInfo]:
        if not 1 <= level <= 4:
            raise invalid_argument("level", f"a statistics level is 1 to 4, not {level}")
        return T.array(PM.CounterInfo, [i for i, c in zip(INFOS.values(), COUNTERS, strict=True) if c.level <= level])

    def QueryPerfProviderSummary(self, ctx: CallContext, entity: T.ManagedObject) -> PM.ProviderSummary:
        obj = self._entity(entity)
        realtime = obj.type_name in REALTIME_TYPES
        return PM.ProviderSummary(
            entity=obj.ref,
            currentSupported=realtime,
            summarySupported=True,
            refreshRate=REALTIME_INTERVAL if realtime else -1,
        )

    def QueryAvailablePerfMetric(
        self,
        ctx: CallContext,
        entity: T.ManagedObject,
        beginTime: datetime.datetime | None = None,
        endTime: datetime.datetime | None = None,
        intervalId: int | None = None,
    ) -> list[PM.MetricId]:
        obj = self._entity(entity)
        kind = obj.type_name
        if kind == "ClusterComputeResource":
            kind = "ComputeResource"
        if intervalId == REALTIME_INTERVAL and kind not in REALTIME_TYPES:
            return T.array(PM.MetricId, [])
        cpus = 0
        config = getattr(obj, "config", None)
        if isinstance(config, vim.vm.ConfigInfo) and config.hardware is not None:
            cpus = config.hardware.numCPU or 0
        out = []
        for key, c in enumerate(COUNTERS, 1):
            if kind not in c.entities:
                continue
            out.append(PM.MetricId(counterId=key, instance=""))
            if c.per_cpu:
                out += [PM.MetricId(counterId=key, instance=str(n)) for n in range(cpus)]
        return T.array(PM.MetricId, out)

    def _entity(self, ref: T.ManagedObject) -> ManagedObject:
        obj = self.si.entities.get(ref._moId)
        if obj is None:
            raise not_found(ref)
        return obj
