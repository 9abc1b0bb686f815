"""The performance counters gosc's PerformanceManager describes, and which entity has which.

Names, units, rollups and levels are vCenter's (``cpu.usage.average`` ...); a subset that
covers what clients list (govc ``metric.ls``).  gosc samples nothing, so the counters are
descriptions only.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUPS = {
    "cpu": "CPU",
    "mem": "Memory",
    "disk": "Disk",
    "net": "Network",
    "sys": "System",
    "datastore": "Datastore",
    "power": "Power",
}

UNITS = {
    "percent": ("%", "Percentage"),
    "megaHertz": ("MHz", "Megahertz"),
    "millisecond": ("ms", "Millisecond"),
    "kiloBytes": ("KB", "Kilobytes"),
    "kiloBytesPerSecond": ("KBps", "Kilobytes per second"),
    "second": ("s", "Second"),
    "watt": ("W", "Watt"),
    "number": ("num", "Number"),
}


@dataclass(frozen=True)
class Counter:
    group: str
    name: str
    rollup: str
    unit: str
    stats: str  # absolute, delta, rate
    level: int
    label: str
    summary: str
    entities: frozenset[str]  # managed types that have it
    per_cpu: bool = False  # also one instance per virtual CPU (VMs)

    @property
    def full_name(self) -> str:
        return f"{self.group}.{self.name}.{self.rollup}"


VM, HOST, POOL = "VirtualMachine", "HostSystem", "ResourcePool"
COMPUTE = "ComputeResource"
DATASTORE = "Datastore"
_VH = frozenset({VM, HOST})

COUNTERS: tuple[Counter, ...] = (
    Counter(
        "cpu",
        "usage",
        "average",
        "percent",
        "rate",
        1,
        "Usage",
        "CPU usage as a percentage during the interval",
        _VH,
        True,
    ),
    Counter(
        "cpu",
        "usagemhz",
        "average",
        "megaHertz",
        "rate",
        1,
        "Usage in MHz",
        "CPU usage in megahertz during the interval",
        frozenset({VM, HOST, POOL, COMPUTE}),
    ),
    Counter(
        "cpu",
        "ready",
        "summation",
        "millisecond",
        "delta",
        1,
        "Ready",
        "Time that the virtual machine was ready, but could not get scheduled to run on the physical CPU",
        frozenset({VM}),
        True,
    ),
    Counter("cpu", "used", "summation", "millisecond", "delta", 3, "Used", "Total CPU usage", _VH, True),
    Counter(
        "mem",
        "usage",
        "average",
        "percent",
        "absolute",
        1,
        "Usage",
        "Memory usage as percent of total configured or available memory",
        _VH,
    ),
    Counter(
        "mem", "active", "average", "kiloBytes", "absolute", 2, "Active", "Amount of memory that is actively used", _VH
    ),
    Counter(
        "mem",
        "consumed",
        "average",
        "kiloBytes",
        "absolute",
        1,
        "Consumed",
        "Amount of host physical memory consumed for backing up guest physical memory pages",
        frozenset({VM, HOST, POOL, COMPUTE}),
    ),
    Counter(
        "mem",
        "granted",
        "average",
        "kiloBytes",
        "absolute",
        2,
        "Granted",
        "Amount of host physical memory or physical memory that is mapped for a virtual machine or a host",
        frozenset({VM, HOST, POOL}),
    ),
    Counter("disk", "usage", "average", "kiloBytesPerSecond", "rate", 1, "Usage", "Aggregated disk I/O rate", _VH),
    Counter(
        "disk",
        "read",
        "average",
        "kiloBytesPerSecond",
        "rate",
        2,
        "Read rate",
        "Average number of kilobytes read from the disk each second",
        _VH,
    ),
    Counter(
        "disk",
        "write",
        "average",
        "kiloBytesPerSecond",
        "rate",
        2,
        "Write rate",
        "Average number of kilobytes written to disk each second",
        _VH,
    ),
    Counter(
        "disk",
        "maxTotalLatency",
        "latest",
        "millisecond",
        "absolute",
        1,
        "Highest latency",
        "Highest latency value across all disks used by the host",
        _VH,
    ),
    Counter(
        "disk",
        "used",
        "latest",
        "kiloBytes",
        "absolute",
        1,
        "Space actually used",
        "Amount of space actually used by the virtual machine or the datastore",
        frozenset({DATASTORE}),
    ),
    Counter(
        "disk",
        "capacity",
        "latest",
        "kiloBytes",
        "absolute",
        1,
        "Capacity",
        "Configured size of the datastore",
        frozenset({DATASTORE}),
    ),
    Counter(
        "net",
        "usage",
        "average",
        "kiloBytesPerSecond",
        "rate",
        1,
        "Usage",
        "Network utilization (combined transmit-rates and receive-rates) during the interval",
        _VH,
    ),
    Counter(
        "net",
        "received",
        "average",
        "kiloBytesPerSecond",
        "rate",
        2,
        "Data receive rate",
        "Average rate at which data was received during the interval",
        _VH,
    ),
    Counter(
        "net",
        "transmitted",
        "average",
        "kiloBytesPerSecond",
        "rate",
        2,
        "Data transmit rate",
        "Average rate at which data was transmitted during the interval",
        _VH,
    ),
    Counter(
        "sys",
        "uptime",
        "latest",
        "second",
        "absolute",
        1,
        "Uptime",
        "Total time elapsed, in seconds, since last system startup",
        _VH,
    ),
    Counter(
        "sys",
        "heartbeat",
        "latest",
        "number",
        "absolute",
        1,
        "Heartbeat",
        "Number of heartbeats issued per virtual machine during the interval",
        frozenset({VM}),
    ),
    Counter(
        "datastore",
        "read",
        "average",
        "kiloBytesPerSecond",
        "rate",
        2,
        "Read rate",
        "Rate of reading data from the datastore",
        _VH,
    ),
    Counter(
        "datastore",
        "write",
        "average",
        "kiloBytesPerSecond",
        "rate",
        2,
        "Write rate",
        "Rate of writing data to the datastore",
        _VH,
    ),
    Counter("power", "power", "average", "watt", "rate", 2, "Usage", "Current power usage", frozenset({HOST})),
)

# What is sampled in real time (20 s): VMs, hosts and pools, as on vCenter; the rest only
# has historical intervals.
REALTIME_TYPES = frozenset({VM, HOST, POOL})
REALTIME_INTERVAL = 20

# vCenter's default historical intervals: (key, sampling period s, name, length s).
INTERVALS = (
    (1, 300, "Past day", 86400),
    (2, 1800, "Past week", 604800),
    (3, 7200, "Past month", 2592000),
    (4, 86400, "Past year", 31536000),
)
