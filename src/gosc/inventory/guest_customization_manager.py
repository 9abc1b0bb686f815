"""VirtualMachineGuestCustomizationManager: CustomizeGuest_Task, StartGuestNetwork_Task,
AbortCustomization_Task on running VMs.

Preconditions (power, tools, task lock) fail the call itself; everything after the task
exists (spec checks, guest login, the guest's own result) fails the task, with the
customization status and the event log telling the same story.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from pyVmomi import vim, vmodl

from ..customization import package, validation
from ..guest import rpc
from ..guest.states import DeployError, DeployReport, DeployState, FailureKind, update_state
from ..vim.faults import fault, invalid_argument, message_of, not_found, system_error
from ..vim.types import wsdl_name
from .base import CallContext, ManagedObject
from .customization_records import CustomizationRecords
from .virtual_machine import VirtualMachine
from .vm_base import invalid_power_state

if TYPE_CHECKING:
    from .service_instance import ServiceInstance
    from .task import Task

log = logging.getLogger(__name__)

DEPLOY_TIMEOUT = 100 + 30  # the package's processing timeout plus the agent's own margin

_REASON = {
    DeployError.CUST_SCRIPT_DISABLED: "userDefinedScriptDisabled",
    DeployError.CUST_DISABLED: "customizationDisabled",
    DeployError.CLOUDINIT_NOT_SUPPORT_RAWDATA: "rawDataIsNotSupported",
    DeployError.CLOUDINIT_WRONG_META_FORMAT: "wrongMetadataFormat",
}


def failure_event(report: DeployReport) -> vim.event.CustomizationFailed:
    """The CustomizationFailed subtype vCenter posts for a guest's report."""
    text = report.message or None
    if report.code in _REASON:
        return vim.event.CustomizationFailed(reason=_REASON[report.code])
    if report.kind is FailureKind.NETWORK:
        return vim.event.CustomizationNetworkSetupFailed(reason=text)
    if report.kind is FailureKind.IDENTITY:
        return vim.event.CustomizationLinuxIdentityFailed(reason=text)
    if report.kind in (FailureKind.SCRIPT, FailureKind.ABORTED):  # no reason code fits: the message says it
        return vim.event.CustomizationFailed(reason=None)
    if report.kind is FailureKind.SYSPREP:
        return vim.event.CustomizationSysprepFailed(reason=text)
    return vim.event.CustomizationUnknownFailure(reason=text)


def channel_fault(vm_name: str, e: rpc.ChannelError) -> vmodl.MethodFault:
    """A broken tools channel (the agent died, no answer): a system error, never a
    statement about the guest's credentials or the customization spec."""
    return system_error(f"the VMware Tools channel of {vm_name} failed: {e}")


def _canceled() -> vmodl.MethodFault:
    return fault(vmodl.fault.RequestCanceled, "The customization was canceled by a user (CancelTask).")


class GuestCustomizationManager(ManagedObject):
    vim_type = vim.vm.GuestCustomizationManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "GuestCustomizationManager")
        self.running: dict[str, Task] = {}  # VM moId -> customization task
        self.staged: dict[str, asyncio.Task[None]] = {}  # VM moId -> a staged customization being applied
        self.records = CustomizationRecords(si)  # each customization, for the web console

    # ------------------------------------------------------------ checks

    def _vm(self, ref: vim.VirtualMachine) -> VirtualMachine:
        vm = self.si.objects.get(ref._moId)
        if not isinstance(vm, VirtualMachine):
            raise not_found(ref)
        return vm

    def _check_running(self, vm: VirtualMachine) -> None:
        if vm.power_state != "poweredOn":
            raise invalid_power_state(vm, "poweredOn")
        if not vm.tools_running:
            raise fault(
                vim.fault.InvalidState,
                f"The operation is not allowed in the current state: VMware Tools is not running in {vm.name}.",
            )

    def _check_auth(self, auth: vim.vm.guest.GuestAuthentication) -> vim.vm.guest.NamePasswordAuthentication:
        if not isinstance(auth, vim.vm.guest.NamePasswordAuthentication):
            raise invalid_argument("auth", f"gosc accepts NamePasswordAuthentication, not {wsdl_name(type(auth))}")
        return auth

    async def _login(self, vm: VirtualMachine, auth: vim.vm.guest.NamePasswordAuthentication) -> None:
        try:
            uid = await vm.tools.authenticate(auth.username, auth.password)
        except rpc.ChannelError as e:
            raise channel_fault(vm.name, e) from None
        if uid is None:
            raise fault(
                vim.fault.InvalidGuestLogin,
                f"Failed to authenticate with the guest operating system of {vm.name} using the supplied credentials.",
            )
        if uid != 0:
            raise fault(
                vim.fault.GuestPermissionDenied,
                f"Insufficient permissions in the guest operating system of {vm.name}: "
                f"customization needs a uid 0 account, '{auth.username}' has uid {uid}.",
            )

    def target(self, vm: VirtualMachine) -> validation.Target:
        return validation.Target(
            macs=tuple(m.lower() for m in vm.macs()),
            guest_family="windows" if vm.family == "windows" else "linux",
            guest_id=vm.config_read.guestId,
            vm_name=vm.name,
        )

    def _name_taken(self, vm: VirtualMachine) -> Callable[[str], bool]:
        def taken(name: str) -> bool:
            return any(
                o is not vm and o.guest_report.get("hostName", "").lower() == name.lower() for o in self.si.vms()
            )

        return taken

    # ------------------------------------------------------------ CustomizeGuest_Task

    def CustomizeGuest_Task(
        self,
        ctx: CallContext,
        vm: vim.VirtualMachine,
        auth: vim.vm.guest.GuestAuthentication,
        spec: vim.vm.customization.Specification,
        configParams: list[vim.option.OptionValue] | None = None,
    ) -> vim.Task:
        machine = self._vm(vm)
        self._check_running(machine)
        login = self._check_auth(auth)
        self.si.task_manager.check_free(machine)
        return self.si.task_manager.submit(
            ctx,
            machine,
            "CustomizeGuest_Task",
            lambda task: self._customize(ctx, task, machine, login, spec, list(configParams or [])),
            owner=self,
            cancelable=True,
        )

    def _cancel(self, vm: VirtualMachine) -> None:
        """CancelTask on a customization: before the guest has it, the task stops at its
        next step; once the guest runs it, the guest is told to abort."""
        if vm.moId in self.running:
            t = asyncio.get_running_loop().create_task(vm.tools.call("deployPkg.abort"))
            t.add_done_callback(lambda done: done.exception())  # an already finished deployment is fine

    async def _customize(
        self,
        ctx: CallContext,
        task: Task,
        vm: VirtualMachine,
        auth: vim.vm.guest.NamePasswordAuthentication,
        spec: vim.vm.customization.Specification,
        params: list[vim.option.OptionValue],
    ) -> None:
        task.cancel_hook = lambda: self._cancel(vm)
        pkg = self.prepare(vm, spec, params)
        await vm.ensure_guest()  # a VM made in bulk gets its guest now (vm_power)
        await self._login(vm, auth)
        if task.info.cancelled:
            raise _canceled()
        for o in params:
            key = o.key if o.key.startswith("guestinfo.") else f"guestinfo.{o.key}"
            vm.set_extra_config(key, "" if o.value is None else str(o.value))
        await self.run_package(ctx.user, vm, pkg, task, spec)

    # ------------------------------------------------------------ the pipeline (CustomizeVM_Task's too)

    def prepare(
        self, vm: VirtualMachine, spec: vim.vm.customization.Specification, params: list[vim.option.OptionValue]
    ) -> bytes:
        """The deploy package of ``spec`` for ``vm``, once the spec passes every check
        (the first problem is raised as its vSphere fault)."""
        spec = self.si.customization_spec_manager.reveal_passwords(spec)  # a spec read back from GetCustomizationSpec
        validation.validate(spec, self.target(vm))
        facts = package.VmFacts(vm.name, tuple(m.lower() for m in vm.macs()), vm.instance_uuid)
        host_name = package.host_name_for(spec, facts, self._name_taken(vm))
        return package.build_package(spec, facts, host_name, params)

    async def run_package(
        self,
        user: str,
        vm: VirtualMachine,
        pkg: bytes,
        task: Task | None,
        spec: vim.vm.customization.Specification | None = None,
    ) -> None:
        """Hand ``pkg`` to the guest's tools and follow it to its end: customizationInfo,
        the Customization* events, and (for a task) the fault it ends with.  Without a
        task (a customization staged by CustomizeVM_Task, applied at boot) the events
        carry a chain of their own."""
        chain = task.info.eventChainId if task is not None else self.si.event_manager.new_chain_id()
        vm.tools.deploy_changes = None
        record = self.records.begin(vm, spec, pkg, user, task.moId if task is not None else "")
        vm.set_customization_status("TOOLSDEPLOYPKG_PENDING")
        self.si.event_manager.post(
            vim.event.CustomizationStartedEvent(
                userName=user, template=False, fullFormattedMessage=f"Started customization of VM {vm.name}."
            ),
            vm=vm,
            chain_id=chain,
        )
        if task is not None:
            task.set_progress(10)
            self.running[vm.moId] = task
        try:
            report = await self._deploy(task, vm, pkg)
        except rpc.Refused as e:  # deployPkg.begin / file.put / deployPkg.deploy said no
            report = DeployReport(
                update_state(DeployState.DONE, DeployError.DEPLOY_FAILED, "", FailureKind.UNKNOWN, str(e))
            )
        except (rpc.ChannelError, TimeoutError) as e:
            why = str(e) or f"no result within {DEPLOY_TIMEOUT} s"
            report = DeployReport(
                update_state(
                    DeployState.DONE, DeployError.DEPLOY_FAILED, "", FailureKind.CHANNEL, f"tools channel: {why}"
                )
            )
        finally:
            if task is not None:
                self.running.pop(vm.moId, None)
        ok = report.code == DeployError.SUCCESS
        message = None if ok else (report.message or f"deployPkg error {int(report.code)}")
        self.records.finish(record, ok, message, report.log_path, vm.tools.deploy_changes)
        self._finish(user, chain, task, vm, report)

    async def _deploy(self, task: Task | None, vm: VirtualMachine, pkg: bytes) -> DeployReport:
        tools = vm.tools
        while not tools.deploy_reports.empty():  # stale reports of an earlier, aborted run
            tools.deploy_reports.get_nowait()
        guest_dir = (await tools.call("deployPkg.begin")).decode()
        pkg_path = f"{guest_dir}/pkg.zip"
        await tools.call("file.put", pkg_path.encode() + b"\0" + pkg)
        if task is not None:
            task.set_progress(30)
        await tools.call("deployPkg.deploy", pkg_path)
        async with asyncio.timeout(DEPLOY_TIMEOUT):
            while True:
                report = await tools.deploy_reports.get()
                if report.state == DeployState.RUNNING:
                    vm.set_customization_status("TOOLSDEPLOYPKG_RUNNING")
                    if task is not None:
                        task.set_progress(50)
                elif report.state == DeployState.DONE:
                    return report

    def _finish(self, user: str, chain: int, task: Task | None, vm: VirtualMachine, report: DeployReport) -> None:
        log_location = report.log_path
        if report.code == DeployError.SUCCESS:
            if any(_to_connect(dev) for dev in vm.nics()):  # else the stored config stays as it is
                for dev in vm.nics_to_change():
                    if dev.connectable is not None and _to_connect(dev):
                        dev.connectable.connected = True
            vm.set_customization_status("TOOLSDEPLOYPKG_SUCCEEDED")
            self.si.event_manager.post(
                vim.event.CustomizationSucceeded(
                    userName=user,
                    template=False,
                    logLocation=log_location,
                    fullFormattedMessage=f"Customization of VM {vm.name} succeeded.",
                ),
                vm=vm,
                chain_id=chain,
            )
            return
        event = failure_event(report)
        message = report.message or f"deployPkg error {int(report.code)}"
        event.userName, event.template, event.logLocation = user, False, log_location
        event.fullFormattedMessage = f"Customization of VM {vm.name} failed: {message}"
        vm.set_customization_status("TOOLSDEPLOYPKG_FAILED", message)
        self.si.event_manager.post(event, vm=vm, chain_id=chain)
        if task is not None and task.info.cancelled:
            raise _canceled()
        if report.kind is FailureKind.CHANNEL:
            raise system_error(f"the VMware Tools channel of {vm.name} failed during the customization: {message}")
        where = f" See {log_location} in the guest." if log_location else ""
        raise fault(vim.fault.CustomizationFault, f"Customization of {vm.name} failed: {message}.{where}")

    # ------------------------------------------------------------ staged (CustomizeVM_Task, CloneVM_Task)

    def apply_staged(self, vm: VirtualMachine, spec: vim.vm.customization.Specification, user: str) -> None:
        """Apply the customization CustomizeVM_Task staged, now that the guest's tools run
        (at boot, as VMware Tools picks up a pending package): the same pipeline as
        CustomizeGuest_Task without a task or a guest login."""
        if vm.moId in self.staged:
            return  # already on its way (a reset while it runs does not start a second)

        async def apply() -> None:
            try:
                await self.run_package(user, vm, self.prepare(vm, spec, []), None, spec)
            except vmodl.MethodFault as f:
                if (
                    vm.customization_info is None
                    or vm.customization_info.customizationStatus != "TOOLSDEPLOYPKG_FAILED"
                ):
                    self._staged_failed(user, vm, message_of(f))  # the spec no longer fits the VM
            except Exception as e:  # a bug must still end the customization, never leave it pending
                log.exception("staged customization of %s failed", vm.moId)
                self._staged_failed(user, vm, f"{type(e).__name__} during the customization")
            finally:
                self.staged.pop(vm.moId, None)
            vm.clear_staged_customization()

        task = asyncio.get_running_loop().create_task(apply())
        self.staged[vm.moId] = task

    def _staged_failed(self, user: str, vm: VirtualMachine, message: str) -> None:
        vm.set_customization_status("TOOLSDEPLOYPKG_FAILED", message)
        self.si.event_manager.post(
            vim.event.CustomizationFailed(
                userName=user, template=False, fullFormattedMessage=f"Customization of VM {vm.name} failed: {message}"
            ),
            vm=vm,
        )

    async def stop(self) -> None:
        """Server shutdown: a staged customization being applied stops and stays staged,
        so the next start applies it again."""
        for task in list(self.staged.values()):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    # ------------------------------------------------------------ the other two methods

    def StartGuestNetwork_Task(
        self, ctx: CallContext, vm: vim.VirtualMachine, auth: vim.vm.guest.GuestAuthentication
    ) -> vim.Task:
        machine = self._vm(vm)
        self._check_running(machine)
        login = self._check_auth(auth)

        async def work(task: Task) -> None:
            await machine.ensure_guest()
            await self._login(machine, login)
            try:
                await machine.tools.call("network.start", timeout=60)
            except rpc.ChannelError as e:
                raise channel_fault(machine.name, e) from None
            except rpc.Refused as e:
                raise fault(
                    vim.fault.CustomizationFault, f"Starting the guest network of {machine.name} failed: {e}"
                ) from None

        return self.si.task_manager.submit(ctx, machine, "StartGuestNetwork_Task", work, owner=self)

    def AbortCustomization_Task(
        self, ctx: CallContext, vm: vim.VirtualMachine, auth: vim.vm.guest.GuestAuthentication
    ) -> vim.Task:
        machine = self._vm(vm)
        self._check_running(machine)
        login = self._check_auth(auth)
        if machine.moId not in self.running:
            raise fault(vim.fault.InvalidState, f"No customization is running in {machine.name}.")

        async def work(task: Task) -> None:
            await machine.ensure_guest()
            await self._login(machine, login)
            try:
                await machine.tools.call("deployPkg.abort")
            except rpc.ChannelError as e:
                raise channel_fault(machine.name, e) from None
            except rpc.Refused as e:
                raise fault(
                    vim.fault.CustomizationFault, f"Aborting the customization of {machine.name} failed: {e}"
                ) from None

        # The customization task holds the VM: the abort must not wait for that lock.
        return self.si.task_manager.submit(ctx, machine, "AbortCustomization_Task", work, lock=False, owner=self)


def _to_connect(dev: vim.vm.device.VirtualEthernetCard) -> bool:
    """A NIC that a successful customization connects (an instant clone's start disconnected)."""
    return dev.connectable is not None and bool(dev.connectable.startConnected) and not dev.connectable.connected
