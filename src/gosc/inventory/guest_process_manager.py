"""GuestProcessManager: StartProgramInGuest, ListProcessesInGuest, TerminateProcessInGuest,
ReadEnvironmentVariableInGuest.

Programs run as VMware Tools runs them (``/bin/sh -c '"<programPath>" <arguments>'``) in
the guest's sandbox (gosc.guest.guestprocs), as the authenticated account.  The listing
shows the programs guest operations started, running or ended within the last minutes
(with ``exitCode`` and ``endTime``); pids are the guest operations' own.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from pyVmomi import vim

from ..guest.guestpath import GuestRoot
from ..guest.guestprocs import MAX_RUNNING, Program, check_program
from ..guest.sandbox import SandboxError
from ..vim import types as T
from ..vim.faults import fault, invalid_argument, system_error
from .base import CallContext, ManagedObject
from .guest_access import EXECUTE, QUERY, GuestAccess

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

PM = vim.vm.guest.ProcessManager
ENV_MAX = 4096  # entries of envVariables
ARGUMENTS_MAX = 1 << 20  # bytes of arguments (Linux's ARG_MAX is larger; no client comes near)


def _info(p: Program) -> PM.ProcessInfo:
    return PM.ProcessInfo(
        name=p.name,
        pid=p.pid,
        owner=p.owner,
        cmdLine=p.cmdline,
        startTime=p.start,
        endTime=p.end,
        exitCode=p.exit_code,
    )


def _environment(variables: list[str]) -> dict[str, str]:
    if len(variables) > ENV_MAX:
        raise invalid_argument("spec.envVariables", f"at most {ENV_MAX} variables")
    env = {}
    for i, item in enumerate(variables):
        name, sep, value = item.partition("=")
        if not sep or not name or "\0" in item:
            raise invalid_argument(f"spec.envVariables[{i}]", f"'{item}' is not NAME=value")
        env[name] = value
    return env


class GuestProcessManager(ManagedObject):
    vim_type = vim.vm.guest.ProcessManager

    def __init__(self, si: ServiceInstance, access: GuestAccess) -> None:
        super().__init__(si, "guestOperationsProcessManager")
        self.access = access

    async def StartProgramInGuest(
        self, ctx: CallContext, vm: vim.VirtualMachine, auth: vim.vm.guest.GuestAuthentication, spec: PM.ProgramSpec
    ) -> int:
        login = await self.access.login(ctx, vm, auth, EXECUTE)
        if login.windows:
            raise fault(
                vim.fault.OperationNotSupportedByGuest,
                f"{login.vm.name} is a Windows tree: gosc cannot run Windows programs; file operations work.",
            )
        arguments = spec.arguments or ""
        if "\0" in arguments or len(arguments.encode()) > ARGUMENTS_MAX:
            raise invalid_argument("spec.arguments", "arguments hold a NUL byte or are too long")
        program = login.path(spec.programPath or "", "spec.programPath")
        # As VMware Tools: the given variables are the whole environment; none given, the account's.
        env = _environment(list(spec.envVariables)) if spec.envVariables else login.account.environment()
        cwd = login.path(spec.workingDirectory, "spec.workingDirectory") if spec.workingDirectory else None

        def check(g: GuestRoot) -> str:
            where = cwd or (login.account.home if g.is_dir(login.account.home) else "/")
            check_program(g, login.account, program, where)
            return where

        where = await self.access.act(login, check)
        programs = self.access.programs_of(login.vm)
        if programs.running() >= MAX_RUNNING:
            raise fault(
                vim.fault.InvalidState,
                f"{MAX_RUNNING} programs started by guest operations already run in {login.vm.name}; "
                "end some (TerminateProcessInGuest) first.",
            )
        try:
            started = await asyncio.to_thread(
                programs.start, login.place, login.account, program, arguments, where, env
            )
        except (SandboxError, OSError) as e:
            raise system_error(f"the program could not be started in {login.vm.name}: {e}") from None
        return started.pid

    async def ListProcessesInGuest(
        self,
        ctx: CallContext,
        vm: vim.VirtualMachine,
        auth: vim.vm.guest.GuestAuthentication,
        pids: list[int] | None = None,
    ) -> list[PM.ProcessInfo]:
        login = await self.access.login(ctx, vm, auth, QUERY)
        listed = self.access.programs_of(login.vm).list(list(pids or []))
        return T.array(PM.ProcessInfo, [_info(p) for p in listed])

    async def TerminateProcessInGuest(
        self, ctx: CallContext, vm: vim.VirtualMachine, auth: vim.vm.guest.GuestAuthentication, pid: int
    ) -> None:
        login = await self.access.login(ctx, vm, auth, EXECUTE)
        programs = self.access.programs_of(login.vm)
        p = programs.get(pid)
        if p is None or p.end is not None:
            raise fault(vim.fault.GuestProcessNotFound, f"There is no running process {pid} in the guest.", pid=pid)
        # The guest's rule for kill(2): only root signals other accounts' processes.
        if not login.account.is_root and p.owner_uid != login.account.uid:
            raise fault(
                vim.fault.GuestPermissionDenied,
                f"Insufficient permissions in the guest operating system: {login.account.name} may not end "
                f"process {pid} of {p.owner}.",
            )
        if not programs.terminate(pid):
            raise fault(vim.fault.GuestProcessNotFound, f"There is no running process {pid} in the guest.", pid=pid)

    async def ReadEnvironmentVariableInGuest(
        self,
        ctx: CallContext,
        vm: vim.VirtualMachine,
        auth: vim.vm.guest.GuestAuthentication,
        names: list[str] | None = None,
    ) -> list[str]:
        login = await self.access.login(ctx, vm, auth, QUERY)
        env = login.account.environment()
        wanted = list(names or []) or sorted(env)
        return [f"{n}={env[n]}" for n in wanted if n in env]
