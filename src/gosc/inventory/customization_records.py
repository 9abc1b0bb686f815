"""A record of each customization of a VM: what the web console's customization page shows.

vSphere keeps only ``guest.customizationInfo`` (the latest status) and the guest's own log
under /var/log/vmware-imc (appended run after run).  gosc keeps, per customization, what
is needed to look at it later, in the store (kind ``customization``):

- the spec as applied, every secret property masked (``json_codec.redact``);
- the generated cust.cfg, its secret keys (``-PASS``) masked;
- the engine's log of that run, and each guest file it changed, before and after, as the
  guest's agent reports them (gosc.formats.custrecord; /etc/shadow only as "changed");
- who, which task, when, and how it ended.

Size-bounded: the report is bounded as custrecord says, and a VM keeps its latest
``MAX_PER_VM`` records.  Records of a destroyed VM go with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from ..formats import custrecord, deploypkg
from ..vim import json_codec
from ..vim import types as T
from .base import now

if TYPE_CHECKING:
    from .service_instance import ServiceInstance
    from .virtual_machine import VirtualMachine

KIND = "customization"
MAX_PER_VM = 10


def _custcfg_of(pkg: bytes) -> str:
    try:
        files = deploypkg.read(pkg).files
    except deploypkg.DeployPkgError:
        return ""
    text = files.get("cust.cfg", b"").decode("utf-8", errors="replace")
    return custrecord.mask_custcfg(text)


class CustomizationRecords:
    def __init__(self, si: ServiceInstance) -> None:
        self.si = si
        self.by_vm: dict[str, list[dict[str, Any]]] = {}  # VM moId -> records, oldest first

    def load(self) -> None:
        for _, doc in self.si.store.load(KIND):
            self.by_vm.setdefault(str(doc["vm"]), []).append(doc)
        for records in self.by_vm.values():
            records.sort(key=lambda r: int(r["seq"]))

    def of(self, vm_moid: str) -> list[dict[str, Any]]:
        """The VM's records, newest first."""
        return list(reversed(self.by_vm.get(vm_moid, [])))

    def get(self, vm_moid: str, seq: int) -> dict[str, Any] | None:
        return next((r for r in self.by_vm.get(vm_moid, []) if int(r["seq"]) == seq), None)

    def begin(
        self, vm: VirtualMachine, spec: vim.vm.customization.Specification | None, pkg: bytes, user: str, task: str
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "vm": vm.moId,
            "vmName": vm.name,
            "seq": self.si.store.next_id(f"{KIND}:{vm.moId}"),
            "user": user,
            "task": task,
            "startTime": now().isoformat(),
            "endTime": None,
            "status": "running",
            "error": None,
            "spec": json_codec.encode(spec, T.NEWEST_VERSION, secrets=json_codec.redact) if spec is not None else None,
            "custCfg": _custcfg_of(pkg),
            "log": "",
            "logLocation": None,
            "files": [],
        }
        records = self.by_vm.setdefault(vm.moId, [])
        records.append(record)
        while len(records) > MAX_PER_VM:
            old = records.pop(0)
            self.si.store.delete(KIND, self._key(old))
        self._save(record)
        return record

    def finish(
        self, record: dict[str, Any], ok: bool, error: str | None, log_location: str | None, report: Any
    ) -> None:
        changes = custrecord.bound(report or {})
        record.update(
            endTime=now().isoformat(),
            status="succeeded" if ok else "failed",
            error=error,
            logLocation=log_location,
            log=changes["log"],
            files=changes["files"],
        )
        self._save(record)

    def forget(self, vm_moid: str) -> None:
        for record in self.by_vm.pop(vm_moid, []):
            self.si.store.delete(KIND, self._key(record))

    @staticmethod
    def _key(record: dict[str, Any]) -> str:
        return f"{record['vm']}:{int(record['seq']):08d}"

    def _save(self, record: dict[str, Any]) -> None:
        self.si.store.put(KIND, self._key(record), record)
