"""Client tests: each records its outcome per server for docs/compatibility.md (results.py)."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator

import pytest

from tests.clients.results import record
from tests.clients.targets import Target, Vcsim, gosc_target
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "compat(client, command): the test is the cell client x command of docs/compatibility.md"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    marker = item.get_closest_marker("compat")
    target = getattr(item, "funcargs", {}).get("target")
    if marker is not None and (report.when == "call" or (report.when == "setup" and report.failed)):
        name = target.name if isinstance(target, Target) else str(marker.kwargs.get("target", "gosc"))
        why = ""
        if call.excinfo is not None:
            text = str(call.excinfo.value).strip() or call.excinfo.exconly()
            why = text.splitlines()[0][:200]
        record(str(marker.args[0]), str(marker.args[1]), name, report.passed, why)
    return report


@pytest.fixture(scope="module")
def vcsim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    sim = Vcsim(tmp_path_factory.mktemp("vcsim") / "vcsim.log")
    yield sim.target
    sim.stop()


@pytest.fixture(scope="module")
def gosc_side(server: GoscServer) -> Target:
    return gosc_target("127.0.0.1", server.port, ADMIN, ADMIN_PASSWORD, server.log_path)


# vcsim 0.24 is another product: its column of docs/compatibility.md is measured on request
# (`make compat-vcsim`, which sets this) and kept in tests/clients/vcsim-results/; `make test`
# tests gosc alone, so that vcsim's own failures never fail gosc's suite.
TARGETS = ["gosc", "vcsim"] if os.environ.get("GOSC_COMPAT_VCSIM") == "1" else ["gosc"]


@pytest.fixture(scope="module", params=TARGETS)
def target(request: pytest.FixtureRequest) -> Target:
    """Each test runs against gosc (and against vcsim 0.24 for `make compat-vcsim`)."""
    t: Target = request.getfixturevalue("gosc_side" if request.param == "gosc" else "vcsim")
    return t
