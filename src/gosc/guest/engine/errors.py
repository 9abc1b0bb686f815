"""The in-guest engine's failures: a FailureKind (what failed) and VMware's deployPkg
error code (what ``deployPkg.update.state`` carries), both from gosc.guest.states."""

from __future__ import annotations

from ..states import DeployError as ErrorCode
from ..states import FailureKind

__all__ = ["EngineError", "ErrorCode", "FailureKind"]


class EngineError(Exception):
    """A customization step failed; nothing of the change set has been written."""

    def __init__(self, failure: FailureKind, message: str, code: ErrorCode = ErrorCode.DEPLOY_FAILED) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = message
        self.code = code
