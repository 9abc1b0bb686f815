"""ExtensionManager: extensions (plug-ins, solutions) registered with the vCenter.

gosc runs none; it keeps what is registered, stored, so that clients that register
themselves (and find themselves again after a restart) work unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import json_codec
from ..vim import types as T
from ..vim.faults import fault, invalid_argument
from ..vim.names import check_name
from .base import CallContext, ManagedObject, now

if TYPE_CHECKING:
    from .service_instance import ServiceInstance


class ExtensionManager(ManagedObject):
    vim_type = vim.ExtensionManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "ExtensionManager")
        self.extensions: dict[str, vim.Extension] = {}

    def load(self) -> None:
        for key, doc in self.si.store.load("extension"):
            self.extensions[key] = json_codec.from_store(doc, vim.Extension)

    def _put(self, extension: vim.Extension) -> None:
        self.extensions[extension.key] = extension
        self.si.store.put("extension", extension.key, json_codec.to_store(extension))
        self.si.notify(self, "extensionList")

    def _known(self, key: str) -> vim.Extension:
        ext = self.extensions.get(key)
        if ext is None:
            raise fault(vim.fault.NotFound, f"No extension is registered with the key '{key}'.")
        return ext

    # ------------------------------------------------------------ API

    def prop_extensionList(self, ctx: CallContext) -> list[vim.Extension]:
        return T.array(vim.Extension, list(self.extensions.values()))

    def FindExtension(self, ctx: CallContext, extensionKey: str) -> vim.Extension | None:
        return self.extensions.get(extensionKey)

    def RegisterExtension(self, ctx: CallContext, extension: vim.Extension) -> None:
        check_name(extension.key, "extension.key")
        if extension.key in self.extensions:
            raise invalid_argument(
                "extension.key",
                f"an extension with the key '{extension.key}' is already registered; use UpdateExtension",
            )
        extension.lastHeartbeatTime = now()
        self._put(extension)

    def UpdateExtension(self, ctx: CallContext, extension: vim.Extension) -> None:
        old = self._known(extension.key)
        extension.lastHeartbeatTime = old.lastHeartbeatTime
        self._put(extension)

    def UnregisterExtension(self, ctx: CallContext, extensionKey: str) -> None:
        self._known(extensionKey)
        del self.extensions[extensionKey]
        self.si.store.delete("extension", extensionKey)
        self.si.notify(self, "extensionList")
