"""Profile the SOAP request path in process: the ASGI app (no HTTP server, no TLS) driven
with the same envelopes bench/vcsim_bench.py sends, under cProfile.

``python -m bench.soap_profile [--count N] [--method about|time|both] [--top K]``: prints
the microseconds per request of each envelope, then cProfile's top functions."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from gosc.server.app import ServerConfig, build_service_instance, create_app, start

from .vcsim_bench import CURRENT_TIME, ENVELOPE, about_body

LOGIN = ENVELOPE.format(
    '<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this>'
    "<userName>administrator@vsphere.local</userName><password>Gosc-Prof-1!</password></Login>"
)


async def call(app: Any, body: bytes, cookie: str = "") -> tuple[int, bytes, dict[str, str]]:
    headers = [(b"content-type", b"text/xml"), (b"soapaction", b"urn:vim25/8.0.3.0")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": "/sdk",
        "raw_path": b"/sdk",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 443),
    }
    sent = False
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["body"], out["headers"]


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="gosc-prof-") as tmp:
        os.environ["GOSC_ADMIN_PASSWORD"] = "Gosc-Prof-1!"
        config = ServerConfig(data_dir=Path(tmp) / "data", demo=True)
        si = build_service_instance(config)
        await start(si, config)
        app = create_app(config, si)
        status, _, headers = await call(app, LOGIN.encode())
        assert status == 200, status
        cookie = re.sub(r";.*", "", headers["set-cookie"])
        bodies = {"about": about_body("propertyCollector").encode(), "time": CURRENT_TIME.encode()}
        chosen = list(bodies) if args.method == "both" else [args.method]
        for name in chosen:
            status, answer, _ = await call(app, bodies[name], cookie)
            assert status == 200, answer
            t0 = time.perf_counter()
            for _ in range(args.count):
                await call(app, bodies[name], cookie)
            print(f"{name}: {(time.perf_counter() - t0) / args.count * 1e6:.0f} us/request in process")
        prof = cProfile.Profile()
        prof.enable()
        for name in chosen:
            for _ in range(args.count):
                await call(app, bodies[name], cookie)
        prof.disable()
        pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)
        await si.shutdown()
        si.store.close()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.soap_profile")
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--method", choices=["about", "time", "both"], default="both")
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--sort", default="cumulative")
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
