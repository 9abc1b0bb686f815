"""What a customization leaves for the record: the guest files it changed (before and
after) and the engine's log, as the agent reports them to the host, and cust.cfg with its
secrets masked.

The guest's agent sends ``deployPkg.changes <json>`` (gosc's own RPCI, sent before the
DONE state) with ``{"files": [{"path", "before", "after", "secret", "truncated"}], "log"}``.
Both ends bound it with ``bound``: the agent so that a huge file does not fill the channel,
the host because a guest is not trusted to have done so.  A secret file (/etc/shadow) has
no text on either side, only that it changed.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_FILES = 64  # changed files kept per customization
MAX_TEXT = 64 * 1024  # characters of one side of one file
MAX_TOTAL = 512 * 1024  # characters of all files' texts together
MAX_LOG = 64 * 1024  # characters of the engine log (its end is kept)
MAX_REPORT = 8 * 1024 * 1024  # bytes of a report's JSON read at all (escapes can make it longer than its text)
MASK = "********"

# cust.cfg keys starting with "-" are secrets (-PASS: the base64 of the password).
_SECRET_LINE = re.compile(r"^(\s*-[A-Za-z0-9_]+\s*=\s*)(.*)$", re.MULTILINE)


def mask_custcfg(text: str) -> str:
    """cust.cfg with every secret key's value masked (the file as the record keeps it)."""
    return _SECRET_LINE.sub(lambda m: m.group(1) + (MASK if m.group(2).strip() else ""), text)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def bound(report: Any) -> dict[str, Any]:
    """A changes report as the record keeps it: known keys only, at most MAX_FILES files,
    each text at most MAX_TEXT, all texts at most MAX_TOTAL (a text beyond is dropped and
    the file marked ``truncated``), the log's last MAX_LOG characters."""
    files_in = report.get("files") if isinstance(report, dict) else None
    files: list[dict[str, Any]] = []
    budget = MAX_TOTAL
    for item in files_in if isinstance(files_in, list) else []:
        if len(files) >= MAX_FILES:
            break
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            continue
        secret = bool(item.get("secret"))
        entry: dict[str, Any] = {
            "path": item["path"][:4096],
            "secret": secret,
            "truncated": bool(item.get("truncated")),
        }
        for side in ("before", "after"):
            text = None if secret else _text(item.get(side))
            if text is not None and (len(text) > MAX_TEXT or len(text) > budget):
                text = text[: min(MAX_TEXT, budget)]
                entry["truncated"] = True
            budget -= len(text or "")
            entry[side] = text
        files.append(entry)
    log = report.get("log") if isinstance(report, dict) else None
    return {"files": files, "log": log[-MAX_LOG:] if isinstance(log, str) else ""}


def encode(files: list[dict[str, Any]], log: str) -> str:
    """The argument of ``deployPkg.changes``."""
    return json.dumps(bound({"files": files, "log": log}), ensure_ascii=False)


def decode(text: str) -> dict[str, Any]:
    """A ``deployPkg.changes`` argument, bounded; an unreadable or oversized one is an empty report."""
    if len(text) > MAX_REPORT:
        return bound({})
    try:
        return bound(json.loads(text))
    except ValueError:
        return bound({})
