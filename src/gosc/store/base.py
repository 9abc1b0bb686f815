"""The store interface the inventory writes through.

Documents are JSON-able dicts, grouped by kind ("vm", "task", "event", "user", ...).
Every write is durable when the call returns, so a crash loses at most the call in
flight; the inventory keeps its own copy in memory and reads the store only at start.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol


class Store(Protocol):
    def put(self, kind: str, key: str, doc: dict[str, Any]) -> None: ...

    def put_many(self, kind: str, docs: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """``put`` of each (key, doc), all in one transaction: every one is stored or none."""
        ...

    def delete(self, kind: str, key: str) -> None: ...

    def load(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]: ...

    def distinct(self, kind: str, fields: tuple[str, ...]) -> set[tuple[Any, ...]]:
        """The distinct combinations of the top-level ``fields`` among the documents of
        ``kind`` (a missing field: None), without reading each document into memory."""
        ...

    def next_id(self, counter: str) -> int:
        """A number never handed out before for ``counter`` (moIds, task and event keys)."""
        ...

    def next_ids(self, counter: str, count: int) -> range:
        """``count`` numbers never handed out before for ``counter``, in one write."""
        ...

    def close(self) -> None: ...
