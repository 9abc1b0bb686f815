"""gosc beside vcsim 0.24 (govmomi's simulator, in Go) in the same run, over TLS with the
same certificate: SOAP ``RetrievePropertiesEx(ServiceInstance content.about)`` and
``CurrentTime`` under wrk (a C load generator, 32 connections), with each server's CPU time
per request read from /proc/<pid>/stat before and after; ``PowerOffVM_Task`` /
``PowerOnVM_Task`` + ``WaitForTask`` with one pyVmomi client; and the VI/JSON trivial GET
beside a raw ASGI app on gosc's own server stack (bench/raw_asgi.py), and that app on
uvicorn's stock uvloop + httptools stack (what gosc's limits cost).  Every figure is
printed beside its baseline and the ratio, as the targets of issue 12 are ratios."""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import wrk_run

REPO = Path(__file__).resolve().parent.parent
VCSIM = REPO / ".cache" / "bin" / "vcsim"
TICK = os.sysconf("SC_CLK_TCK")

ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
    'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<soapenv:Body>{}</soapenv:Body>\n</soapenv:Envelope>'
)


def about_body(collector: str) -> str:
    """What pyVmomi sends for ``RetrievePropertiesEx`` of ``content.about`` (as
    ``si.content.about`` reads it through a property collector)."""
    return ENVELOPE.format(
        '<RetrievePropertiesEx xmlns="urn:vim25">'
        f'<_this type="PropertyCollector">{collector}</_this>'
        "<specSet><propSet><type>ServiceInstance</type><all>false</all><pathSet>content.about</pathSet></propSet>"
        '<objectSet><obj type="ServiceInstance">ServiceInstance</obj><skip>false</skip></objectSet></specSet>'
        "<options></options></RetrievePropertiesEx>"
    )


CURRENT_TIME = ENVELOPE.format(
    '<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></CurrentTime>'
)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Vcsim:
    """vcsim 0.24 on a free loopback port with ``cert``/``key`` (gosc's, so TLS costs the same)."""

    def __init__(self, cert: Path, key: Path, log: Path, *extra: str) -> None:
        if not VCSIM.exists():
            raise SystemExit(f"{VCSIM} is missing: build it with `scripts/setup --with-debs`")
        args = [str(VCSIM), "-l", "127.0.0.1:0", "-tlscert", str(cert), "-tlskey", str(key), *extra]
        with open(log, "wb") as err:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True)
        assert self.proc.stdout is not None
        t0 = time.monotonic()
        line = self.proc.stdout.readline()  # once it listens: export GOVC_URL=https://user:pass@127.0.0.1:PORT/sdk ...
        self.start_seconds = time.monotonic() - t0
        m = re.search(r"GOVC_URL=https://([^:]+):([^@]+)@127\.0\.0\.1:(\d+)/sdk", line)
        if m is None:
            self.stop()
            raise RuntimeError(f"vcsim did not print its URL: {line!r}\n{log.read_text(errors='replace')}")
        self.user, self.password, self.port = m[1], m[2], int(m[3])
        self.url = f"https://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class RawAsgi:
    def __init__(self, cert: Path, key: Path, workdir: Path, *stack: str) -> None:
        self.cert, self.key, self.workdir = cert, key, workdir
        port_file = workdir / f"raw-asgi-port{'-'.join(stack)}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.raw_asgi", str(cert), str(key), str(port_file), *stack],
            cwd=REPO,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while not port_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the raw ASGI app did not start")
            time.sleep(0.05)
        self.url = f"https://127.0.0.1:{int(port_file.read_text())}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(15)


def _connect(url: str, user: str, password: str) -> Any:
    from urllib.parse import urlsplit

    from pyVim.connect import SmartConnect

    u = urlsplit(url)
    return SmartConnect(host=u.hostname, port=u.port, user=user, pwd=password, disableSslCertValidation=True)


def _cookie(si: Any) -> str:
    m = re.search(r'vmware_soap_session="?([^";]+)"?', si._stub.cookie)
    assert m, si._stub.cookie
    return f'vmware_soap_session="{m[1]}"'


def measured(pid: int, run: Callable[[], tuple[float, int]]) -> dict[str, float]:
    """Requests/s of ``run`` (which returns its rate and request count) and the server's
    CPU time per request, in microseconds."""
    before = cpu_seconds(pid)
    rate, requests = run()
    spent = cpu_seconds(pid) - before
    return {"req/s": rate, "server CPU us/req": spent / max(requests, 1) * 1e6}


def soap_rates(url: str, pid: int, cookie: str, collector: str, seconds: int) -> dict[str, dict[str, float]]:
    headers = {"Cookie": cookie, "SOAPAction": "urn:vim25/8.0.3.0", "Content-Type": "text/xml; charset=utf-8"}
    out = {}
    for name, body in (("RetrievePropertiesEx(about)", about_body(collector)), ("CurrentTime", CURRENT_TIME)):
        wrk_run(f"{url}/sdk", headers, seconds=1, connections=32, threads=2, body=body)  # warm-up
        out[name] = measured(
            pid, lambda body=body: wrk_run(f"{url}/sdk", headers, seconds=seconds, connections=32, threads=2, body=body)
        )
    return out


def power_rate(si: Any, vm_path: str, seconds: float) -> dict[str, float]:
    """Tasks/s of PowerOffVM_Task / PowerOnVM_Task, each followed by pyVim's WaitForTask."""
    from pyVim.task import WaitForTask

    vm = si.content.searchIndex.FindByInventoryPath(vm_path)
    if vm is None:
        raise RuntimeError(f"no VM at {vm_path}")
    if vm.runtime.powerState != "poweredOn":
        WaitForTask(vm.PowerOnVM_Task())
    n, t0 = 0, time.monotonic()
    while time.monotonic() - t0 < seconds or n % 2:
        task = vm.PowerOffVM_Task() if n % 2 == 0 else vm.PowerOnVM_Task()
        if WaitForTask(task) != "success":
            raise RuntimeError(f"power task failed: {task.info.error}")
        n += 1
    return {"tasks/s": n / (time.monotonic() - t0)}


def power_ratio(gosc_url: str, data_dir: Path, admin: str, password: str, seconds: float = 5) -> dict[str, Any]:
    """Only the power task row (``--only pc``): gosc, then vcsim, then gosc again, so that
    a change in the machine's load shows as a difference between the two gosc runs."""
    cert, key = data_dir / "tls" / "server.crt", data_dir / "tls" / "server.key"
    with tempfile.TemporaryDirectory(prefix="gosc-bench-vcsim-") as tmp:
        vcsim = Vcsim(cert, key, Path(tmp) / "vcsim.log")
        try:
            gsi = _connect(gosc_url, admin, password)
            vsi = _connect(vcsim.url, vcsim.user, vcsim.password)
            power_rate(gsi, "DC0/vm/demo-debian", 1)  # warm-up
            power_rate(vsi, "DC0/vm/DC0_H0_VM0", 1)
            first = power_rate(gsi, "DC0/vm/demo-debian", seconds)["tasks/s"]
            other = power_rate(vsi, "DC0/vm/DC0_H0_VM0", seconds)["tasks/s"]
            second = power_rate(gsi, "DC0/vm/demo-debian", seconds)["tasks/s"]
        finally:
            vcsim.stop()
    mean = (first + second) / 2
    return {
        "gosc tasks/s (before, after vcsim)": (first, second),
        "vcsim tasks/s": other,
        "ratio": mean / other,
        "load average": os.getloadavg(),
    }


def run(
    gosc_url: str, gosc_pid: int, data_dir: Path, admin: str, password: str, seconds: int = 5, rounds: int = 3
) -> dict[str, Any]:
    """``rounds`` rounds, each measuring gosc then its baseline for every row: the machine
    is shared, and its speed changes by half within a minute; a ratio is read from one
    round (same minute) and the median round's is reported, with the spread."""
    cert, key = data_dir / "tls" / "server.crt", data_dir / "tls" / "server.key"
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="gosc-bench-vcsim-") as tmp:
        vcsim = Vcsim(cert, key, Path(tmp) / "vcsim.log")
        raw: RawAsgi | None = None
        try:
            raw = RawAsgi(cert, key, Path(tmp))
            gsi = _connect(gosc_url, admin, password)
            vsi = _connect(vcsim.url, vcsim.user, vcsim.password)
            power_rate(gsi, "DC0/vm/demo-debian", 1)  # warm-up
            power_rate(vsi, "DC0/vm/DC0_H0_VM0", 1)
            for _ in range(rounds):
                results: dict[str, Any] = {}
                for name, si, url, pid in (
                    ("gosc", gsi, gosc_url, gosc_pid),
                    ("vcsim", vsi, vcsim.url, vcsim.proc.pid),
                ):
                    collector = si.content.propertyCollector._moId
                    results[name] = soap_rates(url, pid, _cookie(si), collector, seconds)
                results["gosc"]["power"] = power_rate(gsi, "DC0/vm/demo-debian", seconds)
                results["vcsim"]["power"] = power_rate(vsi, "DC0/vm/DC0_H0_VM0", seconds)
                results["trivial GET"] = trivial_get(gosc_url, gosc_pid, raw, admin, password, seconds)
                out.append(results)
            stock = stock_stack(raw, seconds)
        finally:
            vcsim.stop()
            if raw is not None:
                raw.stop()
    return {"rounds": out, "stock": stock}


def trivial_get(gosc_url: str, gosc_pid: int, raw: RawAsgi, admin: str, password: str, seconds: int) -> dict[str, Any]:
    from tests.support.vijson import ViClient

    vi = ViClient(gosc_url)
    vi.login(admin, password)
    headers = {"vmware-api-session-id": vi.session or ""}
    url = f"{vi.base}/ServiceInstance/ServiceInstance/serverClock"
    wrk_run(url, headers, seconds=1)
    wrk_run(raw.url + "/", {}, seconds=1)
    g = measured(gosc_pid, lambda: wrk_run(url, headers, seconds=seconds))
    r = measured(raw.proc.pid, lambda: wrk_run(raw.url + "/", {}, seconds=seconds))
    return {"gosc GET serverClock": g, "raw ASGI": r}


def stock_stack(raw: RawAsgi, seconds: int) -> dict[str, Any]:
    """The raw ASGI app on uvicorn's stock stack beside ``raw`` (gosc's stack: limits, TLS)."""
    stock = RawAsgi(Path(raw.cert), Path(raw.key), raw.workdir, "uvicorn")
    try:
        out = {}
        for name, app in (("gosc's stack", raw), ("uvicorn's stock stack", stock)):
            wrk_run(app.url + "/", {}, seconds=1)
            out[name] = measured(app.proc.pid, lambda app=app: wrk_run(app.url + "/", {}, seconds=seconds))
        return out
    finally:
        stock.stop()


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _ratio(values: list[float]) -> str:
    return f"ratio {_median(values):.2f} ({min(values):.2f}-{max(values):.2f} over {len(values)} rounds)"


def table(results: dict[str, Any]) -> dict[str, str]:
    rows: dict[str, str] = {}
    rounds = results["rounds"]
    for name in ("RetrievePropertiesEx(about)", "CurrentTime"):
        a = [r["gosc"][name] for r in rounds]
        b = [r["vcsim"][name] for r in rounds]
        ratios = [x["req/s"] / y["req/s"] for x, y in zip(a, b, strict=True)]
        cpu = [x["server CPU us/req"] / y["server CPU us/req"] for x, y in zip(a, b, strict=True)]
        rows[f"SOAP {name}"] = (
            f"gosc {_median([x['req/s'] for x in a]):,.0f} req/s {_median([x['server CPU us/req'] for x in a]):.0f} us"
            f" | vcsim {_median([y['req/s'] for y in b]):,.0f} req/s {_median([y['server CPU us/req'] for y in b]):.0f} us"
            f" | {_ratio(ratios)}, CPU x{_median(cpu):.1f}"
        )
    a_p = [r["gosc"]["power"]["tasks/s"] for r in rounds]
    b_p = [r["vcsim"]["power"]["tasks/s"] for r in rounds]
    rows["power task + WaitForTask, 1 client"] = (
        f"gosc {_median(a_p):.0f}/s | vcsim {_median(b_p):.0f}/s | {_ratio([x / y for x, y in zip(a_p, b_p, strict=True)])}"
    )
    g = [r["trivial GET"]["gosc GET serverClock"] for r in rounds]
    w = [r["trivial GET"]["raw ASGI"] for r in rounds]
    rows["VI/JSON trivial GET vs raw ASGI (8 conns)"] = (
        f"gosc {_median([x['req/s'] for x in g]):,.0f} req/s {_median([x['server CPU us/req'] for x in g]):.0f} us"
        f" | raw {_median([y['req/s'] for y in w]):,.0f} req/s {_median([y['server CPU us/req'] for y in w]):.0f} us"
        f" | {_ratio([x['req/s'] / y['req/s'] for x, y in zip(g, w, strict=True)])}"
    )
    ours, stock = results["stock"]["gosc's stack"], results["stock"]["uvicorn's stock stack"]
    rows["raw ASGI: uvicorn stock, no limits, vs gosc's"] = (
        f"{stock['req/s']:,.0f} req/s {stock['server CPU us/req']:.0f} us | ratio {stock['req/s'] / ours['req/s']:.2f}"
    )
    return rows
