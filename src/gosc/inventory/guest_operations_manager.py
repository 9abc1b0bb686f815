"""GuestOperationsManager: the entry to guest operations (ServiceContent.guestOperationsManager).

Its three managers act inside running guests through their tools: ``processManager``
(guest_process_manager.py), ``fileManager`` (guest_file_manager.py) and ``authManager``
(guest_auth_manager.py); what they share is gosc.inventory.guest_access.  The Windows
registry and alias managers are not provided (unset, as on hosts without them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import types as T
from .base import CallContext, ManagedObject
from .guest_access import GuestAccess
from .guest_auth_manager import GuestAuthManager
from .guest_file_manager import GuestFileManager
from .guest_process_manager import GuestProcessManager

if TYPE_CHECKING:
    from .service_instance import ServiceInstance


class GuestOperationsManager(ManagedObject):
    vim_type = vim.vm.guest.GuestOperationsManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "guestOperationsManager")
        self.access = GuestAccess(si)
        self.process_manager = si.register(GuestProcessManager(si, self.access))
        self.file_manager = si.register(GuestFileManager(si, self.access))
        self.auth_manager = si.register(GuestAuthManager(si, self.access))

    def close(self) -> None:
        self.file_manager.transfers.close()
        self.access.close()

    def prop_processManager(self, ctx: CallContext) -> T.ManagedObject:
        return self.process_manager.ref

    def prop_fileManager(self, ctx: CallContext) -> T.ManagedObject:
        return self.file_manager.ref

    def prop_authManager(self, ctx: CallContext) -> T.ManagedObject:
        return self.auth_manager.ref
