"""AlarmManager: gosc defines no alarms, so every entity has none declared and none
triggered; the reads answer that (empty, well-formed), as a vCenter with its alarms removed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import types as T
from ..vim.faults import not_found
from .base import CallContext, ManagedObject

if TYPE_CHECKING:
    from .service_instance import ServiceInstance


class AlarmManager(ManagedObject):
    vim_type = vim.alarm.AlarmManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "AlarmManager")

    def _entity(self, ref: vim.ManagedEntity | None) -> None:
        if ref is not None and ref._moId not in self.si.entities:
            raise not_found(ref)

    def GetAlarm(self, ctx: CallContext, entity: vim.ManagedEntity | None = None) -> list[T.ManagedObject]:
        self._entity(entity)
        return T.array(vim.alarm.Alarm)

    def GetAlarmState(self, ctx: CallContext, entity: vim.ManagedEntity) -> list[vim.alarm.AlarmState]:
        self._entity(entity)
        return []

    def AreAlarmActionsEnabled(self, ctx: CallContext, entity: vim.ManagedEntity) -> bool:
        self._entity(entity)
        return True

    def prop_defaultExpression(self, ctx: CallContext) -> list[vim.alarm.AlarmExpression]:
        return []
