"""What gosc's own endpoints (``/gosc/inject``, ``/gosc/nocloud``) share: who may use them
(the caller's API session, from either protocol's carrier, the VI/JSON header or the SOAP
cookie, holding a privilege on the root folder) and their JSON object bodies; faults as an
API call would raise them."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from ..inventory.service_instance import ServiceInstance
from ..vim.faults import invalid_argument, no_permission, not_authenticated
from .soap import session_token
from .vijson import SESSION_HEADER


def require_root_privilege(si: ServiceInstance, request: Request, privilege: str, named: str | None = None) -> None:
    """NotAuthenticated without a live session; NoPermission (naming ``named`` if given,
    else the privilege) unless its user holds ``privilege`` on the root folder."""
    session = si.session_manager.session(
        request.headers.get(SESSION_HEADER) or session_token(request.headers.get("cookie", ""))
    )
    root = si.root_folder
    if session is None:
        raise not_authenticated(root.ref)
    if not si.authorization_manager.has_privilege(session.userName, root, privilege):
        raise no_permission(root.ref, named or privilege)


def json_object(body: bytes, what: str = "a JSON object") -> dict[str, Any]:
    """The request body as a JSON object; InvalidArgument (``body``) otherwise, saying it
    must be ``what``."""
    try:
        value = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError) as e:
        raise invalid_argument("body", f"the body is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise invalid_argument("body", f"the body must be {what}")
    return value
