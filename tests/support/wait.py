"""Waiting for a condition the test cannot be told about: poll it, with a bound that only
decides when to give up (a failure), never whether an answer was fast enough."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")


def wait_for(
    predicate: Callable[[], _T], what: str = "the condition", timeout: float = 60.0, every: float = 0.02
) -> _T:
    """The first true value of ``predicate()``; AssertionError naming ``what`` if none comes
    within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout:g} s")
