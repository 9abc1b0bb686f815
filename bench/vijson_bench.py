"""VI/JSON figures on one server: task-info reads vs a trivial endpoint, and end-to-end
CustomizeGuest_Task latency and throughput with 1 and 32 clients on 32 clones."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.support.specs import customize_body, dhcp, instant_clone_body, linux_spec
from tests.support.vijson import ViClient

from .common import percentile, summary_ms, wrk

GCM = "VirtualMachineGuestCustomizationManager/GuestCustomizationManager/CustomizeGuest_Task"


def read_rates(vi: ViClient, task_id: str) -> dict[str, float]:
    headers = {"vmware-api-session-id": vi.session or ""}
    trivial = wrk(f"{vi.base}/ServiceInstance/ServiceInstance/serverClock", headers)
    info = wrk(f"{vi.base}/Task/{task_id}/info", headers)
    return {
        "trivial GET serverClock req/s": trivial,
        "GET Task/{id}/info req/s": info,
        "task info / trivial": info / trivial,
    }


def make_clones(vi: ViClient, count: int, prefix: str) -> list[dict[str, str]]:
    src = vi.find("DC0/vm/demo-ubuntu")
    tasks = [
        vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body(f"{prefix}-{i}"))
        for i in range(count)
    ]
    return [vi.wait_task(t)["result"] for t in tasks]


async def _customize_loop(
    client: httpx.AsyncClient,
    base: str,
    headers: dict[str, str],
    vm: dict[str, str],
    deadline: float,
    latencies: list[float],
    n: int,
) -> None:
    i = 0
    while time.monotonic() < deadline:
        i += 1
        body = customize_body(vm, linux_spec(f"b{n}x{i}", nics=[dhcp()], tz=None))
        t0 = time.perf_counter()
        r = await client.post(f"{base}/{GCM}", json=body, headers=headers)
        task = r.json()["value"]
        while True:
            info = (await client.get(f"{base}/Task/{task}/info", headers=headers)).json()
            if info["state"] in ("success", "error"):
                break
            await asyncio.sleep(0.001)
        if info["state"] != "success":
            raise RuntimeError(info)
        latencies.append(time.perf_counter() - t0)


async def customize_rate(vi: ViClient, clones: list[dict[str, str]], seconds: float) -> dict[str, float]:
    headers = {"vmware-api-session-id": vi.session or ""}
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=len(clones) + 4)
    async with httpx.AsyncClient(verify=False, timeout=60, limits=limits) as client:
        t0 = time.monotonic()
        deadline = t0 + seconds
        await asyncio.gather(
            *(_customize_loop(client, vi.base, headers, vm, deadline, latencies, n) for n, vm in enumerate(clones))
        )
        elapsed = time.monotonic() - t0
    return {"completions/s": len(latencies) / elapsed, **summary_ms(latencies), "count": float(len(latencies))}


def run(vi: ViClient, seconds: float = 5.0) -> dict[str, Any]:
    clones = make_clones(vi, 32, "bench")
    first = vi.call(
        "VirtualMachineGuestCustomizationManager",
        "GuestCustomizationManager",
        "CustomizeGuest_Task",
        customize_body(clones[0], linux_spec("warm", nics=[dhcp()])),
    )
    vi.wait_task(first)
    out: dict[str, Any] = {"reads": read_rates(vi, first["value"])}
    out["customize_1_client"] = asyncio.run(customize_rate(vi, clones[:1], seconds))
    out["customize_32_clients"] = asyncio.run(customize_rate(vi, clones, seconds))
    return out


def same_work_as_soap(vi: ViClient, seconds: float = 5.0) -> dict[str, float]:
    """The work bench/soap_bench.py does through pyVmomi, done by one sequential VI/JSON
    client (httpx): read a VM's ``guest``; customize and wait for the task."""
    clone = make_clones(vi, 1, "bench-same")[0]
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        vi.get("VirtualMachine", clone["value"], "guest")
        n += 1
    reads = n / (time.perf_counter() - t0)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        task = vi.call(
            "VirtualMachineGuestCustomizationManager",
            "GuestCustomizationManager",
            "CustomizeGuest_Task",
            customize_body(clone, linux_spec(f"same{n}", nics=[dhcp()], tz=None)),
        )
        assert vi.wait_task(task)["state"] == "success"
        n += 1
    return {"GET guest calls/s": reads, "CustomizeGuest_Task + poll calls/s": n / (time.perf_counter() - t0)}


def _trivial_gets(client: httpx.Client, url: str, headers: dict[str, str], seconds: float) -> list[float]:
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        client.get(url, headers=headers).raise_for_status()
        latencies.append(time.perf_counter() - t0)
    return latencies


def login_pressure(vi: ViClient, seconds: float = 5.0, guessers: int = 16) -> dict[str, float]:
    """p50 of a trivial GET (serverClock) alone, then while ``guessers`` clients guess
    passwords without pause (each Login costs the server an scrypt check), same run."""
    import threading

    url = f"{vi.base}/ServiceInstance/ServiceInstance/serverClock"
    headers = {"vmware-api-session-id": vi.session or ""}
    stop = threading.Event()
    guesses = [0] * guessers

    def guess(n: int) -> None:
        with httpx.Client(verify=False, timeout=60) as c:
            while not stop.is_set():
                # An unknown user: the same hash work, and no real account gets locked.
                c.post(
                    f"{vi.base}/SessionManager/SessionManager/Login",
                    json={"userName": f"bench-guesser-{n}@vsphere.local", "password": f"guess-{guesses[n]}"},
                )
                guesses[n] += 1

    with httpx.Client(verify=False, timeout=60) as client:
        alone = _trivial_gets(client, url, headers, seconds)
        threads = [threading.Thread(target=guess, args=(n,)) for n in range(guessers)]
        for t in threads:
            t.start()
        try:
            t0 = time.monotonic()
            busy = _trivial_gets(client, url, headers, seconds)
            elapsed = time.monotonic() - t0
        finally:
            stop.set()
            for t in threads:
                t.join()
    p50_alone, p50_busy = percentile(alone, 50) * 1000, percentile(busy, 50) * 1000
    return {
        "GET serverClock p50 ms, alone": p50_alone,
        f"GET serverClock p50 ms, {guessers} guessers": p50_busy,
        "with guessers / alone": p50_busy / p50_alone,
        "password guesses answered/s": sum(guesses) / elapsed,
    }
