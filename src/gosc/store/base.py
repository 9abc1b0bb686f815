"""The store interface the inventory writes through.

Documents are JSON-able dicts, grouped by kind ("vm", "task", "event", "user", ...).
Every write is durable when the call returns, so a crash loses at most the call in
flight; the inventory keeps its own copy in memory and reads the store only at start.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol


class Store(Protocol):
    def put(self, kind: str, key: str, doc: dict[str, Any]) -> None: ...

    def delete(self, kind: str, key: str) -> None: ...

    def load(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]: ...

    def next_id(self, counter: str) -> int:
        """A number never handed out before for ``counter`` (moIds, task and event keys)."""
        ...

    def close(self) -> None: ...
