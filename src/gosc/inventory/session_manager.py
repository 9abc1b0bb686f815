"""SessionManager: Login, Logout, currentSession, SessionIsActive.

A session id travels as the ``vmware-api-session-id`` header (VI/JSON) or inside the
``vmware_soap_session`` cookie (SOAP); both name the same session.  Sessions live in
memory only, as on vCenter: a restart logs everybody out.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyVmomi import vim

from .authorization_manager import invalid_login
from .base import CallContext, ManagedObject, now

if TYPE_CHECKING:
    import datetime

    from .service_instance import ServiceInstance


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
    callCount: int = 0

    def to_vim(self) -> Any:
        return vim.UserSession(
            key=self.key, userName=self.userName, fullName=self.fullName, loginTime=self.loginTime,
            lastActiveTime=now(), locale=self.locale, messageLocale=self.locale, extensionSession=False,
            ipAddress=self.ipAddress, userAgent=self.userAgent, callCount=self.callCount,
        )  # fmt: skip


class SessionManager(ManagedObject):
    vim_type = vim.SessionManager
    # Readable without a session (then unset), as on vCenter: pyVmomi's re-login asks it first.
    anonymous_properties = frozenset({"currentSession"})

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "SessionManager")
        self.sessions: dict[str, Session] = {}  # by token

    def session(self, token: str | None) -> Session | None:
        if not token:
            return None
        s = self.sessions.get(token)
        if s is not None:
            s.callCount += 1
        return s

    def Login(self, ctx: CallContext, userName: str, password: str, locale: str | None = None) -> Any:
        user = self.si.authorization_manager.authenticate(userName, password)
        if user is None:
            raise invalid_login()
        s = Session(
            token=secrets.token_hex(20), key=str(uuid.uuid4()), userName=user.name, fullName=user.full_name, loginTime=now(),
            locale=locale or "en", ipAddress=ctx.client_ip, userAgent=ctx.user_agent,
        )  # fmt: skip
        self.sessions[s.token] = s
        ctx.session = s  # the codec reads it to send the session id back
        self.si.event_manager.post(
            vim.event.UserLoginSessionEvent(
                userName=user.name, ipAddress=ctx.client_ip, userAgent=ctx.user_agent, locale=s.locale,
                sessionId=s.key, fullFormattedMessage=f"User {user.name}@{ctx.client_ip} logged in as {ctx.user_agent}",
            )
        )  # fmt: skip
        return s.to_vim()

    def Logout(self, ctx: CallContext) -> None:
        if ctx.session is not None:
            self.sessions.pop(ctx.session.token, None)
            self.si.event_manager.post(
                vim.event.UserLogoutSessionEvent(
                    userName=ctx.user, ipAddress=ctx.client_ip, sessionId=ctx.session.key,
                    fullFormattedMessage=f"User {ctx.user}@{ctx.client_ip} logged out",
                )
            )  # fmt: skip
        ctx.session = None

    def SessionIsActive(self, ctx: CallContext, sessionID: str, userName: str) -> bool:
        return any(s.key == sessionID and s.userName == userName for s in self.sessions.values())

    def prop_currentSession(self, ctx: CallContext) -> Any:
        return ctx.session.to_vim() if ctx.session else None

    def prop_sessionList(self, ctx: CallContext) -> list[Any]:
        return [s.to_vim() for s in self.sessions.values()]

    def prop_defaultLocale(self, ctx: CallContext) -> str:
        return "en"

    def prop_supportedLocaleList(self, ctx: CallContext) -> list[str]:
        return ["en"]
