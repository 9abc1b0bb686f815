"""vSphere faults, built from pyVmomi's fault types with a human message.

A fault is raised as the pyVmomi exception itself; both codecs encode it.  The message
goes into ``msg`` (SOAP faultstring) and into ``faultMessage`` (VI/JSON), so every
client shows the same sentence.
"""

from __future__ import annotations

from typing import TypeVar

from pyVmomi import vim, vmodl

from .types import ManagedObject, MethodFault, wsdl_name

F = TypeVar("F", bound=MethodFault)


def fault(cls: type[F], message: str, **fields: object) -> F:
    f = cls(**fields)
    f.msg = message  # pyVmomi's "msg" property (VmomiSupport), which its stubs leave out
    f.faultMessage = [vmodl.LocalizableMessage(key=f"com.vmware.gosc.{wsdl_name(cls)}", message=message)]
    return f


def message_of(f: MethodFault) -> str:
    msg: str | None = getattr(f, "msg", None)  # not in pyVmomi's stubs (see fault)
    if msg:
        return msg
    for m in f.faultMessage or ():
        if m.message:
            return m.message
    return wsdl_name(type(f))


def invalid_argument(path: str, message: str) -> vmodl.fault.InvalidArgument:
    return fault(vmodl.fault.InvalidArgument, f"{message} ({path})", invalidProperty=path)


def invalid_request(message: str) -> vmodl.fault.InvalidRequest:
    return fault(vmodl.fault.InvalidRequest, message)


def invalid_type(argument: str, message: str) -> vmodl.fault.InvalidType:
    return fault(vmodl.fault.InvalidType, message, argument=argument)


def not_found(ref: ManagedObject) -> vmodl.fault.ManagedObjectNotFound:
    return fault(
        vmodl.fault.ManagedObjectNotFound,
        f"The object '{wsdl_name(type(ref))}:{ref._moId}' has already been deleted or has not been completely created",
        obj=ref,
    )


def not_authenticated(obj: ManagedObject | None = None) -> vim.fault.NotAuthenticated:
    return fault(vim.fault.NotAuthenticated, "The session is not authenticated.", object=obj, privilegeId="System.View")


def no_permission(obj: ManagedObject, privilege: str) -> vim.fault.NoPermission:
    return fault(
        vim.fault.NoPermission,
        f"Permission to perform this operation was denied: {privilege} is required on {obj._moId}",
        object=obj,
        privilegeId=privilege,
        missingPrivileges=[vim.fault.NoPermission.EntityPrivileges(entity=obj, privilegeIds=[privilege])],
    )


def system_error(reason: str) -> vmodl.fault.SystemError:
    return fault(vmodl.fault.SystemError, f"A general system error occurred: {reason}", reason=reason)
