"""VMware's deployPkg states and error codes (open-vm-tools guestrpc/deploypkg.h), gosc's
failure kinds, and the one codec of ``deployPkg.update.state``.

The message is VMware's ``<state> <code> [<log location>@<text>]``; when a customization
failed, gosc's text starts with the failure kind (``network: NIC1: no guest interface
...``).  ``update_state`` writes it and ``DeployReport`` reads it: the agent and the
server never format or split it themselves, and the server maps the typed kind.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class DeployState(IntEnum):
    IDLE = 0
    PENDING = 1
    COPYING = 2
    DEPLOYING = 3
    RUNNING = 4
    DONE = 5


class DeployError(IntEnum):
    SUCCESS = 0
    NOT_SUPPORT = 1
    PKG_NOT_FOUND = 2
    RPC_INVALID = 3
    COPY_FAILED = 4
    DEPLOY_FAILED = 5
    CUST_SCRIPT_DISABLED = 6
    CUST_DISABLED = 7
    CLOUDINIT_NOT_SUPPORT_RAWDATA = 8
    CLOUDINIT_WRONG_META_FORMAT = 9


class FailureKind(StrEnum):
    """What failed, from the engine to the agent to the server (which maps it to the
    CustomizationFailed event subtype)."""

    NETWORK = "network"  # NIC mapping, addresses, routes, DNS
    IDENTITY = "identity"  # hostname, /etc/hosts, time zone, password
    SCRIPT_DISABLED = "script_disabled"  # a script was sent but custom scripts are off
    SCRIPT = "script"  # the pre/post customization script failed
    METADATA = "metadata"  # cloud-init metadata malformed or too large
    CLOUDINIT_MISSING = "cloudinit_missing"  # raw cloud-init data sent, guest has no cloud-init
    CONFIG = "config"  # cust.cfg is unusable
    PACKAGE = "package"  # the deploy package itself is unusable
    SYSPREP = "sysprep"  # the Windows answer file could not be placed
    ABORTED = "aborted"  # AbortCustomization_Task stopped it
    CHANNEL = "channel"  # the tools channel broke (the agent died, no answer)
    UNKNOWN = "unknown"


def update_state(
    state: DeployState,
    code: DeployError = DeployError.SUCCESS,
    log_path: str = "",
    kind: FailureKind | None = None,
    message: str = "",
) -> str:
    """The arguments of a ``deployPkg.update.state`` RPCI."""
    if kind is None and not log_path and not message:
        return f"{int(state)} {int(code)}"
    text = f"{kind}: {message}" if kind is not None else message
    return f"{int(state)} {int(code)} {log_path}@{text}"


class DeployReport:
    """One ``deployPkg.update.state`` as the server reads it."""

    def __init__(self, args: str) -> None:
        head, _, tail = args.partition(" ")
        code, _, detail = tail.partition(" ")
        self.state = DeployState(int(head))
        self.code = DeployError(int(code or 0))
        log_path, _, text = detail.partition("@")
        self.log_path = log_path or None
        self.kind: FailureKind | None = None
        self.message = text
        word, sep, rest = text.partition(": ")
        if sep and word in FailureKind.__members__.values():
            self.kind, self.message = FailureKind(word), rest
        elif self.code != DeployError.SUCCESS:
            self.kind = FailureKind.UNKNOWN  # a guest that names no kind (VMware's own tools)
