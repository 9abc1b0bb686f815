"""The engine's log: kept in memory, written to the guest at the end, secrets masked.

Every line passes through ``_mask`` so a secret registered with ``add_secret`` never
reaches the file, whatever step logged it (script output included).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..guestpath import GuestRoot

LOG_PATH = "var/log/vmware-imc/toolsDeployPkg.log"  # relative to the guest root


class EngineLog:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self._secrets: set[str] = set()

    def add_secret(self, secret: str | None) -> None:
        # Masking a 1-3 character secret would shred every line that happens to contain
        # it; such secrets are never logged deliberately, so masking them adds nothing.
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def mask(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "*****")
        return text

    def _add(self, level: str, msg: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        for line in self.mask(msg).splitlines() or [""]:
            self.lines.append(f"[{stamp}] [{level:5}] {line}")

    def info(self, msg: str) -> None:
        self._add("info", msg)

    def warn(self, msg: str) -> None:
        self._add("warn", msg)

    def error(self, msg: str) -> None:
        self._add("error", msg)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def write(self, guest: GuestRoot) -> Path:
        """Append to the guest's log file (0600: it names users and addresses), inside
        the guest whatever its log directory links to; returns the file's host path."""
        guest.mkdir(os.path.dirname(LOG_PATH), 0o755, parents=True, exist_ok=True)
        fd = guest.open(LOG_PATH, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(self.text())
        return guest.host_path(LOG_PATH)
