"""What the guest operations managers share: getting into a guest, and acting there as
the guest account.

Every guest operation (FileManager, ProcessManager, AuthManager) first passes, in this
order, as on vSphere: the privilege (``VirtualMachine.GuestOperations.Query``,
``.Modify`` or ``.Execute`` on the VM), the VM powered on (``InvalidPowerState``), its
tools running (``GuestOperationsUnavailable``), then the guest's own account check
through its tools agent, exactly as CustomizeGuest_Task logs in (``InvalidGuestLogin``).
The account's ids, groups and home come from the guest's own files
(gosc.guest.guest_account).  File work then runs in a gosc.guest.fscreds thread carrying
those ids, through gosc.guest.guestpath; programs in gosc.guest.sandbox.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from pyVmomi import vim, vmodl

from ..guest import fscreds, guest_account, guestfiles, rpc
from ..guest.guest_account import GuestAccount
from ..guest.guestpath import GuestPathError, GuestRoot, Kind
from ..guest.guestprocs import Place, Programs
from ..vim.faults import fault, invalid_argument, not_found, system_error
from ..vim.types import wsdl_name
from .base import CallContext, ManagedObject
from .virtual_machine import VirtualMachine
from .vm_base import invalid_power_state

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

QUERY = "VirtualMachine.GuestOperations.Query"
MODIFY = "VirtualMachine.GuestOperations.Modify"
EXECUTE = "VirtualMachine.GuestOperations.Execute"
_R = TypeVar("_R")


@runtime_checkable
class PlacedBackend(Protocol):
    """A guest backend that can say where a running guest's tree is (both of gosc's)."""

    def guest_place(self, vm: VirtualMachine) -> Place | None: ...


@dataclass(frozen=True)
class GuestLogin:
    """A guest operation's caller, once the guest accepted it."""

    vm: VirtualMachine
    place: Place
    account: GuestAccount

    @property
    def windows(self) -> bool:
        return self.account.windows

    def path(self, text: str, argument: str) -> str:
        """The tree path of a client's guest path (InvalidArgument when it is not one)."""
        try:
            return guestfiles.guest_path(text, self.windows)
        except GuestPathError as e:
            if e.kind is Kind.NOT_FOUND:
                raise file_fault(e, self.windows) from None
            raise invalid_argument(argument, f"'{text}' is not an absolute guest path") from None

    def shown(self, path: str) -> str:
        return guestfiles.display_path(path, self.windows)


def file_fault(e: OSError, windows: bool = False) -> vmodl.MethodFault:
    """The vSphere fault for a failed guest file operation."""
    if isinstance(e, PermissionError) and not isinstance(e, GuestPathError):  # fscreds: cannot switch ids
        return fault(vim.fault.GuestPermissionDenied, str(e))
    path = guestfiles.display_path(e.path, windows) if isinstance(e, GuestPathError) else ""
    kind = e.kind if isinstance(e, GuestPathError) else Kind.OTHER
    if kind is Kind.NOT_FOUND:
        return fault(vim.fault.FileNotFound, f"File {path} was not found in the guest.", file=path)
    if kind is Kind.EXISTS:
        return fault(vim.fault.FileAlreadyExists, f"File {path} already exists in the guest.", file=path)
    if kind is Kind.IS_A_DIRECTORY:
        return fault(vim.fault.NotAFile, f"{path} is a directory, not a file.", file=path)
    if kind is Kind.NOT_A_DIRECTORY:
        return fault(vim.fault.NotADirectory, f"{path} is not a directory.", file=path)
    if kind is Kind.NOT_EMPTY:
        return fault(vim.fault.DirectoryNotEmpty, f"Directory {path} is not empty.", file=path)
    if kind is Kind.DENIED:
        return fault(
            vim.fault.GuestPermissionDenied, f"Insufficient permissions in the guest operating system for {path}."
        )
    detail = e.strerror or str(e)
    return fault(vim.fault.CannotAccessFile, f"Cannot access {path or 'the file'} in the guest: {detail}.", file=path)


class GuestAccess:
    """Logins, acting as the account, credential tickets and each guest's programs."""

    TICKET_LIMIT = 1024

    def __init__(self, si: ServiceInstance) -> None:
        self.si = si
        self.pool = fscreds.Pool()
        self.programs: dict[str, Programs] = {}  # VM moId -> its programs
        # AcquireCredentialsInGuest tickets: ticket -> (VM moId, account name, uid)
        self.tickets: dict[str, tuple[str, str, int]] = {}
        si.subscribe(self._on_change)

    def close(self) -> None:
        for programs in self.programs.values():
            programs.terminate_all()
        self.pool.close()

    def _on_change(self, obj: ManagedObject, prop: str | None) -> None:
        """A guest that stops (power off, destroy) ends its programs and tickets, as a reboot would."""
        if isinstance(obj, VirtualMachine) and (obj.power_state != "poweredOn" or obj.moId not in self.si.objects):
            programs = self.programs.pop(obj.moId, None)
            if programs is not None:
                programs.terminate_all()
            for t in [t for t, (moid, _, _) in self.tickets.items() if moid == obj.moId]:
                del self.tickets[t]

    def programs_of(self, vm: VirtualMachine) -> Programs:
        return self.programs.setdefault(vm.moId, Programs())

    # ------------------------------------------------------------ getting in

    async def machine(self, ctx: CallContext, ref: vim.VirtualMachine, privilege: str) -> tuple[VirtualMachine, Place]:
        vm = self.si.objects.get(ref._moId)
        if not isinstance(vm, VirtualMachine):
            raise not_found(ref)
        ctx.check(vm, privilege)
        if vm.power_state != "poweredOn":
            raise invalid_power_state(vm, "poweredOn")
        await vm.ensure_guest()
        backend: object = self.si.backends.get(vm.backend)
        place = backend.guest_place(vm) if isinstance(backend, PlacedBackend) and vm.tools_running else None
        if place is None:
            raise fault(
                vim.fault.GuestOperationsUnavailable,
                f"The guest operations agent of {vm.name} is not running: VMware Tools is not running in the guest.",
            )
        return vm, place

    async def login(
        self, ctx: CallContext, ref: vim.VirtualMachine, auth: vim.vm.guest.GuestAuthentication, privilege: str
    ) -> GuestLogin:
        vm, place = await self.machine(ctx, ref, privilege)
        name, uid = await self._authenticate(vm, auth)
        try:
            account = await asyncio.to_thread(guest_account.lookup, place.view, name, uid)
        except (LookupError, OSError):
            raise _invalid_login(vm) from None
        return GuestLogin(vm, place, account)

    async def _authenticate(self, vm: VirtualMachine, auth: vim.vm.guest.GuestAuthentication) -> tuple[str, int]:
        if isinstance(auth, vim.vm.guest.TicketedSessionAuthentication):
            held = self.tickets.get(auth.ticket or "")
            if held is None or held[0] != vm.moId:
                raise _invalid_login(vm)
            return held[1], held[2]
        if not isinstance(auth, vim.vm.guest.NamePasswordAuthentication):
            raise invalid_argument(
                "auth", f"gosc accepts NamePasswordAuthentication and its tickets, not {wsdl_name(type(auth))}"
            )
        try:
            uid = await vm.tools.authenticate(auth.username or "", auth.password or "")
        except rpc.ChannelError as e:
            raise system_error(f"the VMware Tools channel of {vm.name} failed: {e}") from None
        if uid is None:
            raise _invalid_login(vm)
        return auth.username, uid

    def acquire_ticket(self, login: GuestLogin) -> str:
        if len(self.tickets) >= self.TICKET_LIMIT:
            raise fault(vim.fault.TooManyGuestLogons, "Too many guest credential tickets are held; release some.")
        ticket = secrets.token_urlsafe(24)
        self.tickets[ticket] = (login.vm.moId, login.account.name, login.account.uid)
        return ticket

    # ------------------------------------------------------------ acting as the account

    async def act(self, login: GuestLogin, work: Callable[[GuestRoot], _R]) -> _R:
        """``work(guest root)`` in a thread carrying the account's file ids; guest file
        errors become vSphere's faults."""
        acct = login.account
        try:
            # The root is opened with the server's ids: a live guest's tree is reached
            # through its holder's /proc root, which the account's ids could not enter.
            guest = login.place.open()
        except OSError as e:
            raise system_error(f"the guest tree of {login.vm.name} cannot be opened: {e.strerror}") from None

        def job() -> _R:
            with guest:
                return work(guest)

        try:
            return await asyncio.wrap_future(self.pool.submit(acct.uid, acct.gid, acct.groups, job))
        except OSError as e:
            raise file_fault(e, login.windows) from None


def _invalid_login(vm: VirtualMachine) -> vmodl.MethodFault:
    return fault(
        vim.fault.InvalidGuestLogin,
        f"Failed to authenticate with the guest operating system of {vm.name} using the supplied credentials.",
    )
