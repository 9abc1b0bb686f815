"""DiagnosticManager: the server's own log, as vCenter offers ``vpxd:vpxd.log``.

The lines are what gosc's loggers emit (at the level ``--log-level`` sets), kept in memory,
the newest ``KEPT_LINES`` of them, numbered from 1 since the server started.  gosc never
logs a secret (docs/security.md), so nothing here needs redacting.  Hosts have no logs of
their own here: asking for one is ``CannotAccessFile``.
"""

from __future__ import annotations

import datetime
import logging
from collections import deque
from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import types as T
from ..vim.faults import fault, invalid_argument
from .base import CallContext, ManagedObject, now

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

LOG_KEY = "vpxd:vpxd.log"
KEPT_LINES = 10_000
MAX_LINES = 500  # the most lines one BrowseDiagnosticLog answers, as vCenter's


def _line(when: datetime.datetime, level: str, source: str, message: str) -> str:
    return f"{when.isoformat(timespec='milliseconds').replace('+00:00', 'Z')} {level.lower()} {source}| {message}"


class _LogRing(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: deque[str] = deque(maxlen=KEPT_LINES)
        self.total = 0  # lines ever seen: the number of the newest

    def add(self, line: str) -> None:
        for part in line.splitlines() or [""]:
            self.lines.append(part)
            self.total += 1

    def emit(self, record: logging.LogRecord) -> None:
        when = datetime.datetime.fromtimestamp(record.created, datetime.UTC)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not break the server's logging
            message = str(record.msg)
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
        self.add(_line(when, record.levelname, record.name, message))


class DiagnosticManager(ManagedObject):
    vim_type = vim.DiagnosticManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "DiagMgr")
        self.ring = _LogRing()
        self.ring.add(_line(now(), "info", "gosc", f"gosc starting, vCenter instance {si.instance_uuid}"))
        logging.getLogger("gosc").addHandler(self.ring)

    def close(self) -> None:
        logging.getLogger("gosc").removeHandler(self.ring)

    def _check_host(self, host: vim.HostSystem | None, key: str | None = None) -> None:
        if host is not None:
            raise fault(
                vim.fault.CannotAccessFile,
                f"gosc keeps no logs of host {host._moId}; its server log is '{LOG_KEY}' (no host).",
                file=key or "",
            )

    def QueryDescriptions(
        self, ctx: CallContext, host: vim.HostSystem | None = None
    ) -> list[vim.DiagnosticManager.LogDescriptor]:
        if host is not None:
            return T.array(vim.DiagnosticManager.LogDescriptor, [])
        return T.array(
            vim.DiagnosticManager.LogDescriptor,
            [
                vim.DiagnosticManager.LogDescriptor(
                    key=LOG_KEY,
                    fileName="vpxd.log",
                    creator="vpxd",
                    format="plain",
                    mimeType="text/plain",
                    info=vim.Description(label="vCenter server log", summary="The gosc server's log"),
                )
            ],
        )

    def BrowseDiagnosticLog(
        self,
        ctx: CallContext,
        key: str,
        host: vim.HostSystem | None = None,
        start: int | None = None,
        lines: int | None = None,
    ) -> vim.DiagnosticManager.LogHeader:
        self._check_host(host, key)
        if key != LOG_KEY:
            raise fault(
                vim.fault.CannotAccessFile, f"There is no log '{key}'; the server log is '{LOG_KEY}'.", file=key
            )
        if lines is not None and lines < 0:
            raise invalid_argument("lines", f"lines must not be negative, not {lines}")
        count = MAX_LINES if lines is None else min(lines, MAX_LINES)
        total = self.ring.total
        oldest = total - len(self.ring.lines) + 1  # older lines are no longer kept
        first = max(start if start is not None else 1, oldest, 1)
        if first > total or count == 0:
            return vim.DiagnosticManager.LogHeader(lineStart=total, lineEnd=total, lineText=[])
        last = min(first + count - 1, total)
        text = [self.ring.lines[n - oldest] for n in range(first, last + 1)]
        return vim.DiagnosticManager.LogHeader(lineStart=first, lineEnd=last, lineText=text)
