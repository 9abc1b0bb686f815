"""SessionManager: Login, Logout, currentSession, TerminateSession, SessionIsActive.

A session id travels as the ``vmware-api-session-id`` header (VI/JSON) or inside the
``vmware_soap_session`` cookie (SOAP); both name the same session.  Sessions live in
memory only, as on vCenter: a restart logs everybody out.  A session unused for
``[sessions] idle_timeout`` (vCenter's 30 minutes) is gone: its token answers
NotAuthenticated.  A user holds at most ``[sessions] max_per_user`` sessions; one more
Login fails with InvalidLogin saying so (login_policy.py).
"""

from __future__ import annotations

import datetime
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from pyVmomi import vim

from ..vim.faults import fault, invalid_argument
from .base import CallContext, ManagedObject, now
from .login_policy import SessionPolicy, invalid_login

if TYPE_CHECKING:
    from .service_instance import ServiceInstance

CLONE_TICKET_SECONDS = 60  # how long a clone ticket may wait for its CloneSession


@dataclass
class Session:
    token: str  # the secret the client sends back (header or cookie); never shown
    key: str  # UserSession.key: a public id, what SessionIsActive and sessionList name
    userName: str
    fullName: str
    loginTime: datetime.datetime
    locale: str
    ipAddress: str
    userAgent: str
    last_active: float  # the clock's monotonic time of the latest call (idle timeout)
    # The wall time of the latest call as time.time() gives it: each call stores it, and
    # only a read of the session makes it a datetime (a trivial read is about 10 µs, the
    # datetime would be 1 of them).
    last_active_wall: float
    callCount: int = 0

    @property
    def lastActiveTime(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.last_active_wall, datetime.UTC)

    def to_vim(self) -> vim.UserSession:
        return vim.UserSession(
            key=self.key,
            userName=self.userName,
            fullName=self.fullName,
            loginTime=self.loginTime,
            lastActiveTime=self.lastActiveTime,
            locale=self.locale,
            messageLocale=self.locale,
            extensionSession=False,
            ipAddress=self.ipAddress,
            userAgent=self.userAgent,
            callCount=self.callCount,
        )


_Owned = TypeVar("_Owned", bound=ManagedObject)


class SessionManager(ManagedObject):
    vim_type = vim.SessionManager
    # Readable without a session (then unset), as on vCenter: pyVmomi's re-login asks it first.
    anonymous_properties = frozenset({"currentSession"})

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "SessionManager")
        self.sessions: dict[str, Session] = {}  # by token
        self.policy = SessionPolicy()
        self.clone_tickets: dict[str, tuple[str, float]] = {}  # ticket -> (token of its session, expiry)
        self.message = next((str(d.get("message", "")) for _, d in si.store.load("servicemessage")), "")

    def _idle(self, s: Session, clock: float) -> bool:
        """Whether ``s`` was unused past the idle timeout at ``clock`` (the clock's monotonic time)."""
        return clock - s.last_active > self.policy.idle_timeout

    def sweep(self, owned: dict[str, _Owned]) -> None:
        """Forget the objects of ``owned`` (by moId) whose session has ended: a session's
        views and history collectors die with it."""
        live = {s.key for s in self.sessions.values()}
        for moid in [m for m, o in owned.items() if o.owner not in live]:
            del owned[moid]
            self.si.objects.pop(moid, None)

    def _expire(self) -> None:
        clock = self.si.clock.monotonic()
        for s in [s for s in self.sessions.values() if self._idle(s, clock)]:
            del self.sessions[s.token]

    def session(self, token: str | None) -> Session | None:
        """The live session a token names (counting the call), or None."""
        if not token:
            return None
        s = self.sessions.get(token)
        if s is None:
            return None
        clock = self.si.clock.monotonic()
        if self._idle(s, clock):
            del self.sessions[token]
            return None
        s.callCount += 1
        s.last_active = clock
        s.last_active_wall = time.time()
        return s

    async def Login(self, ctx: CallContext, userName: str, password: str, locale: str | None = None) -> vim.UserSession:
        user = await self.si.authorization_manager.authenticate(userName, password)
        if user is None:
            raise invalid_login()
        self._expire()
        if sum(1 for s in self.sessions.values() if s.userName == user.name) >= self.policy.max_per_user:
            raise invalid_login(
                f"User {user.name} already holds {self.policy.max_per_user} sessions, the most one user "
                "may hold; log out of unused sessions first."
            )
        return self._open(ctx, user.name, user.full_name, locale or "en", f"as {ctx.user_agent}").to_vim()

    def Logout(self, ctx: CallContext) -> None:
        if ctx.session is not None:
            self.sessions.pop(ctx.session.token, None)
            self.si.notify(self, "sessionList")
            self.si.event_manager.post(
                vim.event.UserLogoutSessionEvent(
                    userName=ctx.user,
                    ipAddress=ctx.client_ip,
                    sessionId=ctx.session.key,
                    fullFormattedMessage=f"User {ctx.user}@{ctx.client_ip} logged out",
                )
            )
        ctx.session = None

    def TerminateSession(self, ctx: CallContext, sessionId: list[str]) -> None:
        """End other sessions (privilege Sessions.TerminateSession, checked by dispatch).
        Every id is checked before any session ends, so a bad list changes nothing."""
        self._expire()
        by_key = {s.key: s for s in self.sessions.values()}
        for i, key in enumerate(sessionId):
            if ctx.session is not None and key == ctx.session.key:
                raise invalid_argument(f"sessionId[{i}]", "The caller's own session cannot be terminated; use Logout")
            if key not in by_key:
                raise fault(vim.fault.NotFound, f"No session has the id '{key}'.")
        for key in sessionId:
            s = by_key[key]
            if self.sessions.pop(s.token, None) is not None:
                self.si.notify(self, "sessionList")
                self.si.event_manager.post(
                    vim.event.SessionTerminatedEvent(
                        userName=ctx.user,
                        sessionId=s.key,
                        terminatedUsername=s.userName,
                        fullFormattedMessage=f"A session for user '{s.userName}' has stopped",
                    )
                )

    # ------------------------------------------------------------ the message of the day

    def UpdateServiceMessage(self, ctx: CallContext, message: str) -> None:
        """Set the message every session reads in ``message`` (privilege Sessions.GlobalMessage,
        checked by dispatch); it persists, as vCenter's does."""
        self.message = message
        self.si.store.put("servicemessage", "message", {"message": message})
        self.si.notify(self, "message")

    def prop_message(self, ctx: CallContext) -> str:
        return self.message

    def prop_messageLocaleList(self, ctx: CallContext) -> list[str]:
        return ["en"]

    # ------------------------------------------------------------ clone tickets

    def AcquireCloneTicket(self, ctx: CallContext) -> str:
        """A one-time ticket (valid CLONE_TICKET_SECONDS) that CloneSession turns into a
        new session of the caller's user, as another client (a console) uses it."""
        assert ctx.session is not None  # dispatch lets no anonymous call here
        now_ = self.si.clock.monotonic()
        self.clone_tickets = {k: v for k, v in self.clone_tickets.items() if v[1] > now_}
        ticket = f"cst-VCT-{uuid.uuid4()}--tp-{secrets.token_hex(20).upper()}"
        self.clone_tickets[ticket] = (ctx.session.token, now_ + CLONE_TICKET_SECONDS)
        return ticket

    def CloneSession(self, ctx: CallContext, cloneTicket: str) -> vim.UserSession:
        held = self.clone_tickets.pop(cloneTicket, None)
        source = self.sessions.get(held[0]) if held is not None and held[1] > self.si.clock.monotonic() else None
        if source is None:
            raise invalid_login("The clone ticket is not valid: it was used, it expired, or its session ended.")
        return self._open(ctx, source.userName, source.fullName, source.locale, "with a clone ticket").to_vim()

    def _open(self, ctx: CallContext, user_name: str, full_name: str, locale: str, how: str) -> Session:
        """A new session of ``user_name`` for this caller (Login, CloneSession): listed, the
        caller's from now on, and its UserLoginSessionEvent posted."""
        s = Session(
            token=secrets.token_hex(20),
            key=str(uuid.uuid4()),
            userName=user_name,
            fullName=full_name,
            loginTime=now(),
            locale=locale,
            ipAddress=ctx.client_ip,
            userAgent=ctx.user_agent,
            last_active=self.si.clock.monotonic(),
            last_active_wall=time.time(),
        )
        self.sessions[s.token] = s
        self.si.notify(self, "sessionList")  # the property collector reports what it does not recompute
        ctx.session = s  # the codec reads it to send the session id back
        self.si.event_manager.post(
            vim.event.UserLoginSessionEvent(
                userName=user_name,
                ipAddress=ctx.client_ip,
                userAgent=ctx.user_agent,
                locale=locale,
                sessionId=s.key,
                fullFormattedMessage=f"User {user_name}@{ctx.client_ip} logged in {how}",
            )
        )
        return s

    def SessionIsActive(self, ctx: CallContext, sessionID: str, userName: str) -> bool:
        self._expire()
        return any(s.key == sessionID and s.userName == userName for s in self.sessions.values())

    def prop_currentSession(self, ctx: CallContext) -> vim.UserSession | None:
        return ctx.session.to_vim() if ctx.session else None

    def prop_sessionList(self, ctx: CallContext) -> list[vim.UserSession]:
        self._expire()
        return [s.to_vim() for s in self.sessions.values()]

    def prop_defaultLocale(self, ctx: CallContext) -> str:
        return "en"

    def prop_supportedLocaleList(self, ctx: CallContext) -> list[str]:
        return ["en"]
