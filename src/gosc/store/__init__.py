"""Persistence behind one small interface: documents by (kind, key), and counters."""

from .base import Store
from .sqlite import SqliteStore

__all__ = ["SqliteStore", "Store", "open_store"]


def open_store(url: str) -> Store:
    """``sqlite:///path/to/gosc.db`` (the default) or a bare path."""
    path = url.removeprefix("sqlite://") if url.startswith("sqlite://") else url
    return SqliteStore(path)
