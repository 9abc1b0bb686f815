"""Shared bench helpers: percentiles, wrk runs, printing."""

from __future__ import annotations

import re
import statistics
import subprocess
import tempfile
from typing import Any


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary_ms(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": percentile(values, 50) * 1000,
        "p99_ms": percentile(values, 99) * 1000,
        "mean_ms": statistics.fmean(values) * 1000 if values else float("nan"),
    }


def wrk(url: str, headers: dict[str, str], *, seconds: int = 3, connections: int = 8, threads: int = 1) -> float:
    """Requests/s that wrk measures against ``url`` (a separate, C load generator, so the
    Python client is never the bottleneck)."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m or "Non-2xx" in out:
        raise RuntimeError(f"wrk failed or saw errors:\n{out}")
    return float(m.group(1))


def wrk_run(
    url: str,
    headers: dict[str, str],
    *,
    seconds: int = 3,
    connections: int = 8,
    threads: int = 1,
    body: str | None = None,
) -> tuple[float, int]:
    """(requests/s, requests) that wrk measures; with ``body``, each request is a POST of it
    (through a wrk Lua script)."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if body is not None:
            script.write(f'wrk.method = "POST"\nwrk.body = {_lua_string(body)}\n')
            script.flush()
            args += ["-s", script.name]
        out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    count = re.search(r"(\d+) requests in", out)
    if not rate or not count or "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk failed or saw errors:\n{out}")
    return float(rate.group(1)), int(count.group(1))


def _lua_string(text: str) -> str:
    level = "=" * 4  # a long bracket no SOAP body contains
    return f"[{level}[{text}]{level}]"


def show(title: str, rows: dict[str, Any]) -> None:
    print(f"\n== {title}")
    for k, v in rows.items():
        print(f"  {k:<46} {v:>12.2f}" if isinstance(v, float) else f"  {k:<46} {v!s:>12}")
