"""Error codes and failure kinds of the in-guest engine.

Codes are VMware's deployPkg error codes (open-vm-tools ``guestrpc/deploypkg.h``),
what ``deployPkg.update.state`` reports back to vCenter.  Failure kinds are gosc's
words for *what* failed; the server maps them to events:
``network`` -> CustomizationNetworkSetupFailed, ``identity`` ->
CustomizationLinuxIdentityFailed, everything else -> CustomizationFailed /
CustomizationUnknownFailure.
"""

from __future__ import annotations

from ..states import DeployError as ErrorCode  # the codes deployPkg.update.state carries

# Failure kinds (EngineResult.failure).
NETWORK = "network"  # NIC mapping, addresses, routes, DNS
IDENTITY = "identity"  # hostname, /etc/hosts, time zone, password
SCRIPT_DISABLED = "script_disabled"  # a script was sent but custom scripts are off
SCRIPT = "script"  # the pre/post customization script failed
METADATA = "metadata"  # cloud-init metadata malformed or too large
CLOUDINIT_MISSING = "cloudinit_missing"  # raw cloud-init data sent, guest has no cloud-init
CONFIG = "config"  # cust.cfg or the package itself is unusable
ABORTED = "aborted"  # AbortCustomization_Task stopped it
UNKNOWN = "unknown"


class EngineError(Exception):
    """A customization step failed; nothing of the change set has been written."""

    def __init__(self, failure: str, message: str, code: ErrorCode = ErrorCode.DEPLOY_FAILED) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = message
        self.code = code
