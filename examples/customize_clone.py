"""Instant-clone a running VM and customize the clone's guest, as a pyVmomi user would.

    .venv/bin/python examples/customize_clone.py [--host 127.0.0.1] [--port 8989]
        [--user administrator@vsphere.local] [--source DC0/vm/demo-ubuntu] [--name web-<random>]
        [--ip 192.168.10.21]

The password is read from GOSC_ADMIN_PASSWORD (the one the server was started with).
Every fault the calls document is caught and printed as one line; the exit status is 0
when the clone was customized, 1 when vSphere answered with a fault, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl


def linux_spec(host_name: str, ip: str) -> vim.vm.customization.Specification:
    c = vim.vm.customization
    return c.Specification(
        identity=c.LinuxPrep(
            hostName=c.FixedName(name=host_name), domain="example.com", timeZone="Europe/Berlin", hwClockUTC=True
        ),
        globalIPSettings=c.GlobalIPSettings(dnsServerList=["192.168.10.2"], dnsSuffixList=["example.com"]),
        nicSettingMap=[
            c.AdapterMapping(
                adapter=c.IPSettings(ip=c.FixedIp(ipAddress=ip), subnetMask="255.255.255.0", gateway=["192.168.10.1"])
            )
        ],
    )


def run(args: argparse.Namespace, password: str) -> int:
    # The server's certificate is self-signed: do not do this against a production vCenter.
    si = SmartConnect(host=args.host, port=args.port, user=args.user, pwd=password, disableSslCertValidation=True)
    try:
        content = si.RetrieveContent()
        source = content.searchIndex.FindByInventoryPath(args.source)
        if source is None:
            print(f"no VM at inventory path {args.source}", file=sys.stderr)
            return 1
        task = source.InstantClone_Task(spec=vim.vm.InstantCloneSpec(name=args.name, location=vim.vm.RelocateSpec()))
        WaitForTask(task)
        clone = task.info.result
        print(f"cloned {args.source} -> {args.name} ({clone._moId})")

        auth = vim.vm.guest.NamePasswordAuthentication(username="root", password="VMware1!")
        WaitForTask(content.guestCustomizationManager.CustomizeGuest_Task(clone, auth, linux_spec(args.name, args.ip)))
        print(f"customized: hostName={clone.guest.hostName} ipAddress={clone.guest.ipAddress}")
        return 0
    finally:
        Disconnect(si)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8989)
    p.add_argument("--user", default="administrator@vsphere.local")
    p.add_argument("--source", default="DC0/vm/demo-ubuntu")
    p.add_argument("--name", default=f"web-{secrets.token_hex(3)}", help="the clone's name and guest host name")
    p.add_argument("--ip", default="192.168.10.21")
    args = p.parse_args(argv)
    password = os.environ.get("GOSC_ADMIN_PASSWORD")
    if not password:
        print("set GOSC_ADMIN_PASSWORD to the administrator's password", file=sys.stderr)
        return 2
    try:
        return run(args, password)
    except vim.fault.InvalidLogin:
        print(f"login refused for {args.user}: wrong password, or the account is locked", file=sys.stderr)
    except vim.fault.CustomizationFault as e:  # NicSettingMismatch, UncustomizableGuest, CannotDecryptPasswords...
        print(f"customization failed: {e._wsdlName}: {e.msg}", file=sys.stderr)
    except vim.fault.InvalidGuestLogin as e:
        print(f"the guest refused its credentials: {e.msg}", file=sys.stderr)
    except vim.fault.GuestPermissionDenied as e:
        print(f"the guest account may not customize: {e.msg}", file=sys.stderr)
    except (vim.fault.InvalidPowerState, vim.fault.InvalidState, vim.fault.TaskInProgress) as e:
        print(f"the VM is not in a state to do this: {e._wsdlName}: {e.msg}", file=sys.stderr)
    except vim.fault.NoPermission as e:
        print(f"{args.user} lacks the privilege {e.privilegeId}", file=sys.stderr)
    except vmodl.MethodFault as e:  # InvalidArgument (a spec value, with its property path), ...
        print(f"vSphere fault: {e._wsdlName}: {e.msg}", file=sys.stderr)
    except OSError as e:
        print(f"cannot reach {args.host}:{args.port}: {e}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
