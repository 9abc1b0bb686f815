"""PropertyCollector: reading many properties of many objects, and waiting for changes.

As on vCenter, ``propertyCollector`` is one object that every session shares, but what
it holds (filters, the update version, paging tokens) belongs to the calling session;
``CreatePropertyCollector`` makes a private collector for one session.

- Objects: each ObjectSpec's ``obj`` (unless ``skip``), plus what its ``selectSet``
  reaches: a TraversalSpec follows a reference property (``childEntity``, ``view``...)
  from objects of its ``type``; a SelectionSpec names a TraversalSpec of the same filter
  spec (the classic recursive folder recipe).
- Properties: each PropertySpec whose ``type`` the object is: ``all`` or ``pathSet``,
  where a path may go into data objects (``summary.config.name``).  An unknown path is
  ``InvalidProperty`` for the whole call; a property that cannot be read for one object
  (a fault) goes into that object's ``missingSet``.
- Updates: ``WaitForUpdatesEx`` answers the difference between what the session was last
  told and what is true now, with a new version string; without changes it blocks on an
  event that ``ServiceInstance.notify`` sets, until ``maxWaitSeconds`` (then ``None``),
  a change or ``CancelWaitForUpdates``.  No polling.  Each notification is taken in by
  the filters it concerns, incrementally (property_updates.py), as it happens; a waiting
  session only takes what is pending, it never reads the inventory again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from typing import TYPE_CHECKING

from pyVmomi import vim, vmodl

from ..vim import types as T
from ..vim.faults import fault, invalid_argument, not_found
from .base import CallContext, ManagedEntity, ManagedObject
from .containment import containers_of
from .property_retrieval import PC, ContentAnswers, Selection, object_content, prerender, snapshot, validate_spec
from .property_updates import MAX_PENDING, Cache, Change, PropertyFilter, SessionState, coalesce, take
from .task import Task

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

log = logging.getLogger(__name__)


class PropertyCollector(ManagedObject):
    vim_type = vmodl.query.PropertyCollector

    def __init__(self, si: ServiceInstance, moId: str = "propertyCollector", owner: str | None = None) -> None:
        super().__init__(si, moId)
        self.owner = owner  # a session key for collectors made by CreatePropertyCollector
        self.states: dict[str, SessionState] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._seq: int | None = None  # how far this collector has read the inventory's moves (containment.py)
        self.content_answers = ContentAnswers()
        si.subscribe(self._on_change)

    # ------------------------------------------------------------ plumbing

    def _state(self, ctx: CallContext) -> SessionState:
        if ctx.session is None:
            from ..vim.faults import not_authenticated

            raise not_authenticated(self.ref)
        if self.owner is not None and ctx.session.key != self.owner:
            raise not_found(self.ref)
        state = self.states.get(ctx.session.key)
        if state is None:
            self._sweep()
            state = self.states[ctx.session.key] = SessionState()
        return state

    def _sweep(self) -> None:
        """Forget what sessions that have ended left behind."""
        live = {s.key for s in self.si.session_manager.sessions.values()}
        for key in [k for k in self.states if k not in live]:
            for f in list(self.states[key].filters.values()):
                self.si.objects.pop(f.moId, None)
            del self.states[key]
        if self.owner is None:  # collectors made by sessions that have ended go too
            for pc in [o for o in self.si.objects.values() if isinstance(o, PropertyCollector) and o.owner is not None]:
                if pc.owner not in live:
                    pc._sweep()
                    self.si.objects.pop(pc.moId, None)
                    self.si.unsubscribe(pc._on_change)

    def _on_change(self, obj: ManagedObject, prop: str | None) -> None:
        if not any(s.filters for s in self.states.values()):
            self._seq = None  # nothing to keep up to date: start from the present when there is
            return
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            self._take_in(obj, prop)
        else:
            loop.call_soon_threadsafe(self._take_in, obj, prop)

    def remove_filter(self, f: PropertyFilter) -> None:
        state = self.states.get(f.owner) if f.owner is not None else None
        if state is not None:
            state.filters.pop(f.moId, None)
            if state.changed is not None:
                state.changed.set()
        self.si.objects.pop(f.moId, None)

    # ------------------------------------------------------------ properties

    def prop_filter(self, ctx: CallContext) -> list[T.ManagedObject]:
        if ctx.session is None or ctx.session.key not in self.states:
            return T.array(PC.Filter)
        return T.array(PC.Filter, [f.ref for f in self.states[ctx.session.key].filters.values()])

    # ------------------------------------------------------------ retrieving

    def _select(self, ctx: CallContext, specSet: list[PC.FilterSpec]) -> Selection:
        """What the specs select, in order; no property is read yet."""
        if ctx.session is not None:
            self._state(ctx)
        selection = Selection()
        for spec in specSet:
            validate_spec(spec, ctx.version)
            selection.add(ctx, spec)
        return selection

    def _read(self, ctx: CallContext, selection: Selection, count: int | None = None) -> list[PC.ObjectContent]:
        """The next ``count`` (all) objects of the selection, read now; an object destroyed
        since it was selected (between pages) is left out."""
        start = selection.start
        end = len(selection.objects) if count is None else min(start + count, len(selection.objects))
        live = self.si.objects
        page = [
            object_content(snapshot(ctx, obj, paths))
            for obj, paths in zip(selection.objects[start:end], selection.paths[start:end], strict=True)
            if live.get(obj.moId) is obj
        ]
        selection.start = end  # only once read: a fault leaves the page to be read again
        return page

    def RetrieveProperties(self, ctx: CallContext, specSet: list[PC.FilterSpec]) -> list[PC.ObjectContent]:
        return T.array(PC.ObjectContent, self._read(ctx, self._select(ctx, specSet)))

    def RetrievePropertiesEx(
        self, ctx: CallContext, specSet: list[PC.FilterSpec], options: PC.RetrieveOptions | None
    ) -> PC.RetrieveResult | None:
        key = self.content_answers.key(ctx.version, specSet)
        if key is not None and (kept := self.content_answers.get(key)) is not None:
            return kept
        selection = self._select(ctx, specSet)
        if not selection:
            return None
        limit = options.maxObjects if options is not None and options.maxObjects else None
        if limit is None or len(selection) <= limit or ctx.session is None:  # no session: nothing to page in
            answer = T.trusted(PC.RetrieveResult, objects=self._read(ctx, selection))
            if key is not None:
                self.content_answers.keep(key, answer)
            return answer
        return self._page(ctx, self._state(ctx), limit, selection)

    def _page(self, ctx: CallContext, state: SessionState, limit: int, selection: Selection) -> PC.RetrieveResult:
        """The next page: read now, or read ahead while the client took in the previous
        one.  A page's properties are as of the call that returns it or just before: a
        first call on 100,000 VMs answers in the time of one page, not of all."""
        objects, selection.ready = selection.ready, None
        if objects is None:
            objects = self._read(ctx, selection, limit)
        else:  # read ahead: what was destroyed since is left out
            live = self.si.objects
            objects = [o for o in objects if o.obj._moId in live]
        while not objects and selection:  # the whole page went meanwhile: the next one
            objects = self._read(ctx, selection, limit)
        if not selection:
            # The last page may be empty (all of it went): pyVmomi's constructor would
            # refuse that; an empty returnval is what a client reads as "no objects".
            return T.trusted(PC.RetrieveResult, objects=objects)
        token = uuid.uuid4().hex
        selection.limit = limit  # later pages are as long as the first
        state.tokens[token] = selection
        # The client parses this page before it asks for the next (pyVmomi takes as long
        # as the server to read one): the next is read meanwhile, once this call is answered.
        # Two hops: the answer is sent from a callback queued after this one returns
        # (server/direct.py), and the read must come after it, not before.
        loop = asyncio.get_running_loop()
        loop.call_soon(loop.call_soon, self._read_ahead, ctx, state, token)
        return T.trusted(PC.RetrieveResult, token=token, objects=objects)

    def _read_ahead(self, ctx: CallContext, state: SessionState, token: str) -> None:
        selection = state.tokens.get(token)
        if selection is not None and selection.ready is None:  # not continued, cancelled or read already
            with contextlib.suppress(vmodl.MethodFault):  # the call then reads it, and answers the fault
                selection.ready = self._read(ctx, selection, selection.limit)
                if ctx.soap:
                    prerender(selection.ready, ctx.version)

    def ContinueRetrievePropertiesEx(self, ctx: CallContext, token: str) -> PC.RetrieveResult:
        state = self._state(ctx)
        selection = state.tokens.pop(token, None)
        if selection is None:
            raise invalid_argument("token", f"'{token}' is not a current RetrievePropertiesEx token")
        return self._page(ctx, state, selection.limit, selection)

    def CancelRetrievePropertiesEx(self, ctx: CallContext, token: str) -> None:
        state = self._state(ctx)
        if state.tokens.pop(token, None) is None:
            raise invalid_argument("token", f"'{token}' is not a current RetrievePropertiesEx token")

    # ------------------------------------------------------------ filters

    def CreateFilter(self, ctx: CallContext, spec: PC.FilterSpec, partialUpdates: bool) -> T.ManagedObject:
        state = self._state(ctx)
        validate_spec(spec, ctx.version)
        assert ctx.session is not None
        moid = f"session[{ctx.session.key}]{uuid.uuid4().hex[:12]}"
        f = PropertyFilter(self, moid, ctx.session.key, spec, bool(partialUpdates))
        self.si.register(f)
        state.filters[moid] = f
        state.ctx = CallContext(ctx.si, ctx.version, ctx.session, ctx.client_ip, ctx.user_agent)
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()
        if self._seq is None:
            self._seq = self.si.view_manager.containment.end
        # Read once the answer is sent (its client parses it meanwhile), or when the session
        # first asks for updates, whichever is first: until then no change concerns it.  The
        # answer leaves from a callback queued as this call returns (server/direct.py); one
        # queued from the next callback runs after it.
        self._loop.call_soon(self._loop.call_soon, self._first_read, state, f)
        return f.ref

    def _first_read(self, state: SessionState, f: PropertyFilter) -> None:
        if not f.unread or state.filters.get(f.moId) is not f or state.ctx is None:
            return
        f.unread = False
        self._add(state, [(f.ref, u) for u in f.reselect(state.ctx, None, Cache())])

    def read_new_filters(self, state: SessionState) -> None:
        """Read now the filters of ``state`` made and not read yet (their first updates)."""
        for f in list(state.filters.values()):
            self._first_read(state, f)

    # ------------------------------------------------------------ updates
    #
    # Every change notification brings the filters it concerns up to date at once (so a
    # client sees a task queued, then running, then done, even when it asks later); the
    # object updates wait in ``pending`` until WaitForUpdates answers them.

    def _add(self, state: SessionState, updates: list[tuple[T.ManagedObject, PC.ObjectUpdate]]) -> None:
        if not updates:
            return
        state.pending.extend(updates)
        if len(state.pending) > MAX_PENDING:
            state.pending = coalesce(state.pending)
        if state.changed is not None:
            state.changed.set()

    def _change(self, obj: ManagedObject, prop: str | None) -> Change:
        """The notification of ``obj`` (``prop``) as the filters take it in."""
        si = self.si
        index = si.view_manager.containment
        moves, self._seq = index.changes(obj, prop, self._seq if self._seq is not None else index.end)
        related, lists = {obj.moId}, set()
        if isinstance(obj, Task):  # its entity's and the task manager's recentTask
            lists.add(si.task_manager.moId)
            if obj.info.entity is not None:
                lists.add(obj.info.entity._moId)
            related |= lists
        vm = obj.vim_type is vim.VirtualMachine
        if vm and isinstance(obj, ManagedEntity):  # what runs it sums it up (host, pool, their compute resource)
            for moid in containers_of(obj):
                holder = si.entities.get(moid)
                related.add(moid)
                if holder is not None and holder.parent_obj is not None:
                    related.add(holder.parent_obj.moId)
        change = Change(obj, prop, related, vm=vm, lists=lists, moves=moves or [])
        # Permissions decide what every filter may see; a collector that fell behind the
        # inventory's moves no longer knows which traversals they touched.
        change.full = moves is None or obj is si.authorization_manager
        for _, before, after in change.moves:
            change.direct.update(before, after)
        if change.moves:
            change.above = index.above(change.direct)
        return change

    def _take_in(self, obj: ManagedObject, prop: str | None) -> None:
        try:
            change = self._change(obj, prop)
        except Exception:  # a notification must never fail the change that caused it
            log.exception("property collector %s: taking in a change of %s failed", self.moId, obj.moId)
            return
        cache = Cache()
        for key, state in list(self.states.items()):
            if not state.filters or state.ctx is None:
                continue
            try:
                for f in list(state.filters.values()):
                    updates = f.update(state.ctx, change, cache)
                    if updates:
                        self._add(state, [(f.ref, u) for u in updates])
            except Exception:  # as above
                log.exception("property collector %s: updating session %s failed", self.moId, key[:8])

    def _check_version(self, state: SessionState, version: str | None) -> None:
        self.read_new_filters(state)
        if not version:  # from the start: everything enters again
            # A filter no answer told anything yet has it all pending (pyVmomi's WaitForTask
            # makes a filter, then waits from version ""): as entered now, one update per
            # object, none for what left before it was told.  The others start afresh.
            told = [f for f in state.filters.values() if f.told]
            untold = {m for m, f in state.filters.items() if not f.told}
            state.pending = [(r, u) for r, u in coalesce(state.pending) if r._moId in untold and u.kind != "leave"]
            if state.ctx is not None:
                for f in told:
                    f.reset()
                    self._add(state, [(f.ref, u) for u in f.reselect(state.ctx, None, Cache())])
            return
        try:
            n = int(version)
        except ValueError:
            n = -1
        if not 0 < n <= state.version:
            raise fault(vmodl.query.InvalidCollectorVersion, f"'{version}' is not a version this collector gave out")

    async def _wait(self, ctx: CallContext, version: str | None, max_wait: float | None) -> PC.UpdateSet | None:
        state = self._state(ctx)
        state.ctx = CallContext(ctx.si, ctx.version, ctx.session, ctx.client_ip, ctx.user_agent)
        self._check_version(state, version)
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()
        if state.changed is None:
            state.changed = asyncio.Event()
        state.cancelled = False
        deadline = None if max_wait is None else self._loop.time() + max_wait
        while True:
            state.changed.clear()
            update = take(state)
            if update is not None:
                return update
            remaining = None if deadline is None else deadline - self._loop.time()
            if remaining is not None and remaining <= 0:
                return None
            try:
                await asyncio.wait_for(state.changed.wait(), remaining)
            except TimeoutError:
                return None
            if state.cancelled:
                state.cancelled = False
                raise fault(vmodl.fault.RequestCanceled, "WaitForUpdates was cancelled by CancelWaitForUpdates.")

    async def WaitForUpdatesEx(
        self, ctx: CallContext, version: str | None = None, options: PC.WaitOptions | None = None
    ) -> PC.UpdateSet | None:
        max_wait = options.maxWaitSeconds if options is not None else None
        if max_wait is not None and max_wait < 0:
            raise invalid_argument("options.maxWaitSeconds", "maxWaitSeconds must not be negative")
        return await self._wait(ctx, version, max_wait)

    async def WaitForUpdates(self, ctx: CallContext, version: str | None = None) -> PC.UpdateSet | None:
        return await self._wait(ctx, version, None)

    async def CheckForUpdates(self, ctx: CallContext, version: str | None = None) -> PC.UpdateSet | None:
        return await self._wait(ctx, version, 0)

    def CancelWaitForUpdates(self, ctx: CallContext) -> None:
        state = self._state(ctx)
        state.cancelled = True
        if state.changed is not None:
            state.changed.set()

    # ------------------------------------------------------------ collectors

    def CreatePropertyCollector(self, ctx: CallContext) -> T.ManagedObject:
        self._state(ctx)
        assert ctx.session is not None
        pc = PropertyCollector(self.si, f"session[{ctx.session.key}]{uuid.uuid4().hex[:12]}", owner=ctx.session.key)
        self.si.register(pc)
        return pc.ref

    def DestroyPropertyCollector(self, ctx: CallContext) -> None:
        if self.owner is None:
            raise fault(vmodl.fault.NotSupported, "The session's default property collector cannot be destroyed.")
        state = self._state(ctx)
        for f in list(state.filters.values()):
            self.remove_filter(f)
        self.CancelWaitForUpdates(ctx)
        self.si.objects.pop(self.moId, None)
        self.si.unsubscribe(self._on_change)
