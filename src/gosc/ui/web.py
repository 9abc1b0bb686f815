"""What every console page shares: templates, the session cookie, CSRF, and the call context.

The console is an API client that lives in the server: a login is SessionManager.Login
(the same lockout and session limits), the cookie carries the API session's token, a page
reads through a CallContext of that session (so ``gosc.inventory.access`` decides what it
shows, as for an API read), and Logout ends the session.  The cookie is HttpOnly, Secure
and SameSite=Strict; every POST also carries a CSRF token derived from the session's
secret token (so a page of another site can neither read nor forge it).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..inventory.base import CallContext
from ..inventory.service_instance import ServiceInstance
from ..inventory.session_manager import Session
from ..vim import types as T

COOKIE = "gosc_ui_session"
PREFIX = "/ui"
HERE = Path(__file__).parent
# No inline script or style, nothing from elsewhere: the console works offline.
HEADERS = {
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


class NotLoggedIn(Exception):
    """No live session: the page answers with the login page's address."""


class BadCsrf(Exception):
    """A POST without this session's CSRF token."""


def csrf_token(session: Session) -> str:
    return hashlib.sha256(b"gosc-ui-csrf:" + session.token.encode()).hexdigest()


class Console:
    """The console's shared state: the service instance and the templates."""

    def __init__(self, si: ServiceInstance) -> None:
        self.si = si
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    # ------------------------------------------------------------ sessions

    def context(self, request: Request, session: Session | None = None) -> CallContext:
        client = request.client.host if request.client else ""
        return CallContext(self.si, T.NEWEST_VERSION, session, client, request.headers.get("user-agent", ""))

    def session(self, request: Request) -> Session:
        """The request's live API session (counted as a call, as the API counts one)."""
        s = self.si.session_manager.session(request.cookies.get(COOKIE))
        if s is None:
            raise NotLoggedIn
        return s

    def logged_in(self, request: Request) -> CallContext:
        return self.context(request, self.session(request))

    async def form(self, request: Request, ctx: CallContext | None) -> dict[str, str]:
        """A POST's form fields (application/x-www-form-urlencoded: an uploaded spec is read
        into the form by console.js), once its CSRF token is this session's."""
        body = await request.body()  # limits.BodyLimit has bounded it
        fields = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True).items()}
        if ctx is not None:
            assert ctx.session is not None
            if not hmac.compare_digest(fields.get("csrf", ""), csrf_token(ctx.session)):
                raise BadCsrf
        return fields

    # ------------------------------------------------------------ answers

    def render(self, name: str, ctx: CallContext | None, status: int = 200, **values: Any) -> Response:
        session = ctx.session if ctx is not None else None
        values.setdefault("page", "")
        html = self.templates.get_template(name).render(
            user=session.userName if session else "",
            csrf=csrf_token(session) if session else "",
            prefix=PREFIX,
            **values,
        )
        return HTMLResponse(html, status_code=status, headers=HEADERS)


def redirect(path: str) -> Response:
    return RedirectResponse(PREFIX + path, status_code=303, headers=HEADERS)


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, path=PREFIX, httponly=True, secure=True, samesite="strict")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PREFIX, httponly=True, secure=True, samesite="strict")
