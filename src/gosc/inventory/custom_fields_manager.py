"""CustomFieldsManager: custom attribute definitions, and the values entities hold.

A definition applies to one managed type (``moType``) or, without one, to every entity.
Values are strings kept per entity here (not in the entity's own document) so that any
entity kind has them; both are stored and survive a restart.  ``setCustomValue`` on an
entity (base.ManagedEntity) names the field by name and comes here.  Setting a value to
the empty string removes it, as vCenter shows no value then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import types as T
from ..vim.faults import fault, invalid_argument
from ..vim.names import check_name
from .base import CallContext, ManagedEntity, ManagedObject

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

FieldDef = vim.CustomFieldsManager.FieldDef


def _mo_type(d: FieldDef) -> type | None:
    # pyVmomi's stubs call managedObjectType required; it is unset for a global field.
    t: type | None = getattr(d, "managedObjectType", None)
    return t


class CustomFieldsManager(ManagedObject):
    vim_type = vim.CustomFieldsManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "CustomFieldsManager")
        self.fields: dict[int, FieldDef] = {}
        self.values: dict[str, dict[int, str]] = {}  # entity moId -> field key -> value

    def load(self) -> None:
        for key, doc in self.si.store.load("customField"):
            self.fields[int(key)] = self._def(int(key), doc["name"], doc.get("moType"))
        for moid, doc in self.si.store.load("customValue"):
            self.values[moid] = {int(k): v for k, v in doc["values"].items() if int(k) in self.fields}

    def _def(self, key: int, name: str, mo_type: str | None) -> FieldDef:
        cls = T.lookup_managed_type(mo_type) if mo_type else None
        return FieldDef(key=key, name=name, type=str, managedObjectType=cls)

    def _save_def(self, d: FieldDef) -> None:
        t = _mo_type(d)
        mo_type = T.wsdl_name(t) if t else None
        self.si.store.put("customField", str(d.key), {"name": d.name, "moType": mo_type})

    def _save_values(self, moid: str) -> None:
        values = self.values.get(moid)
        if values:
            self.si.store.put("customValue", moid, {"values": {str(k): v for k, v in values.items()}})
        else:
            self.values.pop(moid, None)
            self.si.store.delete("customValue", moid)

    def _field(self, key: int) -> FieldDef:
        d = self.fields.get(key)
        if d is None:
            raise fault(vim.fault.NotFound, f"No custom field has the key {key}.")
        return d

    def _check_unique(self, name: str, mo_type: type | None, key: int | None = None) -> None:
        for d in self.fields.values():
            overlaps = _mo_type(d) is None or mo_type is None or _mo_type(d) is mo_type
            if d.key != key and d.name == name and overlaps:
                raise fault(
                    vim.fault.DuplicateName,
                    f"A custom field named '{name}' already exists.",
                    name=name,
                    object=self.ref,
                )

    # ------------------------------------------------------------ what entities ask

    def available(self, entity: ManagedEntity) -> list[FieldDef]:
        return [d for d in self.fields.values() if (t := _mo_type(d)) is None or issubclass(entity.vim_type, t)]

    def values_of(self, entity: ManagedEntity) -> list[vim.CustomFieldsManager.Value]:
        values = self.values.get(entity.moId, {})
        return T.array(
            vim.CustomFieldsManager.Value,
            [
                vim.CustomFieldsManager.StringValue(key=k, value=v)
                for k, v in sorted(values.items())
                if k in self.fields
            ],
        )

    def set_value(self, ctx: CallContext, entity: ManagedEntity, d: FieldDef, value: str) -> None:
        ctx.check(entity, "Global.SetCustomField")
        if d not in self.available(entity):
            raise invalid_argument("key", f"the custom field '{d.name}' does not apply to {entity.type_name} objects")
        values = self.values.setdefault(entity.moId, {})
        if value:
            values[d.key] = value
        else:
            values.pop(d.key, None)
        self._save_values(entity.moId)
        self.si.notify(entity, "customValue")
        self.si.notify(entity, "value")

    def by_name(self, entity: ManagedEntity, name: str) -> FieldDef:
        d = next((d for d in self.available(entity) if d.name == name), None)
        if d is None:
            raise invalid_argument("key", f"no custom field named '{name}' applies to {entity.type_name} objects")
        return d

    # ------------------------------------------------------------ API

    def prop_field(self, ctx: CallContext) -> list[FieldDef]:
        return T.array(FieldDef, list(self.fields.values()))

    def AddCustomFieldDef(
        self,
        ctx: CallContext,
        name: str,
        moType: type | None = None,
        fieldDefPolicy: vim.PrivilegePolicyDef | None = None,
        fieldPolicy: vim.PrivilegePolicyDef | None = None,
    ) -> FieldDef:
        check_name(name, "name")
        if moType is not None and not (T.is_managed(moType) and issubclass(moType, vim.ManagedEntity)):
            raise invalid_argument("moType", f"'{T.wsdl_name(moType)}' is not a managed entity type")
        self._check_unique(name, moType)
        key = self.si.store.next_id("customField")
        d = self._def(key, name, T.wsdl_name(moType) if moType else None)
        self.fields[key] = d
        self._save_def(d)
        self.si.notify(self, "field")
        return d

    def RemoveCustomFieldDef(self, ctx: CallContext, key: int) -> None:
        self._field(key)
        del self.fields[key]
        self.si.store.delete("customField", str(key))
        for moid in [m for m, v in self.values.items() if key in v]:
            del self.values[moid][key]
            self._save_values(moid)
        self.si.notify(self, "field")

    def RenameCustomFieldDef(self, ctx: CallContext, key: int, name: str) -> None:
        d = self._field(key)
        check_name(name, "name")
        self._check_unique(name, _mo_type(d), key)
        d.name = name
        self._save_def(d)
        self.si.notify(self, "field")

    def SetField(self, ctx: CallContext, entity: vim.ManagedEntity, key: int, value: str) -> None:
        target = self.si.entities.get(entity._moId)
        if target is None:
            raise fault(vim.fault.NotFound, f"No entity has the id '{entity._moId}'.")
        d = self.fields.get(key)
        if d is None:
            raise invalid_argument("key", f"no custom field has the key {key}")
        self.set_value(ctx, target, d, value)
