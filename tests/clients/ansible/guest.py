"""Reading a guest's file back through gosc's guest operations (pyVmomi), to check what a
client put there."""

from __future__ import annotations

import ssl
import urllib.request

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

from tests.clients.targets import Target
from tests.support.transfers import client_url

GUEST_AUTH = vim.vm.guest.NamePasswordAuthentication(username="root", password="VMware1!")


def read_guest_file(target: Target, path: str) -> str:
    si = SmartConnect(
        host=target.host, port=target.port, user=target.user, pwd=target.password, disableSslCertValidation=True
    )
    try:
        content = si.RetrieveContent()
        vm = content.searchIndex.FindByInventoryPath(f"{target.datacenter}/vm/{target.vm}")
        info = content.guestOperationsManager.fileManager.InitiateFileTransferFromGuest(vm, GUEST_AUTH, path)
        tls = ssl.create_default_context()
        tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE  # the server's certificate is self-signed
        url = client_url(info.url, f"https://{target.host}:{target.port}")
        with urllib.request.urlopen(url, context=tls, timeout=60) as r:
            return str(r.read().decode())
    finally:
        Disconnect(si)
