"""``POST /gosc/nocloud``: a customization spec as a cloud-init NoCloud seed.

A gosc extension, not part of vSphere (a vCenter has no such endpoint): the conversion of
``gosc spec convert --to nocloud`` (gosc.convert) for clients that talk to the server.
The session goes as for the API (the ``vmware-api-session-id`` header, or SOAP's session
cookie) and needs ``VirtualMachine.Provisioning.ReadCustSpecs`` on the root folder, the
privilege GetCustomizationSpec needs.

The body is a JSON object naming the spec in one of three ways: ``"name"`` (a spec saved
in this server's CustomizationSpecManager), ``"spec"`` (a VI/JSON CustomizationSpec or
CustomizationSpecItem) or ``"xml"`` (vCenter's ConfigRoot document); and optionally
``"macs"`` (``MAC`` or ``MAC=NAME`` per NIC, in order), ``"vmName"``, ``"instanceId"``.
Passwords this server encrypted (GetCustomizationSpec, CustomizationSpecItemToXml) are
decrypted as CustomizeGuest_Task decrypts them; the seed holds only their hash.

The answer (200) is ``{"complete", "metaData", "userData", "networkConfig",
"notConverted": [{"path", "reason"}], "notes"}``.  A refusal is a VI/JSON fault: 401
``NotAuthenticated``, 403 ``NoPermission``, 404 ``NotFound`` (no spec of that name), 400
for a body or spec with a problem (the fault validation gives, with its property path).
"""

from __future__ import annotations

from typing import Any

from pyVmomi import vim, vmodl
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..convert import convert
from ..customization import specxml
from ..inventory.service_instance import ServiceInstance
from ..vim import json_codec
from ..vim import types as T
from ..vim.faults import invalid_argument
from .extension import json_object, require_root_privilege
from .vijson import fault_response, json_response

PATH = "/gosc/nocloud"
PRIVILEGE = "VirtualMachine.Provisioning.ReadCustSpecs"
_STATUS = {"NotAuthenticated": 401, "NoPermission": 403, "NotFound": 404}
_KEYS = {"name", "spec", "xml", "macs", "vmName", "instanceId"}


class NoCloudConversion:
    def __init__(self, si: ServiceInstance) -> None:
        self.si = si

    def _require(self, request: Request) -> None:
        require_root_privilege(self.si, request, PRIVILEGE)

    async def handle(self, request: Request) -> Response:
        try:
            self._require(request)
            body = json_object(await request.body())
            return json_response(self._convert(body))
        except vmodl.MethodFault as f:
            return fault_response(f, T.NEWEST_VERSION, _STATUS.get(T.wsdl_name(type(f)), 400))

    def _spec(self, body: dict[str, Any]) -> vim.vm.customization.Specification:
        given = [k for k in ("name", "spec", "xml") if k in body]
        if len(given) != 1:
            raise invalid_argument("body", "give the spec as exactly one of 'name', 'spec' or 'xml'")
        manager = self.si.customization_spec_manager
        key = given[0]
        value = body[key]
        if key == "name":
            if not isinstance(value, str):
                raise invalid_argument("name", "expected a string")
            return manager.reveal_passwords(manager.copy_of(value).spec)
        if key == "xml":
            if not isinstance(value, str):
                raise invalid_argument("xml", "expected a string")
            return manager.reveal_passwords(specxml.from_xml(value, T.NEWEST_VERSION).spec)
        if isinstance(value, dict) and value.get("_typeName") == "CustomizationSpecItem":
            value = value.get("spec")
        decoded: vim.vm.customization.Specification = json_codec.decode(
            value, vim.vm.customization.Specification, T.NEWEST_VERSION, "spec"
        )
        return manager.reveal_passwords(decoded)

    def _convert(self, body: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(body) - _KEYS)
        if unknown:
            raise invalid_argument(unknown[0], f"unknown key; the body takes {', '.join(sorted(_KEYS))}")
        macs = body.get("macs", [])
        if not isinstance(macs, list) or not all(isinstance(m, str) for m in macs):
            raise invalid_argument("macs", "expected a list of strings (MAC or MAC=NAME)")
        for key in ("vmName", "instanceId"):
            if body.get(key) is not None and not isinstance(body[key], str):
                raise invalid_argument(key, "expected a string")
        seed = convert(self._spec(body), nics=macs, vm_name=body.get("vmName"), instance_id=body.get("instanceId"))
        return {
            "complete": seed.complete,
            "metaData": seed.meta_data,
            "userData": seed.user_data,
            "networkConfig": seed.network_config,
            "notConverted": [{"path": g.path, "reason": g.reason} for g in seed.gaps],
            "notes": seed.notes,
        }


def nocloud_routes(si: ServiceInstance) -> list[BaseRoute]:
    return [Route(PATH, NoCloudConversion(si).handle, methods=["POST"])]
