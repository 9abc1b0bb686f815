"""A side-by-side diff of one guest file, from its text before and after.

Rows are (kind, old line number, old text, new line number, new text); ``kind`` is
``same``, ``changed``, ``removed``, ``added`` or ``skip`` (unchanged lines folded away,
more than CONTEXT lines from a change).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

CONTEXT = 3


@dataclass
class Row:
    kind: str
    old_no: int | None
    old: str
    new_no: int | None
    new: str


@dataclass
class FileDiff:
    path: str
    status: str  # "changed" | "added" | "removed" | "secret"
    rows: list[Row]
    truncated: bool = False


def side_by_side(before: str | None, after: str | None) -> list[Row]:
    old = (before or "").splitlines()
    new = (after or "").splitlines()
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            span = [Row("same", i1 + k + 1, old[i1 + k], j1 + k + 1, new[j1 + k]) for k in range(i2 - i1)]
            first, last = i1 == 0, i2 == len(old)
            if len(span) > 2 * CONTEXT + 1:
                head = [] if first else span[:CONTEXT]
                tail = [] if last else span[-CONTEXT:]
                hidden = len(span) - len(head) - len(tail)
                span = [*head, Row("skip", None, f"{hidden} unchanged lines", None, ""), *tail]
            rows += span
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            o = i1 + k if i1 + k < i2 else None
            n = j1 + k if j1 + k < j2 else None
            kind = "changed" if o is not None and n is not None else ("removed" if o is not None else "added")
            rows.append(
                Row(
                    kind,
                    o + 1 if o is not None else None,
                    old[o] if o is not None else "",
                    n + 1 if n is not None else None,
                    new[n] if n is not None else "",
                )
            )
    return rows


def file_diffs(files: list[dict[str, Any]]) -> list[FileDiff]:
    """The diffs of a record's (or a preview's) changed files, in the engine's order."""
    out = []
    for f in files:
        if f.get("secret"):
            out.append(FileDiff(str(f["path"]), "secret", []))
            continue
        before, after = f.get("before"), f.get("after")
        status = "added" if before is None else ("removed" if after is None else "changed")
        out.append(FileDiff(str(f["path"]), status, side_by_side(before, after), bool(f.get("truncated"))))
    return out
