"""ReconfigVM_Task and a VM's rename: what a ConfigSpec may change here.

gosc changes the name, the annotation, CPUs and memory, ``extraConfig`` (``guestinfo.*``
keys are what the guest's rpctool reads: VirtualMachine.guestinfo_get) and a NIC's
connection state (a ``deviceChange`` edit of ``connectable``).  The spec is checked
whole before anything changes: a bad value is InvalidArgument (or InvalidDeviceSpec)
naming its property path, raised by the call; a property gosc does not change is
NotSupported naming it.  CPU or memory changes of a VM that is not off end the task in
InvalidPowerState (no hot add), as a state precondition does (docs/decisions.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim, vmodl

from ..vim import names
from ..vim import types as T
from ..vim.faults import fault, invalid_argument
from .base import CallContext, now
from .vm_base import VmBase, invalid_power_state

if TYPE_CHECKING:
    from .task import Task

MAX_CPUS = 768  # vSphere 8's limit per VM
MAX_MEMORY_MB = 24 * 1024 * 1024  # 24 TB
# What a ConfigSpec may say here, and the privilege each change needs (vCenter's).
_CHANGES = {
    "name": "VirtualMachine.Config.Rename",
    "annotation": "VirtualMachine.Config.Annotation",
    "numCPUs": "VirtualMachine.Config.CPUCount",
    "numCoresPerSocket": "VirtualMachine.Config.CPUCount",
    "memoryMB": "VirtualMachine.Config.Memory",
    "extraConfig": "VirtualMachine.Config.AdvancedConfig",
    "deviceChange": "VirtualMachine.Interact.DeviceConnect",
}
_IGNORED = frozenset({"dynamicType", "dynamicProperty", "changeVersion"})  # changeVersion: no concurrent editors here


def _set_properties(spec: vim.vm.ConfigSpec) -> list[str]:
    return [
        p.name
        for p in T.properties(type(spec))
        if p.name not in _IGNORED and getattr(spec, p.name, None) not in (None, [])
    ]


class VmReconfigure(VmBase):
    def check_config_spec(self, spec: vim.vm.ConfigSpec, path: str) -> list[str]:
        """Raise what is wrong with ``spec`` for this VM; the properties it sets."""
        changed = _set_properties(spec)
        for name in changed:
            if name not in _CHANGES:
                raise fault(vmodl.fault.NotSupported, f"gosc does not change {path}.{name} of a virtual machine")
        if spec.name is not None:
            self.check_new_name(spec.name, f"{path}.name")
        if spec.annotation is not None and (problem := names.xml_problem(spec.annotation)):
            raise invalid_argument(f"{path}.annotation", problem)
        cpus = spec.numCPUs if spec.numCPUs is not None else self.config.hardware.numCPU
        cores = spec.numCoresPerSocket if spec.numCoresPerSocket is not None else self.config.hardware.numCoresPerSocket
        if spec.numCPUs is not None and not 1 <= spec.numCPUs <= MAX_CPUS:
            raise invalid_argument(f"{path}.numCPUs", f"a VM has 1 to {MAX_CPUS} virtual CPUs")
        if spec.numCoresPerSocket is not None and spec.numCoresPerSocket < 1:
            raise invalid_argument(f"{path}.numCoresPerSocket", "a socket has at least one core")
        if cores and cpus % cores:
            raise invalid_argument(
                f"{path}.numCPUs", f"{cpus} virtual CPUs do not fill sockets of {cores} cores (numCoresPerSocket)"
            )
        memory: int | None = spec.memoryMB  # unset is None, whatever pyVmomi's stubs say
        if memory is not None and not (4 <= memory <= MAX_MEMORY_MB and memory % 4 == 0):
            raise invalid_argument(f"{path}.memoryMB", f"memory is a multiple of 4 MB from 4 to {MAX_MEMORY_MB}")
        for i, ov in enumerate(spec.extraConfig or []):
            if not ov.key or names.xml_problem(ov.key) or any(c.isspace() for c in ov.key):
                raise invalid_argument(f"{path}.extraConfig[{i}].key", "an option key is a non-empty word")
            if isinstance(ov.value, str) and (problem := names.xml_problem(ov.value)):
                raise invalid_argument(f"{path}.extraConfig[{i}].value", problem)
        for i, change in enumerate(spec.deviceChange or []):
            self._check_device_change(change, f"{path}.deviceChange[{i}]", i)
        return changed

    def _check_device_change(self, change: vim.vm.device.VirtualDeviceSpec, path: str, index: int) -> None:
        def invalid(prop: str, why: str) -> vmodl.MethodFault:
            return fault(
                vim.fault.InvalidDeviceSpec, f"{why} ({path}.{prop})", property=f"{path}.{prop}", deviceIndex=index
            )

        if change.operation != "edit" or change.fileOperation:
            raise invalid("operation", "gosc edits a NIC's connection state; it adds or removes no device")
        dev = change.device
        current = next((d for d in self.config.hardware.device if d.key == dev.key), None)
        if current is None:
            raise invalid("device.key", f"{self.name} has no device with key {dev.key}")
        if not isinstance(current, vim.vm.device.VirtualEthernetCard) or not isinstance(
            dev, vim.vm.device.VirtualEthernetCard
        ):
            raise invalid("device", f"device {dev.key} is not a network adapter gosc can edit")
        if dev.connectable is None:
            raise invalid("device.connectable", "an edit of a NIC gives its connectable (connected, startConnected)")
        if dev.macAddress and dev.macAddress.lower() != (current.macAddress or "").lower():
            raise invalid("device.macAddress", "gosc does not change a NIC's MAC address")

    def apply_config_spec(self, spec: vim.vm.ConfigSpec, user: str = "") -> None:
        """Change what a checked ``spec`` says (caller saves)."""
        hw = self.config.hardware
        if spec.name is not None:
            self.rename(names.escape(spec.name), user)
        if spec.annotation is not None:
            self.config.annotation = spec.annotation
        if spec.numCPUs is not None:
            hw.numCPU = spec.numCPUs
        if spec.numCoresPerSocket is not None:
            hw.numCoresPerSocket = spec.numCoresPerSocket
        memory: int | None = spec.memoryMB  # unset is None, whatever pyVmomi's stubs say
        if memory is not None:
            hw.memoryMB = memory
        for ov in spec.extraConfig or []:
            value = "" if ov.value is None else str(ov.value)
            if value:
                self.set_extra_config(ov.key, value)
            else:  # an empty value removes the key, as on vSphere
                self.config.extraConfig = [o for o in self.config.extraConfig if o.key != ov.key]
        for change in spec.deviceChange or []:
            current = next(d for d in hw.device if d.key == change.device.key)
            want = change.device.connectable
            if current.connectable is None:
                current.connectable = vim.vm.device.VirtualDevice.ConnectInfo(allowGuestControl=True, status="ok")
            for prop in ("connected", "startConnected", "allowGuestControl"):
                if getattr(want, prop, None) is not None:
                    setattr(current.connectable, prop, getattr(want, prop))
        self.config.changeVersion = now().isoformat()
        self.config.modified = now()

    def ReconfigVM_Task(self, ctx: CallContext, spec: vim.vm.ConfigSpec) -> vim.Task:
        changed = self.check_config_spec(spec, "spec")
        for privilege in sorted({_CHANGES[name] for name in changed}):
            ctx.check(self, privilege)
        if not changed:
            ctx.check(self, "VirtualMachine.Config.Settings")

        async def work(task: Task) -> None:
            hardware = {"numCPUs", "numCoresPerSocket", "memoryMB"} & set(changed)
            if hardware and self.power_state != "poweredOff":  # no CPU or memory hot add here
                raise invalid_power_state(self, "poweredOff")
            if spec.name is not None:  # the folder may have gained that name since the call
                self.check_new_name(spec.name, "spec.name")
            self.apply_config_spec(spec, ctx.user)
            self.save()
            self.post_vm_event(
                vim.event.VmReconfiguredEvent(configSpec=spec),
                ctx.user,
                f"Reconfigured {self.name} on {self.host.name} in {self.datacenter_name()}",
                task.info.eventChainId,
            )

        return self.si.task_manager.submit(ctx, self, "ReconfigVM_Task", work)

    def datacenter_name(self) -> str:
        dc = self.datacenter()
        return dc.name if dc else ""

    # ------------------------------------------------------------ rename (Rename_Task is ManagedEntity's)

    def rename(self, new_name: str, user: str) -> None:
        old = self.name
        if new_name == old:
            return
        self.name = self.config.name = new_name
        self.save()
        self.post_vm_event(
            vim.event.VmRenamedEvent(oldName=old, newName=new_name), user, f"Renamed {old} to {new_name}", None
        )
