"""A VM's power: PowerOn/PowerOff/Reset/Suspend (tasks) and the guest's own
Reboot/Shutdown/Standby (through its tools).

The power tasks check the VM's power state when their work starts, so a call in the wrong
state returns a Task that ends in ``InvalidPowerState``, as vCenter and vcsim do (it shows
in the task lists); what is wrong with the call itself (a template, a busy VM, an argument)
still fails the call (docs/decisions.md, "Fault delivery").  The guest operations are not
tasks: their preconditions fail the call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim.faults import invalid_argument
from .base import CallContext, now
from .vm_base import VmBase, invalid_power_state, template_fault, tools_unavailable

if TYPE_CHECKING:
    from .task import Task

ON, OFF, SUSPENDED = "poweredOn", "poweredOff", "suspended"


class VmPower(VmBase):
    # ------------------------------------------------------------ the guest's life

    async def boot(self) -> None:
        """Start the guest (power on, resume, reset, reboot): its tools connect, and a
        customization CustomizeVM_Task staged is applied by them, as VMware Tools does
        at boot (vm_customization)."""
        if self.guest_pending:
            await self.ensure_guest()  # the first boot of a VM made in bulk: its tree first (and booted there)
        else:
            await self.si.backend(self.backend).power_on(self.as_vm(), self.tools)
        if self.staged_customization is not None:
            self.apply_staged_customization()

    async def halt(self) -> None:
        """Stop the guest: its tools go away (and a reboot under way will not finish)."""
        self.cancel_reboot()
        if not self.guest_pending:  # a pending guest never started
            await self.si.backend(self.backend).power_off(self.as_vm(), self.tools)

    async def ensure_guest(self) -> None:
        """The guest of a VM made in bulk (gosc serve --demo-vms), made the first time
        anything needs it (a power cycle, a customization, a guest operation, a snapshot,
        a clone): its tree copied from its family's skeleton and, if the VM is on, booted.
        Every place that reaches a VM's tree comes through here; callers that arrive while
        it is being made wait for the same making."""
        if not self.guest_pending:
            return
        if self.waking is None:
            self.waking = asyncio.get_running_loop().create_task(self._make_guest())
        await asyncio.shield(self.waking)

    async def _make_guest(self) -> None:
        backend = self.si.backend(self.backend)
        try:
            try:
                await asyncio.to_thread(backend.create_from_skeleton, self.as_vm(), self.family)
            except BaseException:
                # A tree half made (a full disk) would block the next try: it starts afresh.
                await asyncio.to_thread(backend.destroy_tree, self.as_vm())
                raise
            self.guest_pending = False
            if self.power_state == ON:
                await backend.power_on(self.as_vm(), self.tools)
            self.save()
        finally:
            self.waking = None

    def cancel_reboot(self) -> None:
        if self.rebooting is not None:
            self.rebooting.cancel()
            self.rebooting = None

    async def _come_back_up(self, seconds: float) -> None:
        """The rest of a guest reboot: the OS comes back after ``seconds`` and starts its tools."""
        await asyncio.sleep(seconds)
        self.rebooting = None
        self.boot_time = now()
        await self.boot()
        self.save()

    async def power_on(self) -> None:
        if self.power_state != SUSPENDED:  # a resumed guest keeps running since its boot
            self.boot_time = now()
        self.power_state = ON
        await self.boot()
        self.save()

    async def power_off(self) -> None:
        await self.halt()
        self.power_state = OFF
        self.boot_time = None
        self.guest_report = {"hostName": self.guest_report.get("hostName", ""), "nics": []}
        self.save()

    async def suspend(self) -> None:
        await self.halt()
        self.power_state = SUSPENDED
        self.save()

    async def reset(self) -> None:
        await self.halt()
        self.boot_time = now()
        await self.boot()
        self.save()

    # ------------------------------------------------------------ tasks

    def PowerOnVM_Task(self, ctx: CallContext, host: vim.HostSystem | None = None) -> vim.Task:
        from .host_system import HostSystem

        if self.is_template:
            raise template_fault(self, "be powered on")
        if host is not None and self.resolve(host, HostSystem, "host") is not self.host:
            raise invalid_argument("host", f"{self.name} runs on {self.host.name}; gosc does not move a VM at power on")
        return self._power_task(
            ctx, "PowerOnVM_Task", (OFF, SUSPENDED), OFF, self.power_on, vim.event.VmPoweredOnEvent, "powered on"
        )

    def PowerOffVM_Task(self, ctx: CallContext) -> vim.Task:
        return self._power_task(
            ctx, "PowerOffVM_Task", (ON, SUSPENDED), ON, self.power_off, vim.event.VmPoweredOffEvent, "powered off"
        )

    def ResetVM_Task(self, ctx: CallContext) -> vim.Task:
        return self._power_task(ctx, "ResetVM_Task", (ON,), ON, self.reset, vim.event.VmResettingEvent, "reset")

    def SuspendVM_Task(self, ctx: CallContext) -> vim.Task:
        return self._power_task(ctx, "SuspendVM_Task", (ON,), ON, self.suspend, vim.event.VmSuspendedEvent, "suspended")

    def _power_task(
        self,
        ctx: CallContext,
        method: str,
        allowed: tuple[str, ...],
        requested: str,
        action: Callable[[], Awaitable[None]],
        event: type[vim.event.VmEvent],
        done: str,
    ) -> vim.Task:
        async def work(task: Task) -> None:
            # The state as the task finds it: a call in the wrong state still makes its task.
            if self.power_state not in allowed:
                raise invalid_power_state(self, requested)
            await action()
            self.post_vm_event(event(), ctx.user, f"{self.name} on {self.host.name} is {done}", task.info.eventChainId)

        return self.si.task_manager.submit(ctx, self, method, work)

    # ------------------------------------------------------------ the guest's own operations

    def _check_guest_operation(self, ctx: CallContext) -> None:
        if self.power_state != ON:
            raise invalid_power_state(self, ON)
        if not self.tools_running:
            raise tools_unavailable(self)
        self.si.task_manager.check_free(self)

    async def RebootGuest(self, ctx: CallContext) -> None:
        # As on vSphere the call returns once the guest has begun to restart: its tools are
        # gone, and come back ``guest_reboot_seconds`` later (clients such as Ansible's
        # modules first wait for the tools to go, then to come back: docs/decisions.md).
        self._check_guest_operation(ctx)
        self.post_vm_event(vim.event.VmGuestRebootEvent(), ctx.user, f"Guest OS reboot for {self.name}", None)
        await self.halt()
        self.rebooting = asyncio.create_task(self._come_back_up(self.si.guest_reboot_seconds))

    async def ShutdownGuest(self, ctx: CallContext) -> None:
        self._check_guest_operation(ctx)
        self.post_vm_event(vim.event.VmGuestShutdownEvent(), ctx.user, f"Guest OS shut down for {self.name}", None)
        await self.power_off()
        self.post_vm_event(
            vim.event.VmPoweredOffEvent(), ctx.user, f"{self.name} on {self.host.name} is powered off", None
        )

    async def StandbyGuest(self, ctx: CallContext) -> None:
        self._check_guest_operation(ctx)
        self.post_vm_event(vim.event.VmGuestStandbyEvent(), ctx.user, f"Guest OS standby for {self.name}", None)
        await self.suspend()
        self.post_vm_event(
            vim.event.VmSuspendedEvent(), ctx.user, f"{self.name} on {self.host.name} is suspended", None
        )
