"""Run the benchmarks: ``python -m bench`` (``make bench``).

Every figure is printed beside a baseline measured in the same run, on the same
machine, because this machine is shared and noisy: read the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer
from tests.support.vijson import ViClient

from . import engine_bench, vijson_bench
from .common import show


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--seconds", type=float, default=5.0, help="duration of each timed phase")
    p.add_argument(
        "--only",
        choices=["vcsim", "vijson", "engine", "soap", "netns", "guestops", "ui", "pc", "scale"],
        action="append",
        help="run only these (repeatable); scale (100,000 VMs) and pc (100 sessions on 10,000 VMs) take minutes and run only when named",
    )
    p.add_argument(
        "--scale-vms",
        type=int,
        action="append",
        help="with --only scale: inventory sizes (default 10000 and 100000)",
    )
    p.add_argument(
        "--rounds", type=int, default=3, help="with vcsim: rounds of gosc beside its baselines (the median is shown)"
    )
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    only = set(args.only or ["vcsim", "vijson", "engine", "soap", "netns", "guestops", "ui"])
    results: dict[str, object] = {}

    if "engine" in only:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # single core, as the figure is defined
        results["engine"] = engine_bench.run(min(args.seconds, 3.0))
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        show("engine: package build + apply vs file copy (1 core)", results["engine"])  # type: ignore[arg-type]

    if only & {"vcsim", "vijson", "soap"}:
        with tempfile.TemporaryDirectory(prefix="gosc-bench-") as tmp:
            server = GoscServer(Path(tmp) / "data").start()
            try:
                vi = ViClient(server.url)
                vi.login(ADMIN, ADMIN_PASSWORD)
                if "vcsim" in only:
                    from . import vcsim_bench

                    assert server.proc is not None
                    vs = vcsim_bench.run(
                        server.url,
                        server.proc.pid,
                        server.data_dir,
                        ADMIN,
                        ADMIN_PASSWORD,
                        int(args.seconds),
                        args.rounds,
                    )
                    results["vcsim"] = vs
                    show(
                        "gosc beside vcsim 0.24 and a raw ASGI app, same run, TLS, same certificate",
                        vcsim_bench.table(vs),
                    )
                if "vijson" in only:
                    r = vijson_bench.run(vi, args.seconds)
                    results["vijson"] = r
                    show("VI/JSON reads (wrk, 8 connections)", r["reads"])
                    show("CustomizeGuest_Task end to end, 1 client", r["customize_1_client"])
                    show("CustomizeGuest_Task end to end, 32 clients on 32 clones", r["customize_32_clients"])
                    results["login_pressure"] = vijson_bench.login_pressure(vi, args.seconds)
                    show("trivial GET while 16 clients guess passwords (Login)", results["login_pressure"])  # type: ignore[arg-type]
                if "soap" in only:
                    from . import soap_bench

                    soap = soap_bench.run(server.url, ADMIN, ADMIN_PASSWORD, seconds=args.seconds)
                    same = vijson_bench.same_work_as_soap(vi, args.seconds)
                    fetch = soap["Fetch VirtualMachine.guest"]["calls/s"]
                    cust = soap["CustomizeGuest_Task + WaitForTask"]["calls/s"]
                    results["soap"] = {"pyVmomi": soap, "vijson": same}
                    show(
                        f"SOAP ({soap['client']}) beside VI/JSON (httpx), one sequential client each",
                        {
                            "SOAP Fetch(vm, 'guest') calls/s": fetch,
                            "VI/JSON GET VirtualMachine/{id}/guest calls/s": same["GET guest calls/s"],
                            "SOAP / VI/JSON (guest read)": fetch / same["GET guest calls/s"],
                            "SOAP CustomizeGuest + WaitForTask /s": cust,
                            "VI/JSON CustomizeGuest + poll /s": same["CustomizeGuest_Task + poll calls/s"],
                            "SOAP / VI/JSON (customize)": cust / same["CustomizeGuest_Task + poll calls/s"],
                        },
                    )
            finally:
                server.stop()

    if "guestops" in only:
        from . import guestops_bench

        results["guestops"] = guestops_bench.run(args.seconds)
        show("guest operations (pyVmomi): programs per second, upload beside a local copy", results["guestops"])  # type: ignore[arg-type]

    if "netns" in only:
        from . import netns_bench

        results["netns"] = netns_bench.run()
        show(
            "netns: InstantClone_Task submitted -> clone answers ping at its customized address",
            _flat(results["netns"]),
        )  # type: ignore[arg-type]

    if "pc" in only:
        from . import pc_bench, vcsim_bench

        with tempfile.TemporaryDirectory(prefix="gosc-bench-") as tmp:
            server = GoscServer(Path(tmp) / "data").start()
            try:
                power = vcsim_bench.power_ratio(server.url, server.data_dir, ADMIN, ADMIN_PASSWORD, args.seconds)
            finally:
                server.stop()
        show("power task + WaitForTask, 1 pyVmomi client, beside vcsim 0.24", power)  # type: ignore[arg-type]
        fan_out = pc_bench.run()
        results["pc"] = {"power": power, "fan-out": fan_out}
        show("property collector: one VM change, 100 sessions each watching a 10,000-VM ContainerView", _flat(fan_out))

    if "ui" in only:
        from . import ui_bench

        results["ui"] = ui_bench.run()
        show(
            "web console: server time per page with 1,008 VMs, beside the API read of the same data",
            _flat(results["ui"]),
        )  # type: ignore[arg-type]

    if "scale" in only:
        from . import scale_bench

        sizes = tuple(args.scale_vms or (10_000, 100_000))
        results["scale"] = scale_bench.run(sizes)
        show("big inventories: gosc --demo-vms N beside vcsim -vm (2 pools), same run", _flat(results["scale"]))

    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def _flat(d: dict[str, object], prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k} "))
        else:
            out[f"{prefix}{k}"] = v
    return out


if __name__ == "__main__":
    main()
