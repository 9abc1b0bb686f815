"""ViewManager and its views: ContainerView (what a folder, datacenter, host or pool
holds, optionally recursively, filtered by type) and ListView (a list the client keeps).

A view belongs to the session that made it; its ``view`` property is computed when read
from the containment index (containment.py: each container's direct contents), so a
PropertyCollector filter over a view follows the inventory as it changes, and reading a
view costs what it holds, not the size of the inventory.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from pyVmomi import vim, vmodl

from ..vim import types as T
from ..vim.faults import fault, invalid_argument, not_found
from . import access
from .base import CallContext, ManagedEntity, ManagedObject
from .containment import Containment

if TYPE_CHECKING:
    from .service_instance import ServiceInstance


class View(ManagedObject):
    vim_type = vim.view.View

    def __init__(self, si: ServiceInstance, moId: str, owner: str) -> None:
        super().__init__(si, moId)
        self.owner = owner

    def prop_view(self, ctx: CallContext) -> list[T.ManagedObject]:
        raise NotImplementedError(type(self).__name__)

    def _own(self, ctx: CallContext) -> None:
        if ctx.session is None or ctx.session.key != self.owner:
            raise not_found(self.ref)

    def DestroyView(self, ctx: CallContext) -> None:
        self._own(ctx)
        self.si.view_manager.views.pop(self.moId, None)
        self.si.objects.pop(self.moId, None)
        self.si.notify(self, None)


class ContainerView(View):
    vim_type = vim.view.ContainerView

    def __init__(
        self, si: ServiceInstance, moId: str, owner: str, container: ManagedEntity, types: list[type], recursive: bool
    ) -> None:
        super().__init__(si, moId, owner)
        self.container_obj = container
        self.types = types
        self.recursive = recursive

    def members(self) -> list[ManagedEntity]:
        wanted: dict[type, bool] = {}  # per managed type: whether the view shows it
        out: list[ManagedEntity] = []
        for entity in self.si.view_manager.containment.below(self.container_obj, self.recursive):
            shown = wanted.get(entity.vim_type)
            if shown is None:
                shown = wanted[entity.vim_type] = not self.types or any(
                    issubclass(entity.vim_type, t) for t in self.types
                )
            if shown:
                out.append(entity)
        return out

    def visible_members(self, ctx: CallContext) -> list[ManagedEntity]:
        return access.visible_entities(ctx, self.members())

    def prop_view(self, ctx: CallContext) -> list[T.ManagedObject]:
        return T.array(T.ManagedObject, [m.ref for m in self.visible_members(ctx)])

    def traversed(self, ctx: CallContext, path: str) -> list[ManagedObject] | None:
        # A traversal of 100,000 members would otherwise make a reference to each, then
        # look each up again.
        return list(self.visible_members(ctx)) if path == "view" else None

    def prop_container(self, ctx: CallContext) -> T.ManagedObject:
        return self.container_obj.ref

    def prop_type(self, ctx: CallContext) -> list[type]:
        return self.types

    def prop_recursive(self, ctx: CallContext) -> bool:
        return self.recursive


class ListView(View):
    vim_type = vim.view.ListView

    def __init__(self, si: ServiceInstance, moId: str, owner: str, refs: list[T.ManagedObject]) -> None:
        super().__init__(si, moId, owner)
        self.refs: list[T.ManagedObject] = []
        self._add(refs)

    def _add(self, refs: list[T.ManagedObject]) -> list[T.ManagedObject]:
        """Add what exists; answer the references that do not."""
        unresolved = []
        for ref in refs or []:
            if ref._moId not in self.si.objects:
                unresolved.append(ref)
            elif all(r._moId != ref._moId for r in self.refs):
                self.refs.append(self.si.objects[ref._moId].ref)
        return unresolved

    def prop_view(self, ctx: CallContext) -> list[T.ManagedObject]:
        # What the caller may not read is left out, as in a ContainerView.
        return T.array(
            T.ManagedObject,
            [r for r in self.refs if (o := self.si.objects.get(r._moId)) is not None and access.visible(ctx, o)],
        )

    def ModifyListView(
        self, ctx: CallContext, add: list[T.ManagedObject] | None = None, remove: list[T.ManagedObject] | None = None
    ) -> list[T.ManagedObject]:
        self._own(ctx)
        unresolved = self._add(add or [])
        gone = {r._moId for r in remove or []}
        self.refs = [r for r in self.refs if r._moId not in gone]
        self.si.notify(self, "view")
        return T.array(T.ManagedObject, unresolved)

    def ResetListView(self, ctx: CallContext, obj: list[T.ManagedObject] | None = None) -> list[T.ManagedObject]:
        self._own(ctx)
        self.refs = []
        unresolved = self._add(obj or [])
        self.si.notify(self, "view")
        return T.array(T.ManagedObject, unresolved)

    def ResetListViewFromView(self, ctx: CallContext, view: vim.view.View) -> None:
        self._own(ctx)
        source = self.si.objects.get(view._moId)
        if not isinstance(source, View):
            raise not_found(view)
        self.refs = list(source.prop_view(ctx))
        self.si.notify(self, "view")


class ViewManager(ManagedObject):
    vim_type = vim.view.ViewManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "ViewManager")
        self.containment = Containment(si)
        si.subscribe(self.containment.observe)
        # The views that live, apart from the inventory's objects: a sweep at each new
        # view reads these, not each of 100,000 VMs.
        self.views: dict[str, View] = {}

    def _new_id(self, ctx: CallContext) -> tuple[str, str]:
        """A new view's moId and owner (the caller's session: dispatch let only a logged-in
        caller this far, as the methods need System.View)."""
        assert ctx.session is not None
        self.si.session_manager.sweep(self.views)  # views die with their session
        return f"session[{ctx.session.key}]{uuid.uuid4().hex[:12]}", ctx.session.key

    def _register(self, view: View) -> T.ManagedObject:
        self.views[view.moId] = view
        self.si.register(view)
        return view.ref

    def prop_viewList(self, ctx: CallContext) -> list[T.ManagedObject]:
        key = ctx.session.key if ctx.session else None
        return T.array(vim.view.View, [v.ref for v in self.views.values() if v.owner == key])

    def CreateContainerView(
        self, ctx: CallContext, container: vim.ManagedEntity, recursive: bool, type: list[type] | None = None
    ) -> T.ManagedObject:
        target = self.si.objects.get(container._moId)
        if target is None:
            raise not_found(container)
        if not isinstance(target, ManagedEntity):
            raise invalid_argument("container", f"'{container._moId}' is not a container")
        types: list[builtins_type] = []
        for i, t in enumerate(type or []):
            if not isinstance(t, builtins_type) or not T.is_managed(t):
                raise fault(vmodl.fault.InvalidType, f"type[{i}] is not a managed object type", argument=f"type[{i}]")
            types.append(t)
        return self._register(ContainerView(self.si, *self._new_id(ctx), target, types, bool(recursive)))

    def CreateListView(self, ctx: CallContext, obj: list[T.ManagedObject] | None = None) -> T.ManagedObject:
        return self._register(ListView(self.si, *self._new_id(ctx), obj or []))

    def CreateListViewFromView(self, ctx: CallContext, view: vim.view.View) -> T.ManagedObject:
        source = self.si.objects.get(view._moId)
        if not isinstance(source, View):
            raise not_found(view)
        return self._register(ListView(self.si, *self._new_id(ctx), list(source.prop_view(ctx))))


builtins_type = type
