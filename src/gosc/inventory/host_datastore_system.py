"""HostDatastoreSystem: the datastores a host mounts (``configManager.datastoreSystem``).

Every datastore of the host's datacenter is mounted on it; gosc makes no new volumes, so
the methods that would create or remove one are not implemented.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import types as T
from .base import CallContext, ManagedObject

if TYPE_CHECKING:
    from .host_system import HostSystem
    from .service_instance import ServiceInstance


class HostDatastoreSystem(ManagedObject):
    vim_type = vim.host.DatastoreSystem

    def __init__(self, si: ServiceInstance, moId: str, host: HostSystem) -> None:
        super().__init__(si, moId)
        self.host = host

    @classmethod
    def of(cls, host: HostSystem) -> HostDatastoreSystem:
        """The host's datastore system (made on first use: it keeps no state, so nothing is stored)."""
        obj = host.si.objects.get(f"datastoreSystem-{host.moId}")
        if isinstance(obj, HostDatastoreSystem):
            return obj
        return host.si.register(cls(host.si, f"datastoreSystem-{host.moId}", host))

    def prop_datastore(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.Datastore, [d.ref for d in self.host.datastores()])

    def prop_capabilities(self, ctx: CallContext) -> vim.host.DatastoreSystem.Capabilities:
        return vim.host.DatastoreSystem.Capabilities(
            nfsMountCreationRequired=True,
            nfsMountCreationSupported=True,
            localDatastoreSupported=True,
            vmfsExtentExpansionSupported=False,
        )

    def QueryAvailableDisksForVmfs(
        self, ctx: CallContext, datastore: vim.Datastore | None = None
    ) -> list[vim.host.ScsiDisk]:
        """None: the host's one disk already holds its datastores."""
        return []

    def QueryUnresolvedVmfsVolumes(self, ctx: CallContext) -> list[vim.host.UnresolvedVmfsVolume]:
        return []
