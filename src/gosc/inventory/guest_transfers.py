"""File transfer tickets of InitiateFileTransferToGuest / InitiateFileTransferFromGuest.

A ticket is the URL's ``id`` and ``token`` (letters only: Ansible's file module rewrites
"443" anywhere in the URL to its port), used once (GET or PUT on ``/guestFile``,
gosc.server.guestfile) and void after ``TTL`` seconds.  An upload's temporary file is
made when the transfer is initiated, with the account's ids, so that a refusal (no
such directory, no permission, the file exists) is the Initiate call's fault; if the
ticket is never used the temporary file is removed when it expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import string
from dataclasses import dataclass, field

from pyVmomi import vim

from ..guest.guestfiles import Incoming
from ..vim.faults import fault
from .guest_access import GuestLogin

TTL = 300.0  # seconds a ticket may wait for its transfer
MAX_PENDING = 256  # tickets waiting at once (each upload holds two fds)
PATH = "/guestFile"


def _letters(n: int) -> str:
    return "".join(secrets.choice(string.ascii_letters) for _ in range(n))


@dataclass
class Transfer:
    login: GuestLogin
    path: str  # the tree path
    size: int  # announced (to the guest) or the file's (from the guest)
    incoming: Incoming | None = None  # an upload's temporary file
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    id: str = field(default_factory=lambda: _letters(16))
    token: str = field(default_factory=lambda: _letters(40))
    expiry: asyncio.TimerHandle | None = None

    @property
    def upload(self) -> bool:
        return self.incoming is not None


class Transfers:
    def __init__(self) -> None:
        self.pending: dict[str, Transfer] = {}

    def add(self, t: Transfer, host: str) -> str:
        """Hold ``t`` and answer its URL, in ESXi's form: host ``*`` (the client puts the
        address it reached the server at), the port the client used (``host``: the
        request's Host header; see ``_port``)."""
        if len(self.pending) >= MAX_PENDING:
            _discard(t)
            raise fault(vim.fault.InvalidState, "Too many guest file transfers are waiting; retry later.")
        self.pending[t.id] = t
        t.expiry = asyncio.get_running_loop().call_later(TTL, self._expire, t.id)
        return f"https://*:{_port(host)}{PATH}?id={t.id}&token={t.token}"

    def take(self, transfer_id: str, token: str) -> Transfer | None:
        """The transfer a URL names, once: None for an unknown, used or expired one."""
        t = self.pending.get(transfer_id)
        if t is None or not secrets.compare_digest(t.token.encode(), token.encode()):
            return None
        del self.pending[transfer_id]
        if t.expiry is not None:
            t.expiry.cancel()
        return t

    def _expire(self, transfer_id: str) -> None:
        t = self.pending.pop(transfer_id, None)
        if t is not None:
            _discard(t)

    def close(self) -> None:
        for t in list(self.pending.values()):
            if t.expiry is not None:
                t.expiry.cancel()
            _discard(t)
        self.pending.clear()


def _port(host: str) -> str:
    if host.startswith("["):  # [::1]:8443
        rest = host.partition("]")[2]
        port = rest[1:] if rest.startswith(":") else ""
    else:
        port = host.rpartition(":")[2] if ":" in host else ""
    # Ansible replaces "443" in the URL with its port: a port holding "443" (8443) is
    # given as ESXi's 443, which that replacement turns into the right one.
    return port if port.isdigit() and "443" not in port else "443"


def _discard(t: Transfer) -> None:
    # The temporary file is removed by name in its held directory fd: nothing is resolved.
    if t.incoming is not None:
        with contextlib.suppress(OSError):
            t.incoming.discard()
