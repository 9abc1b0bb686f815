"""CustomizationSpecManager: the named customization specs of this vCenter.

Specs are stored with every secret property (passwords) encrypted by a key kept in the
data directory (``secrets.key``, mode 0600): the store never holds them in plaintext.

Passwords go back to clients as vCenter returns them: ``CustomizationPassword`` with
``plainText=false`` and the value encrypted with the server's key (here a Fernet token of
``secrets.key``).  A spec read this way can be given back as it is, to Overwrite or to
CustomizeGuest_Task: a value gosc encrypted is decrypted again (``reveal_passwords``); any
other encrypted value stays what it is, and customizing with it is CannotDecryptPasswords.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from cryptography.fernet import Fernet, InvalidToken
from pyVmomi import VmomiSupport, vim

from ..customization import specxml
from ..store.private import private_dir, private_file
from ..vim import json_codec, names
from ..vim import types as T
from ..vim.faults import fault
from .base import CallContext, ManagedObject, now

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

_LINUX_FAMILIES = ("linux", "ubuntu", "debian", "rhel", "centos", "sles", "photon", "fedora", "other")


def secret_box(data_dir: Path) -> Fernet:
    path = data_dir / "secrets.key"
    if not path.exists():
        private_dir(data_dir)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key())
    private_file(path)
    return Fernet(path.read_bytes())


_D = TypeVar("_D", bound=T.DataObject)


def passwords(value: object) -> Iterator[vim.vm.customization.Password]:
    """Every CustomizationPassword inside a data object (a spec, a spec item)."""
    if isinstance(value, vim.vm.customization.Password):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from passwords(v)
    elif isinstance(value, VmomiSupport.DataObject):
        for p in T.properties(type(value)):
            yield from passwords(getattr(value, p.name, None))


class CustomizationSpecManager(ManagedObject):
    vim_type = vim.CustomizationSpecManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "CustomizationSpecManager")
        self.items: dict[str, vim.CustomizationSpecItem] = {}
        self._box = secret_box(si.data_dir)

    def _seal(self, value: object) -> str:
        return self._box.encrypt(str(value).encode()).decode()

    def _open(self, value: object) -> str:
        return self._box.decrypt(str(value).encode()).decode()

    def reveal_passwords(self, spec: _D) -> _D:
        """``spec`` with each password this server encrypted back in plain text (in place)."""
        for pw in passwords(spec):
            if not pw.plainText and pw.value:
                try:
                    pw.value, pw.plainText = self._open(pw.value), True
                except (InvalidToken, ValueError):
                    pass  # not ours: it stays encrypted (CannotDecryptPasswords if used)
        return spec

    def seal_spec(self, spec: vim.vm.customization.Specification) -> dict[str, json_codec.Json]:
        """``spec`` as the store keeps it: every password encrypted (a staged CustomizeVM_Task spec)."""
        return json_codec.to_store(self.reveal_passwords(spec), secrets=self._seal)

    def open_spec(self, doc: object) -> vim.vm.customization.Specification:
        """The inverse of ``seal_spec``."""
        return json_codec.from_store(doc, vim.vm.customization.Specification, secrets=self._open)

    def _sealed_copy(self, item: vim.CustomizationSpecItem) -> vim.CustomizationSpecItem:
        """What a client gets: a copy whose passwords are encrypted, ``plainText=false``."""
        copy = json_codec.from_store(json_codec.to_store(item), vim.CustomizationSpecItem)
        for pw in passwords(copy):
            if pw.plainText:
                pw.value, pw.plainText = self._seal(pw.value), False
        return copy

    def copy_of(self, name: str) -> vim.CustomizationSpecItem:
        """A copy of a saved spec with its passwords as given (gosc's /gosc/nocloud); NotFound."""
        return json_codec.from_store(json_codec.to_store(self._get(name)), vim.CustomizationSpecItem)

    def load(self) -> None:
        for name, doc in self.si.store.load("custspec"):
            self.items[name] = json_codec.from_store(doc, vim.CustomizationSpecItem, secrets=self._open)

    def _save(self, item: vim.CustomizationSpecItem) -> None:
        self.items[item.info.name] = item
        self.si.store.put("custspec", item.info.name, json_codec.to_store(item, secrets=self._seal))

    def _get(self, name: str) -> vim.CustomizationSpecItem:
        item = self.items.get(name)
        if item is None:
            raise fault(vim.fault.NotFound, f"The customization specification '{name}' does not exist.")
        return item

    def _stamp(self, item: vim.CustomizationSpecItem) -> vim.CustomizationSpecItem:
        names.check_name(item.info.name, "item.info.name")
        item.info.lastUpdateTime = now()
        item.info.changeVersion = str(int(item.info.changeVersion or 0) + 1)
        item.info.type = (
            "Windows"
            if isinstance(item.spec.identity, vim.vm.customization.Sysprep | vim.vm.customization.SysprepText)
            else "Linux"
        )
        return item

    # ------------------------------------------------------------ API

    def prop_info(self, ctx: CallContext) -> list[vim.CustomizationSpecInfo]:
        return T.array(vim.CustomizationSpecInfo, [i.info for i in self.items.values()])

    def prop_encryptionKey(self, ctx: CallContext) -> list[int]:
        return []

    def DoesCustomizationSpecExist(self, ctx: CallContext, name: str) -> bool:
        return name in self.items

    def GetCustomizationSpec(self, ctx: CallContext, name: str) -> vim.CustomizationSpecItem:
        return self._sealed_copy(self._get(name))

    def CreateCustomizationSpec(self, ctx: CallContext, item: vim.CustomizationSpecItem) -> None:
        if item.info.name in self.items:
            raise fault(
                vim.fault.AlreadyExists,
                f"The customization specification '{item.info.name}' already exists.",
                name=item.info.name,
            )
        item.info.changeVersion = None
        self.reveal_passwords(item.spec)
        self._save(self._stamp(item))

    def OverwriteCustomizationSpec(self, ctx: CallContext, item: vim.CustomizationSpecItem) -> None:
        current = self._get(item.info.name)
        if item.info.changeVersion is not None and item.info.changeVersion != current.info.changeVersion:
            raise fault(
                vim.fault.ConcurrentAccess,
                f"The customization specification '{item.info.name}' was changed by someone else.",
            )
        item.info.changeVersion = current.info.changeVersion
        self.reveal_passwords(item.spec)
        self._save(self._stamp(item))

    def DeleteCustomizationSpec(self, ctx: CallContext, name: str) -> None:
        self._get(name)
        del self.items[name]
        self.si.store.delete("custspec", name)

    def DuplicateCustomizationSpec(self, ctx: CallContext, name: str, newName: str) -> None:
        source = self._get(name)
        names.check_name(newName, "newName")
        if newName in self.items:
            raise fault(
                vim.fault.AlreadyExists, f"The customization specification '{newName}' already exists.", name=newName
            )
        doc = json_codec.to_store(source)
        copy = json_codec.from_store(doc, vim.CustomizationSpecItem)
        copy.info.name, copy.info.changeVersion = newName, None
        self._save(self._stamp(copy))

    def RenameCustomizationSpec(self, ctx: CallContext, name: str, newName: str) -> None:
        item = self._get(name)
        names.check_name(newName, "newName")
        if newName in self.items:
            raise fault(
                vim.fault.AlreadyExists, f"The customization specification '{newName}' already exists.", name=newName
            )
        self.DeleteCustomizationSpec(ctx, name)
        item.info.name = newName
        self._save(self._stamp(item))

    def CustomizationSpecItemToXml(self, ctx: CallContext, item: vim.CustomizationSpecItem) -> str:
        # Passwords leave encrypted, as GetCustomizationSpec gives them and as vCenter exports
        # them: the document is a file an operator keeps, not a secret channel.
        return specxml.to_xml(self._sealed_copy(item))

    def XmlToCustomizationSpecItem(self, ctx: CallContext, specItemXml: str) -> vim.CustomizationSpecItem:
        return specxml.from_xml(specItemXml, ctx.version)

    def IsGuestOsCustomizable(self, ctx: CallContext, guestId: str) -> bool:
        gid = guestId.lower()
        return gid.startswith(("windows", "win")) or any(f in gid for f in _LINUX_FAMILIES)

    def CheckCustomizationResources(self, ctx: CallContext, guestOs: str) -> None:
        if not self.IsGuestOsCustomizable(ctx, guestOs):
            raise fault(
                vim.fault.UncustomizableGuest,
                f"Guest OS {guestOs} cannot be customized.",
                uncustomizableGuestOS=guestOs,
            )
