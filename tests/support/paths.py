"""Where the test data lives: tests/data, in the checkout (copied from the project's shared
protocol references, so that a clone alone runs every test)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
CONFORMANCE = DATA / "cust-cfg"  # cust.cfg files as vCenter writes them
WIRE_LOG = DATA / "pyvmomi-9.1.1.0-wire-log.json"  # pyVmomi 9.1.1.0's SOAP requests, as sent
