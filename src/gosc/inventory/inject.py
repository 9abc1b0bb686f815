"""Fault and delay injection: make a named method slow, held, or fail with a named vSphere
fault, so that a user can test their automation's error paths (and gosc's tests can hold
the server at a point instead of sleeping).  A gosc extension, not part of vSphere; the
administrator sets injections through ``/gosc/inject`` (server/inject.py) or
``gosc serve --inject``; docs/testing.md describes both.

An injection matches a call by the method's wsdl name and, optionally, a moId: the object
the method is called on or any managed object passed as an argument (the VM of
``CustomizeGuest_Task``).  It acts before the method runs, in this order: wait until
released (``hold``), wait ``delay`` seconds, then raise ``fault``.  For a ``*_Task``
method the method runs first (its own checks and faults, its lock on the entity, its
task), and the injection acts at the start of the task's work: the task stays
``running`` while held or delayed, and the fault ends the task (docs/decisions.md).

When nothing is injected a call costs one dict lookup.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyVmomi import vmodl

from ..vim import json_codec
from ..vim import types as T
from ..vim.faults import fault, invalid_argument

_FIELDS = frozenset({"method", "moId", "delay", "hold", "fault", "count"})


@dataclass
class Injection:
    id: int
    method: str
    moId: str | None = None
    delay: float = 0.0
    hold: bool = False
    fault: dict[str, Any] | None = None  # {"_typeName" or "fault": name, **fields}, VI/JSON form
    count: int | None = None  # calls left to act on; None: every call
    hits: int = 0  # calls it has acted on
    held: int = 0  # calls waiting for the release right now
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "moId": self.moId,
            "delay": self.delay,
            "hold": self.hold,
            "fault": self.fault,
            "count": self.count,
            "hits": self.hits,
            "held": self.held,
        }

    def matches(self, moids: set[str]) -> bool:
        return self.moId is None or self.moId in moids

    def make_fault(self) -> vmodl.MethodFault | None:
        if self.fault is None:
            return None
        return build_fault(self.fault)

    async def act(self) -> None:
        """Hold, delay, then raise the fault (what the injection says, in that order)."""
        if self.hold:
            self.held += 1
            try:
                await self.released.wait()
            finally:
                self.held -= 1
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        f = self.make_fault()
        if f is not None:
            raise f


def build_fault(spec: Mapping[str, Any]) -> vmodl.MethodFault:
    """A pyVmomi fault from its VI/JSON form; ``fault`` may stand for ``_typeName``."""
    body = dict(spec)
    name = body.pop("fault", None) or body.pop("_typeName", None)
    if not isinstance(name, str):
        raise invalid_argument("fault", "an injected fault needs its type name, e.g. {'fault': 'InvalidPowerState'}")
    cls = T.lookup_type(name)
    if cls is None or not (isinstance(cls, type) and issubclass(cls, vmodl.MethodFault)):
        raise invalid_argument("fault", f"'{name}' is not a vSphere fault type")
    message = str(body.pop("msg", None) or f"{name} (injected by gosc)")
    built: vmodl.MethodFault = json_codec.decode({"_typeName": name, **body}, cls, T.NEWEST_VERSION, "fault")
    built.msg = message
    built.faultMessage = fault(cls, message).faultMessage
    return built


# The injection that matched a *_Task call, read where its task's work starts (the task's
# runner inherits the calling context: asyncio copies it when the task is created).
_for_task: contextvars.ContextVar[Injection | None] = contextvars.ContextVar("gosc_injection", default=None)


class Injector:
    """The injections of one server, by method name."""

    def __init__(self) -> None:
        self.by_method: dict[str, list[Injection]] = {}
        self._ids = itertools.count(1)

    def add(self, spec: Mapping[str, Any]) -> Injection:
        """An injection from its JSON form; a bad one is ``InvalidArgument``, nothing added."""
        unknown = set(spec) - _FIELDS
        if unknown:
            raise invalid_argument(sorted(unknown)[0], f"an injection has no field '{sorted(unknown)[0]}'")
        method = spec.get("method")
        if not isinstance(method, str) or not method:
            raise invalid_argument("method", "an injection needs the method's wsdl name, e.g. 'PowerOnVM_Task'")
        moid = spec.get("moId")
        delay, count, hold, fault_spec = (
            spec.get("delay", 0),
            spec.get("count"),
            spec.get("hold", False),
            spec.get("fault"),
        )
        if moid is not None and not isinstance(moid, str):
            raise invalid_argument("moId", "moId must be a string")
        if not isinstance(delay, int | float) or isinstance(delay, bool) or not 0 <= delay <= 3600:
            raise invalid_argument("delay", "delay must be a number of seconds from 0 to 3600")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            raise invalid_argument("count", "count must be a positive integer (or absent: every call)")
        if not isinstance(hold, bool):
            raise invalid_argument("hold", "hold must be true or false")
        if fault_spec is not None:
            if not isinstance(fault_spec, dict):
                raise invalid_argument("fault", "fault must be an object: {'fault': 'InvalidPowerState', ...}")
            build_fault(fault_spec)  # refused now, not at the call it would break
        injection = Injection(next(self._ids), method, moid, float(delay), hold, fault_spec, count)
        self.by_method.setdefault(method, []).append(injection)
        return injection

    def list(self) -> list[Injection]:
        return [i for group in self.by_method.values() for i in group]

    def remove(self, injection_id: int | None = None) -> int:
        """Remove one injection (or all), releasing the calls it holds; how many went."""
        gone = [i for i in self.list() if injection_id is None or i.id == injection_id]
        for i in gone:
            i.released.set()
            group = self.by_method[i.method]
            group.remove(i)
            if not group:
                del self.by_method[i.method]
        return len(gone)

    def release(self, injection_id: int) -> bool:
        """Let the calls held by an injection go on (it keeps acting on later calls only if
        ``hold`` is turned off: a released injection no longer holds)."""
        for i in self.list():
            if i.id == injection_id:
                i.hold = False
                i.released.set()
                return True
        return False

    def match(self, method: str, this: str, args: Mapping[str, Any]) -> Injection | None:
        group = self.by_method.get(method)
        if not group:
            return None
        moids = {this, *(v._moId for v in args.values() if isinstance(v, T.ManagedObject))}
        for i in group:
            if i.count != 0 and i.matches(moids):
                i.hits += 1
                if i.count is not None:
                    i.count -= 1  # at 0 it stays listed (its hits, its held calls) but acts no more
                return i
        return None


async def run(injection: Injection, method: str, call: Callable[[], Awaitable[Any]]) -> Any:
    """``call`` (the method) under ``injection``: after it acts, or for a ``*_Task``
    method, with it handed to the task's work."""
    if not method.endswith("_Task"):
        await injection.act()
        return await call()
    token = _for_task.set(injection)
    try:
        return await call()
    finally:
        _for_task.reset(token)


async def at_task_start() -> None:
    """Where a task's work starts: act on the injection its call matched, if any."""
    injection = _for_task.get()
    if injection is not None:
        await injection.act()
