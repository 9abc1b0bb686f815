"""GuestAuthManager: ValidateCredentialsInGuest, AcquireCredentialsInGuest, ReleaseCredentialsInGuest.

A ticket from AcquireCredentialsInGuest (``TicketedSessionAuthentication``) stands for
the account the guest accepted, for that VM, until it is released or the guest stops; the
guest's own account check runs once, at acquisition.  Tickets live in memory, as VMware
Tools' do: they end with the guest (power off) and the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim.faults import fault, invalid_argument
from .base import CallContext, ManagedObject
from .guest_access import QUERY, GuestAccess

if TYPE_CHECKING:
    from .service_instance import ServiceInstance


class GuestAuthManager(ManagedObject):
    vim_type = vim.vm.guest.AuthManager

    def __init__(self, si: ServiceInstance, access: GuestAccess) -> None:
        super().__init__(si, "guestOperationsAuthManager")
        self.access = access

    async def ValidateCredentialsInGuest(
        self, ctx: CallContext, vm: vim.VirtualMachine, auth: vim.vm.guest.GuestAuthentication
    ) -> None:
        await self.access.login(ctx, vm, auth, QUERY)

    async def AcquireCredentialsInGuest(
        self,
        ctx: CallContext,
        vm: vim.VirtualMachine,
        requestedAuth: vim.vm.guest.GuestAuthentication,
        sessionID: int | None = None,
    ) -> vim.vm.guest.GuestAuthentication:
        if not isinstance(requestedAuth, vim.vm.guest.NamePasswordAuthentication):
            raise invalid_argument("requestedAuth", "gosc issues tickets for NamePasswordAuthentication only")
        login = await self.access.login(ctx, vm, requestedAuth, QUERY)
        return vim.vm.guest.TicketedSessionAuthentication(
            ticket=self.access.acquire_ticket(login), interactiveSession=False
        )

    async def ReleaseCredentialsInGuest(
        self, ctx: CallContext, vm: vim.VirtualMachine, auth: vim.vm.guest.GuestAuthentication
    ) -> None:
        if not isinstance(auth, vim.vm.guest.TicketedSessionAuthentication):
            raise invalid_argument("auth", "only a ticket from AcquireCredentialsInGuest can be released")
        await self.access.login(ctx, vm, auth, QUERY)
        if self.access.tickets.pop(auth.ticket or "", None) is None:
            raise fault(vim.fault.InvalidGuestLogin, "The ticket was already released.")
