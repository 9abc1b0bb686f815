"""VMware's deployPkg states and error codes (open-vm-tools guestrpc/deploypkg.h)."""

from enum import IntEnum


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
