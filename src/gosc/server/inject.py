"""``/gosc/inject``: the administrator's control of fault and delay injection
(inventory/inject.py).  A gosc extension, not part of vSphere: JSON in and out, the
session as for the API (the ``vmware-api-session-id`` header or the SOAP session cookie),
and only a session holding every privilege on the root folder (the Admin role) may use it.

- ``GET /gosc/inject``: the injections, with the calls each has acted on (``hits``) and
  the calls it holds right now (``held``).
- ``POST /gosc/inject`` with one injection: added, answered 201 with its ``id``.
- ``POST /gosc/inject/{id}/release``: the calls it holds go on; it holds no more.
- ``DELETE /gosc/inject/{id}`` (or ``DELETE /gosc/inject``, all of them): removed, releasing
  the calls held.

A refusal is a VI/JSON fault body: 401 ``NotAuthenticated``, 403 ``NoPermission``,
400 ``InvalidArgument`` (a bad injection), 404 ``InvalidRequest`` (no such injection).
"""

from __future__ import annotations

from pyVmomi import vmodl
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..inventory.authorization_manager import ALL
from ..inventory.service_instance import ServiceInstance
from ..vim import types as T
from ..vim.faults import invalid_request
from .extension import json_object, require_root_privilege
from .vijson import fault_response, json_response

PATH = "/gosc/inject"
_STATUS = {"NotAuthenticated": 401, "NoPermission": 403, "InvalidArgument": 400, "InvalidRequest": 404}


class InjectControl:
    def __init__(self, si: ServiceInstance) -> None:
        self.si = si

    def _require_admin(self, request: Request) -> None:
        require_root_privilege(self.si, request, ALL, "the Admin role")

    async def collection(self, request: Request) -> Response:
        return await self._answer(request, None)

    async def item(self, request: Request) -> Response:
        return await self._answer(request, request.path_params["id"])

    async def _answer(self, request: Request, item: int | None) -> Response:
        try:
            self._require_admin(request)
            return await self._handle(request, item)
        except vmodl.MethodFault as f:
            return fault_response(f, T.NEWEST_VERSION, _STATUS.get(T.wsdl_name(type(f)), 500))

    async def _handle(self, request: Request, item: int | None) -> Response:
        injector = self.si.injector
        release = request.url.path.endswith("/release")
        if item is None and request.method == "GET":
            return json_response([i.to_json() for i in injector.list()])
        if item is None and request.method == "POST":
            spec = json_object(await request.body(), "one injection, a JSON object")
            return json_response(injector.add(spec).to_json(), 201)
        if item is None and request.method == "DELETE":
            return json_response({"removed": injector.remove()})
        if item is not None and request.method == "POST" and release and injector.release(item):
            return Response(status_code=204)
        if item is not None and request.method == "DELETE" and not release and injector.remove(item):
            return Response(status_code=204)
        raise invalid_request(f"no injection {item} (GET {PATH} lists them)")


def inject_routes(si: ServiceInstance) -> list[BaseRoute]:
    control = InjectControl(si)
    return [
        Route(PATH, control.collection, methods=["GET", "POST", "DELETE"]),
        Route(PATH + "/{id:int}", control.item, methods=["DELETE"]),
        Route(PATH + "/{id:int}/release", control.item, methods=["POST"]),
    ]
