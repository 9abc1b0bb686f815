"""Persistence behind one small interface: documents by (kind, key), and counters."""

from .base import Store
from .sqlite import SqliteStore

__all__ = ["SqliteStore", "Store"]
