"""Where the test data lives: ../shared beside the checkout (as CI lays it out)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CONFORMANCE = SHARED / "conformance" / "cust-cfg"
