"""docs/testing.md shows docs/examples/test_my_automation.py (which make test runs): the
block a user copies is the code that is run."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_testing_md_shows_the_example_that_runs() -> None:
    blocks = re.findall(r"^```python\n(.*?)^```", (DOCS / "testing.md").read_text(), flags=re.M | re.S)
    assert len(blocks) == 1
    assert blocks[0] in (DOCS / "examples" / "test_my_automation.py").read_text()
