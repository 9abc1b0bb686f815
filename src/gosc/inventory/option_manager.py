"""OptionManager (ServiceContent ``setting``): the vCenter's advanced settings.

The settings vcsim's vCenter has, minus its SSO paths (gosc has no SSO), plus
``VirtualCenter.FQDN`` (the HTML5 console sample reads it), each with its
definition in ``supportedOption``.  ``UpdateOptions`` changes a known setting (its value
must have the setting's type) or adds a new one under ``config.`` (as vCenter only lets
new keys there); changes are stored and survive a restart.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..vim import types as T
from ..vim.faults import fault, invalid_argument
from .base import CallContext, ManagedObject

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

Scalar = str | int | bool

# key -> (default, label)
DEFAULTS: dict[str, tuple[Scalar, str]] = {
    "VirtualCenter.InstanceName": ("gosc", "vCenter Server name"),
    # The machine's name, as vCenter's is its own (clients build console URLs from it); an admin
    # may set the name clients reach it by.
    "VirtualCenter.FQDN": (socket.gethostname(), "vCenter Server FQDN"),
    "event.batchsize": (2000, "Event batch size"),
    "event.maxAge": (30, "Event maximum age (days)"),
    "event.maxAgeEnabled": (True, "Event cleanup enabled"),
    "task.maxAge": (30, "Task maximum age (days)"),
    "task.maxAgeEnabled": (True, "Task cleanup enabled"),
    "config.vpxd.sso.enabled": ("false", "Single sign-on enabled"),
}
_NEW_PREFIX = "config."


def _option_type(default: Scalar) -> vim.option.OptionType:
    if isinstance(default, bool):
        return vim.option.BoolOption(valueIsReadonly=False, supported=True, defaultValue=default)
    if isinstance(default, int):
        return vim.option.IntOption(valueIsReadonly=False, min=0, max=2**31 - 1, defaultValue=default)
    return vim.option.StringOption(valueIsReadonly=False, defaultValue=default)


def _plain(value: Any) -> Scalar | None:
    """An option value as str, int or bool (pyVmomi gives int subclasses for xsd:int/long)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    return None


class OptionManager(ManagedObject):
    vim_type = vim.option.OptionManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "VpxSettings")
        self.values: dict[str, Scalar] = {k: v for k, (v, _) in DEFAULTS.items()}

    def load(self) -> None:
        for key, doc in self.si.store.load("option"):
            self.values[key] = doc["value"]

    def _options(self, keys: list[str]) -> list[vim.option.OptionValue]:
        return T.array(vim.option.OptionValue, [vim.option.OptionValue(key=k, value=self.values[k]) for k in keys])

    # ------------------------------------------------------------ API

    def prop_setting(self, ctx: CallContext) -> list[vim.option.OptionValue]:
        return self._options(sorted(self.values))

    def prop_supportedOption(self, ctx: CallContext) -> list[vim.option.OptionDef]:
        return T.array(
            vim.option.OptionDef,
            [
                vim.option.OptionDef(key=k, label=label, summary=label, optionType=_option_type(default))
                for k, (default, label) in DEFAULTS.items()
            ],
        )

    def QueryOptions(self, ctx: CallContext, name: str | None = None) -> list[vim.option.OptionValue]:
        # A name ending in "." names every setting under it; any other name one setting, as
        # vCenter answers.
        if not name:
            return self.prop_setting(ctx)
        keys = sorted(k for k in self.values if (k.startswith(name) if name.endswith(".") else k == name))
        if not keys:
            raise fault(vim.fault.InvalidName, f"No setting is named '{name}'.", name=name)
        return self._options(keys)

    def UpdateOptions(self, ctx: CallContext, changedValue: list[vim.option.OptionValue]) -> None:
        ctx.check(self.si.root_folder, "Global.Settings")
        changes: dict[str, Scalar] = {}
        for i, change in enumerate(changedValue):
            key, value = change.key, _plain(change.value)
            if value is None:
                raise invalid_argument(
                    f"changedValue[{i}].value", f"the value of '{key}' must be a string, number or boolean"
                )
            if key in self.values:
                current = self.values[key]
                if type(value) is not type(current):
                    raise invalid_argument(
                        f"changedValue[{i}].value", f"'{key}' takes a {type(current).__name__}, not {value!r}"
                    )
            elif not key.startswith(_NEW_PREFIX) or len(key) == len(_NEW_PREFIX):
                raise fault(
                    vim.fault.InvalidName, f"No setting is named '{key}'; new settings go under 'config.'.", name=key
                )
            changes[key] = value
        # Every change was checked before any is made: a bad list changes nothing.
        for key, value in changes.items():
            self.values[key] = value
            self.si.store.put("option", key, {"value": value})
        self.si.notify(self, "setting")
