"""VI/JSON at /sdk/vim25/{release}/{type}/{moId}/{method|property}.

GET reads a property; POST calls a method with a JSON object of its parameters.
Answers: 200 with a JSON value, 204 for void methods and unset properties, 500 with the
fault object for a vSphere fault, 404 with a fault for an unknown release.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import unquote

import orjson
from pyVmomi import vmodl
from starlette.requests import Request
from starlette.responses import Response

from ..inventory import dispatch
from ..inventory.base import CallContext
from ..inventory.service_instance import ServiceInstance
from ..vim import json_codec
from ..vim import types as T
from ..vim.faults import fault, invalid_request, invalid_type, system_error
from .request import Answer, ApiRequest

log = logging.getLogger(__name__)

SESSION_HEADER = "vmware-api-session-id"
SESSION_HEADER_BYTES = SESSION_HEADER.encode()
PREFIX = "/sdk/vim25"
_PATH_FORM = PREFIX + "/{release}/{type}/{moId}/{method or property}"
_JSON = "application/json"
_JSON_BYTES = _JSON.encode()
_NO_CONTENT = Answer(204, b"", None)


def _float(value: object) -> float:
    """What orjson does not serialize itself: pyVmomi's ``double`` (a float subclass)."""
    if isinstance(value, float):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def json_body(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON.  orjson writes it 10 to 25 times faster than the
    standard library: about 10% of a data object read's server time (docs/decisions.md,
    "HTTP stack").  What orjson refuses (an integer beyond 64 bits: pyVmomi's SOAP decoder
    takes any ``long``) is written by the standard library as before."""
    try:
        return orjson.dumps(value, default=_float)
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer of a Starlette route (``hello``, the console's API)."""
    return Response(json_body(value), status_code=status, media_type=_JSON, headers=headers)


def json_answer(value: Any, status: int = 200, headers: list[tuple[bytes, bytes]] | None = None) -> Answer:
    return Answer(status, json_body(value), _JSON_BYTES, headers)


def fault_answer(f: vmodl.MethodFault, version: str, status: int = 500) -> Answer:
    return json_answer(json_codec.encode(f, version), status)


def fault_response(f: vmodl.MethodFault, version: str, status: int = 500) -> Response:
    """A fault answer of a Starlette route (gosc's own endpoints)."""
    return json_response(json_codec.encode(f, version), status)


def path_segments(raw_path: bytes) -> dict[str, str]:
    """``release``, ``type``, ``moid``, ``name`` of a VI/JSON path (only those present when
    there are fewer than four segments, only ``release`` when there are more).

    Segments are split on the raw path, then percent-decoded: a moId with ``%2F`` stays
    one segment (an object that does not exist) instead of changing the path's shape."""
    rest = raw_path.decode("latin-1").removeprefix(PREFIX).removeprefix("/")
    parts = rest.split("/") if rest else []
    if "%" in rest:
        parts = [unquote(s) for s in parts]
    if len(parts) == 4:
        return dict(zip(_SEGMENTS, parts, strict=True))
    return {"release": parts[0] if parts else ""}


_SEGMENTS = ("release", "type", "moid", "name")


def _request_type_names(method: str) -> set[str]:
    """Root ``_typeName`` values clients put on a request body (govmomi: the method name;
    generated clients: ``<Method>RequestType``, with or without ``_Task``)."""
    base = method.removesuffix("_Task")
    return {method, f"{method}RequestType", f"{base}RequestType"}


def decode_arguments(body: bytes, info: T.MethodInfo, version: str) -> dict[str, Any]:
    if len(body.strip()) == 0:
        raw: Any = {}
    else:
        try:
            raw = json.loads(body)
        except (ValueError, UnicodeDecodeError) as e:
            raise invalid_request(f"The request body is not valid JSON: {e}") from None
    if not isinstance(raw, dict):
        raise invalid_request(f"The body of {info.wsdl_name} must be a JSON object of its parameters")
    type_name = raw.pop("_typeName", None)
    if type_name is not None and (
        not isinstance(type_name, str) or type_name not in _request_type_names(info.wsdl_name)
    ):
        raise invalid_type("_typeName", f"'{type_name}' is not the request type of {info.wsdl_name}")
    params = {p.name: p for p in info.params}
    args = {}
    for name, value in raw.items():
        p = params.get(name)
        if p is None or not T.defined_in(version, p.version):
            raise fault(
                vmodl.fault.InvalidArgument,
                f"{info.wsdl_name} has no parameter '{name}' ({name})",
                invalidProperty=name,
            )
        args[name] = json_codec.decode(value, p.type, version, name)
    return args


class _Paths:
    """``path_segments`` of the paths clients send, kept: a client reads the same few
    paths again and again (a task's ``info`` while it waits).  Bounded: at most 4,096
    paths of at most 256 bytes (a few MiB with their parses); once full it starts
    afresh, so a client walking endless paths costs only the parse it would have cost."""

    BOUND, LONGEST = 4096, 256

    def __init__(self) -> None:
        self._kept: dict[bytes, dict[str, str]] = {}

    def segments(self, raw_path: bytes) -> dict[str, str]:
        kept = self._kept.get(raw_path)
        if kept is None:
            if len(raw_path) > self.LONGEST:
                return path_segments(raw_path)
            if len(self._kept) >= self.BOUND:
                self._kept.clear()
            kept = self._kept[raw_path] = path_segments(raw_path)
        return kept


class ViJson:
    def __init__(self, si: ServiceInstance) -> None:
        self.si = si
        self._paths = _Paths()

    def context(self, request: ApiRequest, version: str) -> CallContext:
        session = self.si.session_manager.session(request.header(SESSION_HEADER_BYTES) or None)
        return CallContext(
            self.si, version, session, request.client, request.header(b"user-agent"), request.header(b"host")
        )

    async def handle(self, request: ApiRequest) -> Answer:
        """Every request under /sdk/vim25 (server/front.py): whatever is wrong with its path
        is a fault too."""
        p = self._paths.segments(request.raw_path)  # shared: read, never changed
        try:
            version = T.version_of_release(p["release"])
        except T.UnknownRelease:
            f = invalid_request(f"Unknown release '{p['release']}'; this server speaks {', '.join(T.RELEASES)}")
            return fault_answer(f, T.NEWEST_VERSION, 404)
        if "name" not in p:
            f = invalid_request(f"No such VI/JSON path '{request.path}'; expected {_PATH_FORM}")
            return fault_answer(f, version, 404)
        if request.method not in ("GET", "POST"):
            f = invalid_request(f"{request.method} is not a VI/JSON method: GET reads a property, POST calls a method")
            return fault_answer(f, version, 405)
        try:
            ctx = self.context(request, version)
            if log.isEnabledFor(logging.DEBUG):  # its arguments cost more than the check (a read is ~20 µs)
                log.debug(
                    "VI/JSON %s %s %s:%s %s by %s",
                    p["release"],
                    request.method,
                    p["type"],
                    p["moid"],
                    p["name"],
                    ctx.user or "(no session)",
                )
            if request.method == "GET":
                return self._read(ctx, p["type"], p["moid"], p["name"])
            return await self._call(ctx, p["type"], p["moid"], p["name"], request.body)
        except vmodl.MethodFault as f:
            return fault_answer(f, version)
        except Exception:  # a bug answers as vCenter does, with a fault; the trace goes to the log
            log.exception("%s %s failed", request.method, request.path)
            return fault_answer(system_error("internal error; see the server log"), version)

    def _read(self, ctx: CallContext, type_name: str, moid: str, name: str) -> Answer:
        value, declared = dispatch.read_property(ctx, type_name, moid, name)
        if value is None:
            return _NO_CONTENT
        return json_answer(json_codec.encode(value, ctx.version, declared))

    async def _call(self, ctx: CallContext, type_name: str, moid: str, method: str, body: bytes) -> Answer:
        obj, info = dispatch.prepare(ctx, type_name, moid, method)
        args = decode_arguments(body, info, ctx.version)
        result = await dispatch.invoke(ctx, obj, info, args)
        headers = None
        if method in ("Login", "CloneSession") and ctx.session:
            headers = [(SESSION_HEADER_BYTES, ctx.session.token.encode())]
        if info.result is None or result is None:
            return Answer(204, b"", None, headers)
        return json_answer(json_codec.encode(result, ctx.version, info.result), headers=headers)


async def hello(request: Request) -> Response:
    """POST /api/vcenter/system?action=hello: pick the newest release both sides speak."""
    try:
        wanted = (json.loads(await request.body() or b"{}") or {}).get("api_releases", [])
    except ValueError:
        wanted = []
    chosen = next((r for r in T.RELEASES if r in wanted), "")
    return json_response({"api_release": chosen})
