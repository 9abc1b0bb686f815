"""HostDatastoreBrowser: lists the files of datastores (SearchDatastore_Task).

A datastore here holds one folder per VM with the files vm_storage.py names for it (gosc
keeps guest trees, not disk images), so a search answers from the inventory: the
datastore's root lists the VM folders, a VM folder lists its files.  A VM unregistered
(UnregisterVM) keeps its folder, as its files stay on the datastore for RegisterVM_Task.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from pyVmomi import vim

from ..vim import json_codec
from ..vim import types as T
from ..vim.faults import fault
from . import vm_storage
from .base import CallContext, ManagedObject, now
from .folder_vm import UNREGISTERED

if TYPE_CHECKING:
    from .datastore import Datastore
    from .service_instance import ServiceInstance
    from .task import Task

B = vim.host.DatastoreBrowser
_PATH = re.compile(r"^\[([^\]]+)\]\s*(.*)$")
# A query and the file types it matches (FileQuery and no query: every file).
_QUERIES: tuple[tuple[type, tuple[str, ...]], ...] = (
    (B.FolderQuery, ("folder",)),
    (B.VmConfigQuery, ("config",)),
    (B.VmDiskQuery, ("diskDescriptor",)),
    (B.VmLogQuery, ("log",)),
    (B.VmNvramQuery, ("nvram",)),
)
_INFO: dict[str, type] = {
    "folder": B.FolderInfo,
    "config": B.VmConfigInfo,
    "diskDescriptor": B.VmDiskInfo,
    "log": B.VmLogInfo,
    "nvram": B.VmNvramInfo,
}


class HostDatastoreBrowser(ManagedObject):
    vim_type = vim.host.DatastoreBrowser

    def __init__(self, si: ServiceInstance, moId: str, datastores: Callable[[], list[Datastore]]) -> None:
        super().__init__(si, moId)
        self.datastores = datastores

    @classmethod
    def of(cls, si: ServiceInstance, moid: str, datastores: Callable[[], list[Datastore]]) -> HostDatastoreBrowser:
        """The browser ``moid`` (made on first use: it keeps no state, so nothing is stored)."""
        obj = si.objects.get(moid)
        if isinstance(obj, HostDatastoreBrowser):
            return obj
        return si.register(cls(si, moid, datastores))

    def prop_datastore(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(vim.Datastore, [d.ref for d in self.datastores()])

    def prop_supportedType(self, ctx: CallContext) -> list[B.Query]:
        return [q() for q, _ in _QUERIES]

    def SearchDatastore_Task(
        self, ctx: CallContext, datastorePath: str, searchSpec: B.SearchSpec | None = None
    ) -> vim.Task:
        return self._search(ctx, "SearchDatastore_Task", datastorePath, searchSpec, recurse=False)

    def SearchDatastoreSubFolders_Task(
        self, ctx: CallContext, datastorePath: str, searchSpec: B.SearchSpec | None = None
    ) -> vim.Task:
        return self._search(ctx, "SearchDatastoreSubFolders_Task", datastorePath, searchSpec, recurse=True)

    def _search(
        self, ctx: CallContext, method: str, path: str, spec: B.SearchSpec | None, *, recurse: bool
    ) -> vim.Task:
        m = _PATH.match(path)
        if m is None:
            raise fault(
                vim.fault.InvalidDatastorePath,
                f"Invalid datastore path '{path}': it must be '[datastore] folder'.",
                datastorePath=path,
            )
        name, folder = m.group(1), m.group(2).strip("/")
        ds = next((d for d in self.datastores() if d.name == name), None)
        if ds is None:
            raise fault(vim.fault.InvalidDatastore, f"Datastore '{name}' is not accessible to this browser.", name=name)
        spec = spec or B.SearchSpec()

        async def work(task: Task) -> object:
            folders = self._folders(ds)
            if folder and folder not in folders:
                raise fault(
                    vim.fault.FileNotFound, f"File [{ds.name}] {folder} was not found", file=f"[{ds.name}] {folder}"
                )
            names = [folder] if folder else (["", *sorted(folders)] if recurse else [""])
            results = [_results(ds, n, folders, spec) for n in names]
            return T.array(B.SearchResults, results) if recurse else results[0]

        return self.si.task_manager.submit(ctx, ds, method, work, lock=False, owner=self)

    def _folders(self, ds: Datastore) -> dict[str, list[vm_storage.VmFile]]:
        """VM folder name -> its files."""
        out: dict[str, list[vm_storage.VmFile]] = {}
        unregistered = [
            json_codec.from_store(doc["vm"]["config"], vim.vm.ConfigInfo) for _, doc in self.si.store.load(UNREGISTERED)
        ]
        every = [f for vm in ds.vms() for f in vm_storage.files(vm)]
        every += [f for config in unregistered for f in vm_storage.config_files(config)]
        for f in every:
            rel = _PATH.match(f.name)
            if rel is not None and rel.group(1) == ds.name and "/" in rel.group(2):
                out.setdefault(rel.group(2).rpartition("/")[0], []).append(f)
        return out


def _results(
    ds: Datastore, folder: str, folders: dict[str, list[vm_storage.VmFile]], spec: B.SearchSpec
) -> B.SearchResults:
    if folder:
        entries = [(f.base, f.type, f.size) for f in folders[folder]]
    else:
        entries = [(name, "folder", 0) for name in sorted(folders) if "/" not in name]
    details = spec.details or B.FileInfo.Details(fileType=True, fileSize=True, modification=True)
    patterns = list(spec.matchPattern or []) or ["*"]
    files = []
    for name, kind, size in entries:
        if not _query_matches(spec, name, kind):
            continue
        if not any(_matches(name, p, bool(spec.searchCaseInsensitive)) for p in patterns):
            continue
        cls = _INFO.get(kind, B.FileInfo) if details.fileType or kind == "folder" else B.FileInfo
        info = cls(path=name, friendlyName=name)
        if details.fileSize:
            info.fileSize = size
        if details.modification:
            info.modification = now()
        files.append(info)
    if spec.sortFoldersFirst:
        files.sort(key=lambda i: not isinstance(i, B.FolderInfo))
    path = f"[{ds.name}] {folder}" if folder else f"[{ds.name}]"
    return B.SearchResults(datastore=ds.ref, folderPath=path, file=files)


def _query_matches(spec: B.SearchSpec, name: str, kind: str) -> bool:
    if not spec.query:
        return True
    for q in spec.query:
        if type(q) is B.Query:
            return True
        for query_type, kinds in _QUERIES:
            if isinstance(q, query_type) and kind in kinds:
                return True
    return False


def _matches(name: str, pattern: str, case_insensitive: bool) -> bool:
    if case_insensitive:
        return fnmatch.fnmatchcase(name.lower(), pattern.lower())
    return fnmatch.fnmatchcase(name, pattern)
