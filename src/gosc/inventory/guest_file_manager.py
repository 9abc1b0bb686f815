"""GuestFileManager: files and directories inside a running guest, as the guest account.

Every path is resolved inside the guest's tree (gosc.guest.guestpath) in a thread carrying
the account's ids (gosc.guest.fscreds), so the guest's own permission bits decide; the
file work itself is gosc.guest.guestfiles.  Transfers answer a one-time URL on this
server (gosc.inventory.guest_transfers, served by gosc.server.guestfile).
"""

from __future__ import annotations

import datetime
import os
import re
from typing import TYPE_CHECKING

from pyVmomi import vim

from ..guest import guestfiles
from ..guest.guestfiles import Entry, Incoming
from ..guest.guestpath import GuestRoot
from ..vim.faults import invalid_argument
from .base import CallContext, ManagedObject
from .guest_access import MODIFY, QUERY, GuestAccess, GuestLogin
from .guest_transfers import Transfer, Transfers

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

FM = vim.vm.guest.FileManager
Auth = vim.vm.guest.GuestAuthentication
DEFAULT_MAX_RESULTS = 50  # entries per ListFilesInGuest answer when maxResults is unset
MAX_RESULTS = 1000


def _time(t: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(t, datetime.UTC)


def attributes(e: Entry, windows: bool) -> FM.FileAttributes:
    if windows:
        return FM.WindowsFileAttributes(
            modificationTime=_time(e.mtime),
            accessTime=_time(e.atime),
            createTime=_time(e.ctime),
            symlinkTarget=e.target,
            hidden=e.name.startswith("."),
            readOnly=not e.mode & 0o200,
        )
    return FM.PosixFileAttributes(
        modificationTime=_time(e.mtime),
        accessTime=_time(e.atime),
        symlinkTarget=e.target,
        ownerId=e.uid,
        groupId=e.gid,
        permissions=e.mode,
    )


def _requested(attrs: FM.FileAttributes | None) -> tuple[int | None, int | None, int | None]:
    """(mode, uid, gid) a client asks for; a Windows read-only flag is a mode without write bits."""
    if isinstance(attrs, FM.PosixFileAttributes):
        return attrs.permissions, attrs.ownerId, attrs.groupId
    if isinstance(attrs, FM.WindowsFileAttributes) and attrs.readOnly is not None:
        return (0o444 if attrs.readOnly else 0o644), None, None
    return None, None, None


class GuestFileManager(ManagedObject):
    vim_type = vim.vm.guest.FileManager

    def __init__(self, si: ServiceInstance, access: GuestAccess) -> None:
        super().__init__(si, "guestOperationsFileManager")
        self.access = access
        self.transfers = Transfers()

    # ------------------------------------------------------------ transfers

    async def InitiateFileTransferFromGuest(
        self, ctx: CallContext, vm: vim.VirtualMachine, auth: Auth, guestFilePath: str
    ) -> FM.FileTransferInformation:
        login = await self.access.login(ctx, vm, auth, QUERY)
        path = login.path(guestFilePath, "guestFilePath")

        def probe(g: GuestRoot) -> Entry:
            fd, _ = guestfiles.open_read(g, path)  # readable by the account, a regular file
            os.close(fd)
            return guestfiles.entries(g, path, None)[0]

        entry = await self.access.act(login, probe)
        url = self.transfers.add(Transfer(login, path, entry.size), ctx.host)
        return FM.FileTransferInformation(attributes=attributes(entry, login.windows), size=entry.size, url=url)

    async def InitiateFileTransferToGuest(
        self,
        ctx: CallContext,
        vm: vim.VirtualMachine,
        auth: Auth,
        guestFilePath: str,
        fileAttributes: FM.FileAttributes,
        fileSize: int,
        overwrite: bool,
    ) -> str:
        login = await self.access.login(ctx, vm, auth, MODIFY)
        if fileSize < 0:
            raise invalid_argument("fileSize", "a file size cannot be negative")
        path = login.path(guestFilePath, "guestFilePath")
        incoming = await self.access.act(login, lambda g: Incoming.begin(g, path, overwrite))
        mode, uid, gid = _requested(fileAttributes)
        return self.transfers.add(Transfer(login, path, fileSize, incoming, mode, uid, gid), ctx.host)

    # ------------------------------------------------------------ reading

    async def ListFilesInGuest(
        self,
        ctx: CallContext,
        vm: vim.VirtualMachine,
        auth: Auth,
        filePath: str,
        index: int | None = None,
        maxResults: int | None = None,
        matchPattern: str | None = None,
    ) -> FM.ListFileInfo:
        login = await self.access.login(ctx, vm, auth, QUERY)
        path = login.path(filePath, "filePath")
        try:
            pattern = re.compile(matchPattern) if matchPattern else None
        except re.error as e:
            raise invalid_argument("matchPattern", f"'{matchPattern}' is not a regular expression: {e}") from None
        start = index or 0
        if start < 0 or (maxResults or 0) < 0:
            raise invalid_argument("index" if start < 0 else "maxResults", "must not be negative")
        count = min(maxResults or DEFAULT_MAX_RESULTS, MAX_RESULTS)
        found = await self.access.act(login, lambda g: guestfiles.entries(g, path, pattern))
        page = found[start : start + count]
        return FM.ListFileInfo(
            files=[
                FM.FileInfo(path=e.name, type=e.kind, size=e.size, attributes=attributes(e, login.windows))
                for e in page
            ],
            remaining=max(0, len(found) - start - len(page)),
        )

    # ------------------------------------------------------------ changing

    async def _modify(self, ctx: CallContext, vm: vim.VirtualMachine, auth: Auth) -> GuestLogin:
        return await self.access.login(ctx, vm, auth, MODIFY)

    async def MakeDirectoryInGuest(
        self, ctx: CallContext, vm: vim.VirtualMachine, auth: Auth, directoryPath: str, createParentDirectories: bool
    ) -> None:
        login = await self._modify(ctx, vm, auth)
        path = login.path(directoryPath, "directoryPath")
        await self.access.act(login, lambda g: guestfiles.make_directory(g, path, createParentDirectories))

    async def DeleteFileInGuest(self, ctx: CallContext, vm: vim.VirtualMachine, auth: Auth, filePath: str) -> None:
        login = await self._modify(ctx, vm, auth)
        path = login.path(filePath, "filePath")
        await self.access.act(login, lambda g: guestfiles.delete_file(g, path))

    async def DeleteDirectoryInGuest(
        self, ctx: CallContext, vm: vim.VirtualMachine, auth: Auth, directoryPath: str, recursive: bool
    ) -> None:
        login = await self._modify(ctx, vm, auth)
        path = login.path(directoryPath, "directoryPath")
        await self.access.act(login, lambda g: guestfiles.delete_directory(g, path, recursive))

    async def MoveFileInGuest(
        self, ctx: CallContext, vm: vim.VirtualMachine, auth: Auth, srcFilePath: str, dstFilePath: str, overwrite: bool
    ) -> None:
        login = await self._modify(ctx, vm, auth)
        src, dst = login.path(srcFilePath, "srcFilePath"), login.path(dstFilePath, "dstFilePath")
        await self.access.act(login, lambda g: guestfiles.move_file(g, src, dst, overwrite))

    async def MoveDirectoryInGuest(
        self, ctx: CallContext, vm: vim.VirtualMachine, auth: Auth, srcDirectoryPath: str, dstDirectoryPath: str
    ) -> None:
        login = await self._modify(ctx, vm, auth)
        src, dst = login.path(srcDirectoryPath, "srcDirectoryPath"), login.path(dstDirectoryPath, "dstDirectoryPath")
        await self.access.act(login, lambda g: guestfiles.move_directory(g, src, dst))

    async def _temporary(
        self, ctx: CallContext, vm: vim.VirtualMachine, auth: Auth, prefix: str, suffix: str, where: str | None, d: bool
    ) -> str:
        login = await self._modify(ctx, vm, auth)
        default = "/Windows/Temp" if login.windows else "/tmp"
        directory = login.path(where, "directoryPath") if where else default
        made = await self.access.act(login, lambda g: guestfiles.make_temporary(g, prefix, suffix, directory, d))
        return login.shown(made)

    async def CreateTemporaryFileInGuest(
        self,
        ctx: CallContext,
        vm: vim.VirtualMachine,
        auth: Auth,
        prefix: str,
        suffix: str,
        directoryPath: str | None = None,
    ) -> str:
        return await self._temporary(ctx, vm, auth, prefix, suffix, directoryPath, False)

    async def CreateTemporaryDirectoryInGuest(
        self,
        ctx: CallContext,
        vm: vim.VirtualMachine,
        auth: Auth,
        prefix: str,
        suffix: str,
        directoryPath: str | None = None,
    ) -> str:
        return await self._temporary(ctx, vm, auth, prefix, suffix, directoryPath, True)

    async def ChangeFileAttributesInGuest(
        self,
        ctx: CallContext,
        vm: vim.VirtualMachine,
        auth: Auth,
        guestFilePath: str,
        fileAttributes: FM.FileAttributes,
    ) -> None:
        login = await self._modify(ctx, vm, auth)
        path = login.path(guestFilePath, "guestFilePath")
        mode, uid, gid = _requested(fileAttributes)
        mtime = fileAttributes.modificationTime.timestamp() if fileAttributes.modificationTime else None
        atime = fileAttributes.accessTime.timestamp() if fileAttributes.accessTime else None
        await self.access.act(
            login,
            lambda g: guestfiles.change_attributes(g, path, mode=mode, uid=uid, gid=gid, atime=atime, mtime=mtime),
        )
