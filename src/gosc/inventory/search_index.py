"""SearchIndex: find entities by inventory path, name, UUID, DNS name or IP address."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import types as T
from ..vim.names import escape
from .base import CallContext, ManagedEntity, ManagedObject
from .compute_resource import ComputeResource
from .datacenter import Datacenter
from .folder import Folder
from .host_network import VMK_IP
from .host_system import HostSystem

if TYPE_CHECKING:
    from .service_instance import ServiceInstance
    from .virtual_machine import VirtualMachine


def children_of(entity: ManagedEntity) -> list[ManagedEntity]:
    """What an inventory path can step into from ``entity``."""
    if isinstance(entity, Datacenter):
        return list(entity.folders.values())
    if isinstance(entity, Folder):
        return entity.children()
    if isinstance(entity, ComputeResource):
        return [*entity.hosts(), *entity.pools()]
    return []


class SearchIndex(ManagedObject):
    vim_type = vim.SearchIndex

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "SearchIndex")

    def resolve_path(self, path: str) -> ManagedEntity | None:
        node: ManagedEntity = self.si.root_folder
        for part in [p for p in path.strip("/").split("/") if p]:
            name = escape(part)  # names are stored escaped: a path's part is one, in any case
            nxt = next((c for c in children_of(node) if c.name == name), None)
            if nxt is None:
                return None
            node = nxt
        return node

    def _vms(self, datacenter: vim.Datacenter | None) -> list[VirtualMachine]:
        vms = self.si.vms()
        if datacenter is not None:
            vms = [v for v in vms if (dc := v.datacenter()) is not None and dc.moId == datacenter._moId]
        return vms

    def _hosts(self, datacenter: vim.Datacenter | None, match: Callable[[HostSystem], bool]) -> list[T.ManagedObject]:
        """The hosts (in ``datacenter``, when given) that ``match``: the vmSearch=false searches."""
        hosts = [o for o in self.si.entities.values() if isinstance(o, HostSystem) and match(o)]
        if datacenter is not None:
            hosts = [h for h in hosts if (dc := h.datacenter()) is not None and dc.moId == datacenter._moId]
        return T.array(vim.ManagedEntity, [h.ref for h in hosts])

    # ------------------------------------------------------------ API

    def FindByInventoryPath(self, ctx: CallContext, inventoryPath: str) -> T.ManagedObject | None:
        found = self.resolve_path(inventoryPath)
        return found.ref if found is not None else None

    def FindChild(self, ctx: CallContext, entity: vim.ManagedEntity, name: str) -> T.ManagedObject | None:
        parent = self.si.objects.get(entity._moId)
        if not isinstance(parent, ManagedEntity):
            from ..vim.faults import not_found

            raise not_found(entity)
        found = next((c for c in children_of(parent) if c.name == escape(name)), None)
        return found.ref if found is not None else None

    def FindAllByUuid(
        self,
        ctx: CallContext,
        uuid: str,
        vmSearch: bool,
        datacenter: vim.Datacenter | None = None,
        instanceUuid: bool | None = None,
    ) -> list[T.ManagedObject]:
        want = uuid.lower()
        if not vmSearch:  # a host's hardware UUID (hardware.systemInfo.uuid)
            return self._hosts(datacenter, lambda h: h.hardware_summary().uuid.lower() == want)
        return T.array(
            vim.ManagedEntity,
            [
                v.ref
                for v in self._vms(datacenter)
                if ((v.instance_uuid if instanceUuid else v.bios_uuid) or "").lower() == want
            ],
        )

    def FindByUuid(
        self,
        ctx: CallContext,
        uuid: str,
        vmSearch: bool,
        datacenter: vim.Datacenter | None = None,
        instanceUuid: bool | None = None,
    ) -> T.ManagedObject | None:
        found = self.FindAllByUuid(ctx, uuid, vmSearch, datacenter, instanceUuid)
        return found[0] if found else None

    def FindAllByDnsName(
        self, ctx: CallContext, dnsName: str, vmSearch: bool, datacenter: vim.Datacenter | None = None
    ) -> list[T.ManagedObject]:
        want = dnsName.lower()
        if not vmSearch:
            return self._hosts(datacenter, lambda h: h.name.lower() in (want, want.split(".")[0]))
        return T.array(
            vim.ManagedEntity,
            [
                v.ref
                for v in self._vms(datacenter)
                if v.tools_running and v.guest_report.get("hostName", "").lower() in (want, want.split(".")[0])
            ],
        )

    def FindByDnsName(
        self, ctx: CallContext, dnsName: str, vmSearch: bool, datacenter: vim.Datacenter | None = None
    ) -> T.ManagedObject | None:
        found = self.FindAllByDnsName(ctx, dnsName, vmSearch, datacenter)
        return found[0] if found else None

    def FindAllByIp(
        self, ctx: CallContext, ip: str, vmSearch: bool, datacenter: vim.Datacenter | None = None
    ) -> list[T.ManagedObject]:
        if not vmSearch:  # a host by its VMkernel NIC's address
            return self._hosts(datacenter, lambda h: ip == VMK_IP)
        return T.array(
            vim.ManagedEntity,
            [
                v.ref
                for v in self._vms(datacenter)
                # guest_report first: a VM whose guest reported no NIC has no address (and its
                # NICs need not be read)
                if v.tools_running and v.guest_report.get("nics") and any(ip in n.ipAddress for n in v.guest_nics())
            ],
        )

    def FindByIp(
        self, ctx: CallContext, ip: str, vmSearch: bool, datacenter: vim.Datacenter | None = None
    ) -> T.ManagedObject | None:
        found = self.FindAllByIp(ctx, ip, vmSearch, datacenter)
        return found[0] if found else None
