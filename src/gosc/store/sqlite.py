"""SQLite store: one file in the data directory, WAL mode, one connection per process."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from .private import private_file, tighten_if_present

# Numbers are reserved from a counter this many at a time and handed out from memory: a
# write per moId, task or event key was a transaction of its own on every task.  A restart
# skips what was reserved and not handed out (numbers are never reused, gaps are allowed).
_ID_BLOCK = 64


def _dumps(doc: dict[str, Any]) -> str:
    """``doc`` as compact JSON: orjson (a VM's document is 8 KiB, written at every change),
    the standard library for what orjson refuses (an integer beyond 64 bits)."""
    try:
        return orjson.dumps(doc).decode()
    except orjson.JSONEncodeError:
        return json.dumps(doc, separators=(",", ":"))


_SCHEMA = """
CREATE TABLE IF NOT EXISTS doc (
    kind TEXT NOT NULL,
    key  TEXT NOT NULL,
    body TEXT NOT NULL,
    seq  INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(
            mode=0o700, parents=True, exist_ok=True
        )  # the data directory itself is made private by the server
        # SQLite makes the -wal and -shm files with the database file's mode: 0600 first.
        private_file(path)
        for side in ("-wal", "-shm", "-journal"):
            tighten_if_present(path.with_name(path.name + side))
        # check_same_thread=False: engine threads never touch the store, but the
        # connection may be closed from a signal handler's thread at shutdown.
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode is durable against process crashes (not power loss),
        # which is the failure the restart tests and users care about here.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM doc").fetchone()[0]
        self._reserved: dict[str, range] = {}  # per counter: numbers reserved, not yet handed out

    def put(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        body = _dumps(doc)
        with self._lock:
            self._seq += 1
            self._db.execute(
                "INSERT INTO doc(kind, key, body, seq) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(kind, key) DO UPDATE SET body = excluded.body",
                (kind, key, body, self._seq),
            )

    def put_many(self, kind: str, docs: Iterable[tuple[str, dict[str, Any]]]) -> None:
        # One transaction for the lot: a commit per document is what makes bulk writes slow.
        bodies = [(key, _dumps(doc)) for key, doc in docs]
        with self._lock:
            first = self._seq + 1
            self._seq += len(bodies)
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT INTO doc(kind, key, body, seq) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(kind, key) DO UPDATE SET body = excluded.body",
                    ((kind, key, body, first + i) for i, (key, body) in enumerate(bodies)),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def delete(self, kind: str, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM doc WHERE kind = ? AND key = ?", (kind, key))

    def load(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute("SELECT key, body FROM doc WHERE kind = ? ORDER BY seq", (kind,)).fetchall()
        for key, body in rows:
            try:
                yield key, orjson.loads(body)
            except orjson.JSONDecodeError:  # what _dumps left to the standard library
                yield key, json.loads(body)

    def distinct(self, kind: str, fields: tuple[str, ...]) -> set[tuple[Any, ...]]:
        # json_extract's paths are built from the field names: keep them to plain names.
        if not all(f.isidentifier() for f in fields):
            raise ValueError(f"not field names: {fields!r}")
        columns = ", ".join(f"json_extract(body, '$.{f}')" for f in fields)
        with self._lock:
            rows = self._db.execute(f"SELECT DISTINCT {columns} FROM doc WHERE kind = ?", (kind,)).fetchall()
        return {tuple(row) for row in rows}

    def next_id(self, counter: str) -> int:
        reserved = self._reserved.get(counter)
        if not reserved:
            reserved = self.next_ids(counter, _ID_BLOCK)
        self._reserved[counter] = reserved[1:]
        return reserved[0]

    def next_ids(self, counter: str, count: int) -> range:
        with self._lock:
            row = self._db.execute(
                "INSERT INTO counter(name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value RETURNING value",
                (counter, count),
            ).fetchone()
        last = int(row[0])
        return range(last - count + 1, last + 1)

    def close(self) -> None:
        with self._lock:
            self._db.close()
