"""One call path for both protocols: find the object, check the session and privilege,
call the method named as the API names it.

The codecs (VI/JSON, SOAP) turn wire bytes into pyVmomi values for a version and hand
them here; what comes back is a pyVmomi value (or a raised vSphere fault) that they
encode.  Nothing protocol-specific lives below this line.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from pyVmomi import vim, vmodl

from ..vim import types as T
from ..vim.faults import fault, invalid_argument, not_authenticated, not_found
from . import access, inject
from .base import CallContext, ManagedEntity, ManagedObject

# Calls that work without a session, as on vCenter.
_ANONYMOUS = frozenset(
    {
        ("ServiceInstance", "RetrieveServiceContent"),
        ("SessionManager", "Login"),
        ("SessionManager", "CloneSession"),  # the ticket is the credential
        # Without a session these answer only what is readable anonymously
        # (SessionManager.currentSession: unset); every other property lands in missingSet
        # as NotAuthenticated. govmomi and pyVmomi decide to log in again from that.
        ("PropertyCollector", "RetrieveProperties"),
        ("PropertyCollector", "RetrievePropertiesEx"),
    }
)


def lookup(ctx: CallContext, type_name: str, moid: str) -> ManagedObject:
    obj = ctx.si.objects.get(moid)
    managed = T.lookup_managed_type(type_name)
    if managed is None:
        raise fault(vmodl.fault.InvalidType, f"'{type_name}' is not a managed object type", argument="_this")
    if obj is None or not issubclass(obj.vim_type, managed):
        raise not_found(managed(moid))
    return obj


def method_of(ctx: CallContext, obj: ManagedObject, method: str) -> T.MethodInfo:
    info = T.method_info(obj.vim_type, method)
    impl = getattr(type(obj), method, None) if info else None
    if info is None or impl is None or not T.defined_in(ctx.version, info.version):
        raise fault(
            vmodl.fault.MethodNotFound,
            f"{obj.type_name} has no method '{method}' in release {T.release_of_version(ctx.version)}",
            receiver=obj.ref,
            method=method,
        )
    return info


def require_session(ctx: CallContext, obj: ManagedObject, method: str | None) -> None:
    if ctx.session is not None:
        return
    if method is not None and (obj.type_name, method) in _ANONYMOUS:
        return
    raise not_authenticated(obj.ref)


def check_arguments(info: T.MethodInfo, args: dict[str, Any]) -> None:
    known = {p.name for p in info.params}
    for name in args:
        if name not in known:
            raise invalid_argument(name, f"{info.wsdl_name} has no parameter '{name}'")
    for p in info.params:
        if not p.optional and args.get(p.name) is None:
            raise invalid_argument(p.name, f"required parameter '{p.name}' of {info.wsdl_name} is missing")


def privilege_target(obj: ManagedObject, info: T.MethodInfo, args: dict[str, Any]) -> ManagedEntity:
    """The entity a method's privilege is checked on: ``_this`` when it is an entity,
    else the first entity among the arguments (the VM of CustomizeGuest_Task), else
    the root folder."""
    if isinstance(obj, ManagedEntity):
        return obj
    owner = obj.privilege_entity()  # a snapshot's methods: its VM's permissions
    if owner is not None:
        return owner
    for p in info.params:
        value = args.get(p.name)
        if isinstance(value, vim.ManagedEntity):
            target = obj.si.objects.get(value._moId)
            if isinstance(target, ManagedEntity):
                return target
            raise not_found(value)
    # Managers' methods (CustomizationSpecManager...) are checked on the root folder, as vCenter does.
    return obj.si.root_folder


def prepare(ctx: CallContext, type_name: str, moid: str, method: str) -> tuple[ManagedObject, T.MethodInfo]:
    """The object and method a call names, once the caller may call at all; the codec
    then decodes the arguments against the method's parameter types."""
    obj = lookup(ctx, type_name, moid)
    info = method_of(ctx, obj, method)
    require_session(ctx, obj, method)
    return obj, info


async def invoke(ctx: CallContext, obj: ManagedObject, info: T.MethodInfo, args: dict[str, Any]) -> Any:
    method = info.wsdl_name
    check_arguments(info, args)
    privilege = info.priv_id
    if ctx.session is not None and privilege and privilege not in access.SESSION_PRIVILEGES:
        ctx.check(privilege_target(obj, info, args), privilege)
    injection = ctx.si.injector.match(method, obj.moId, args)  # one dict lookup when nothing is injected
    if injection is not None:
        return await inject.run(injection, method, lambda: _call(ctx, obj, method, args))
    return await _call(ctx, obj, method, args)


async def _call(ctx: CallContext, obj: ManagedObject, method: str, args: dict[str, Any]) -> Any:
    result = getattr(obj, method)(ctx, **args)
    if inspect.isawaitable(result):
        result = await result
    return result


def read_property(ctx: CallContext, type_name: str, moid: str, name: str) -> tuple[Any, type]:
    """A top-level property's value and declared type (for the codec), once the caller
    may read it (``access``: the same rule as the PropertyCollector's)."""
    obj = ctx.si.objects.get(moid)
    readable = None if obj is None else _READABLE.get((type(obj), type_name, name, ctx.version))
    if obj is None or readable is None:
        obj, readable = _readable(ctx, type_name, moid, name)
    access.check_read(ctx, obj, name)  # NotAuthenticated without a session, as require_session
    declared, getter = readable
    return (obj.get_property(ctx, name) if getter is None else getter(obj, ctx)), declared


# (class of the object, type named in the request, property, version) -> the property's
# declared type and its getter (``prop_<name>``; None: ``get_property``): what
# ``_readable`` found to exist, so that a repeated read (a client polling a task's info, a
# clock) skips the type system's lookups.  Bounded by the type system: only names that
# exist are kept.
_Readable = tuple[type, Callable[[Any, CallContext], Any] | None]
_READABLE: dict[tuple[type[ManagedObject], str, str, str], _Readable] = {}


def _readable(ctx: CallContext, type_name: str, moid: str, name: str) -> tuple[ManagedObject, _Readable]:
    """The object and how its property is read, or the fault that says which is missing
    (in this order: the object, a session, the property)."""
    obj = lookup(ctx, type_name, moid)
    if name not in obj.anonymous_properties:
        require_session(ctx, obj, None)
    prop = T.property_info(obj.vim_type, name)
    if prop is None or not T.defined_in(ctx.version, prop.version):
        raise fault(vmodl.query.InvalidProperty, f"{obj.type_name} has no property '{name}'", name=name)
    cls = type(obj)
    # The getter get_property would pick (when it is the base class's, which picks so).
    getter = getattr(cls, f"prop_{name}", None) if cls.get_property is ManagedObject.get_property else None
    readable = _READABLE[(cls, type_name, name, ctx.version)] = (prop.type, getter)
    return obj, readable
