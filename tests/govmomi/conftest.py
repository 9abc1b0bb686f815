"""govmomi (the Go SDK behind govc and Terraform) against gosc's SOAP endpoint.

The driver (driver/main.go) is built once with the system Go and the Debian govmomi
0.24 sources (``scripts/setup --with-debs`` installs golang-go and
golang-github-vmware-govmomi-dev), in GOPATH mode since there is no module proxy.
The binary is cached in the repo's git-ignored .cache/, keyed by a hash of the driver's
source, the Go version and the govmomi sources, so reruns do not build again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer

REPO = Path(__file__).resolve().parents[2]
DRIVER_SRC = Path(__file__).parent / "driver"
CACHE = REPO / ".cache"
GOCODE = Path("/usr/share/gocode")
GOVMOMI = GOCODE / "src/github.com/vmware/govmomi"
IMPORT_PATH = "gosc-govmomi-driver"
SCENARIOS = ("connect", "customize", "faults", "session")
SETUP_HINT = (
    "install them with `scripts/setup --with-debs` (Debian packages golang-go and golang-github-vmware-govmomi-dev)"
)


def _go() -> str:
    go = shutil.which("go") or ("/usr/bin/go" if Path("/usr/bin/go").exists() else None)
    if go is None:
        pytest.fail(f"the govmomi tests need the Go toolchain (`go` is not on PATH); {SETUP_HINT}", pytrace=False)
    if not (GOVMOMI / "client.go").exists():
        pytest.fail(f"the govmomi tests need the govmomi 0.24 sources in {GOVMOMI}; {SETUP_HINT}", pytrace=False)
    return go


def _build_env(gopath: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(
        GO111MODULE="off",
        GOPATH=f"{gopath}:{GOCODE}",
        GOCACHE=str(CACHE / "go-build"),
        GOFLAGS="",
        GOPROXY="off",
        GOTOOLCHAIN="local",
        CGO_ENABLED="0",
    )
    env.setdefault("HOME", str(gopath))
    return env


def _key(go: str) -> str:
    h = hashlib.sha256()
    for f in sorted(DRIVER_SRC.glob("*.go")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    h.update(subprocess.run([go, "version"], capture_output=True, text=True, check=True).stdout.encode())
    for f in (GOVMOMI / "client.go", GOVMOMI / "vim25/types/types.go", GOVMOMI / "vim25/soap/client.go"):
        st = f.stat()
        h.update(f"{f}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def govmomi_driver() -> Path:
    """The built driver binary (built here on a clean machine, ~10-30 s; cached after)."""
    go = _go()
    binary = CACHE / f"govmomi-driver-{_key(go)}"
    if binary.exists():
        return binary
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gosc-gopath-") as tmp:
        pkg = Path(tmp) / "src" / IMPORT_PATH
        pkg.mkdir(parents=True)
        for f in DRIVER_SRC.glob("*.go"):
            shutil.copy2(f, pkg / f.name)
        out = binary.with_name(f"{binary.name}.{os.getpid()}.tmp")
        r = subprocess.run(
            [go, "build", "-o", str(out), IMPORT_PATH],
            cwd=pkg,
            env=_build_env(Path(tmp)),
            capture_output=True,
            text=True,
            timeout=600,
        )
        if r.returncode != 0:
            pytest.fail(f"building the govmomi driver failed:\n{r.stdout}{r.stderr}", pytrace=False)
        os.replace(out, binary)  # atomic: a concurrent run sees a whole binary or none
    for old in CACHE.glob("govmomi-driver-*"):
        if old != binary and not old.name.endswith(".tmp"):
            old.unlink(missing_ok=True)
    return binary


def run_driver(binary: Path, server: GoscServer, prefix: str, *scenarios: str, timeout: float = 180) -> dict[str, Any]:
    """Run scenarios in one driver process; {scenario: line} where line has "result" or "error"."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env["GOSC_PASSWORD"] = ADMIN_PASSWORD  # not on the command line
    r = subprocess.run(
        [str(binary), "-url", f"{server.url}/sdk", "-user", ADMIN, "-prefix", prefix, *scenarios],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if r.returncode != 0:
        pytest.fail(
            f"govmomi driver exited with {r.returncode}:\n{r.stderr[-6000:]}\n--- server log ---\n"
            f"{server.log()[-4000:]}",
            pytrace=False,
        )
    lines = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return {line["scenario"]: line for line in lines}


@pytest.fixture(scope="module")
def govmomi_run(govmomi_driver: Path, server: GoscServer) -> dict[str, Any]:
    """Every scenario, once, against the module's server (one Go process: ~1-3 s)."""
    return run_driver(govmomi_driver, server, "gv", *SCENARIOS)


@pytest.fixture
def scenario(govmomi_run: dict[str, Any], server: GoscServer) -> Any:
    def get(name: str) -> dict[str, Any]:
        line = govmomi_run.get(name)
        if line is None:
            pytest.fail(f"the driver printed no result for scenario {name}", pytrace=False)
        if "error" in line:
            pytest.fail(
                f"govmomi scenario {name} failed: {line['error']}\n{line.get('stack', '')}\n"
                f"--- server log ---\n{server.log()[-4000:]}",
                pytrace=False,
            )
        return line["result"]  # type: ignore[no-any-return]

    return get
