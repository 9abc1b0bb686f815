"""vim25 SOAP at /sdk: the protocol pyVmomi, govmomi and their users speak.

POST /sdk carries one method call in a SOAP envelope; the session travels in the
``vmware_soap_session`` cookie set by Login.  Answers are HTTP 200 with the
``<Method>Response`` or HTTP 500 with a ``soapenv:Fault`` and the typed fault in its
detail, never anything else.  Below the codec the call takes the same path as VI/JSON
(``inventory.dispatch``).

``Fetch(_this, prop)`` (undocumented, what pyVmomi >= 8.0.0.1 sends for every property
read) is not in pyVmomi's type tables: it is served here as a property read, with nested
paths (``guest.hostName``) allowed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
from collections.abc import Coroutine
from typing import Any, TypeVar

from pyVmomi import vmodl
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..inventory import dispatch
from ..inventory.base import CallContext
from ..inventory.property_retrieval import read_path
from ..inventory.service_instance import ServiceInstance
from ..vim import soap_codec, soap_params
from ..vim import types as T
from ..vim.faults import invalid_argument, invalid_request, system_error
from .request import Answer, ApiRequest, Resumed

log = logging.getLogger(__name__)

COOKIE = "vmware_soap_session"
_COOKIE_RE = re.compile(r"(?:^|[;,]\s*)" + COOKIE + r'\s*=\s*"?([^";,\s]*)"?')
_XML = "text/xml; charset=utf-8"
_XML_BYTES = _XML.encode()
# The fallback routes answer every method (Starlette's default is GET only).
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# Methods that may block for a long time: they end early if the client goes away.
_LONG_POLLS = frozenset({"WaitForUpdates", "WaitForUpdatesEx"})


def session_token(cookie: str) -> str | None:
    """The SOAP session's token in a ``Cookie`` header's value."""
    token = _tokens.get(cookie)
    if token is None:
        m = _COOKIE_RE.search(cookie)
        token = m.group(1) if m else ""
        if len(cookie) <= 256:  # a client sends the same cookie on every call
            _keep(_tokens, _TOKENS_MAX, cookie, token)
    return token or None


_TOKENS_MAX = 1024  # cookies (a few hundred bytes at most) and their tokens, as SessionManager holds them
_tokens: dict[str, str] = {}


def soap_answer(body: bytes, status: int = 200, headers: list[tuple[bytes, bytes]] | None = None) -> Answer:
    return Answer(status, body, _XML_BYTES, headers)


def versions_xml() -> str:
    newest, *prior = T.RELEASES
    prior_xml = "".join(f"<version>{r}</version>" for r in prior)
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<namespaces version="1.0">\n'
        f" <namespace>\n  <name>urn:vim25</name>\n  <version>{newest}</version>\n"
        f"  <priorVersions>{prior_xml}</priorVersions>\n </namespace>\n</namespaces>\n"
    )


def service_wsdl(base: str) -> str:
    """A minimal vimService.wsdl: the service and its endpoint (clients that look for it
    only want to know that vim25 lives at /sdk)."""
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<definitions targetNamespace="urn:vimService" xmlns="http://schemas.xmlsoap.org/wsdl/"
   xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:interface="urn:vim25">
   <import location="vim.wsdl" namespace="urn:vim25" />
   <service name="VimService">
      <port binding="interface:VimBinding" name="VimPort">
         <soap:address location="{base}/sdk" />
      </port>
   </service>
</definitions>
"""


class Soap:
    def __init__(self, si: ServiceInstance) -> None:
        self.si = si

    async def versions(self, request: Request) -> Response:
        return Response(versions_xml(), media_type=_XML)

    async def wsdl(self, request: Request) -> Response:
        base = f"{request.url.scheme}://{request.url.netloc}"
        return Response(service_wsdl(base), media_type=_XML)

    async def path_fault(self, request: Request) -> Response:
        """Anything under /sdk that is not an endpoint answers a SOAP fault, not plain text."""
        if request.url.path in ("/sdk", "/sdk/"):
            f, status = invalid_request(f"{request.method} is not a SOAP request: POST a SOAP envelope to /sdk"), 405
        else:
            f, status = invalid_request(f"No such SOAP endpoint '{request.url.path}'; vim25 is served at /sdk"), 404
        return Response(soap_codec.fault_response(f, T.NEWEST_VERSION), status, media_type=_XML)

    async def handle(self, request: ApiRequest) -> Answer:
        """``POST /sdk`` (server/front.py has read the body, under the request limits)."""
        version = T.NEWEST_VERSION
        try:
            req = parse_request(request.body)
            version = version_of(request.header(b"soapaction") or None, req.version_id)
            ctx = CallContext(
                self.si,
                version,
                self.si.session_manager.session(session_token(request.header(b"cookie"))),
                request.client,
                request.header(b"user-agent"),
                request.header(b"host"),
                soap=True,
            )
            if log.isEnabledFor(logging.DEBUG):  # its arguments cost more than the check
                log.debug("SOAP %s %s:%s by %s", req.method, req.this_type, req.this_id, ctx.user or "(no session)")
            token_before = ctx.session.token if ctx.session else None
            if req.method == "Fetch":
                out = soap_codec.response("Fetch", *self.fetch(ctx, req), version)
            else:
                obj, info = dispatch.prepare(ctx, req.this_type, req.this_id, req.method)
                args = decode_params(req, info, version)
                if req.method in _LONG_POLLS:
                    result = await _until_disconnected(request, dispatch.invoke(ctx, obj, info, args))
                else:
                    result = await dispatch.invoke(ctx, obj, info, args)
                out = soap_codec.response(req.method, result, info.result, version)
            headers = None
            token_after = ctx.session.token if ctx.session else None
            if token_after and token_after != token_before:
                headers = [(b"set-cookie", f'{COOKIE}="{token_after}"; Path=/; HttpOnly; Secure'.encode())]
            return soap_answer(out, headers=headers)
        except vmodl.MethodFault as f:
            return soap_answer(soap_codec.fault_response(f, version), 500)
        except Exception:  # a bug answers as vCenter does, with a fault; the trace goes to the log
            log.exception("SOAP %s failed", request.path)
            return soap_answer(
                soap_codec.fault_response(system_error("internal error; see the server log"), version), 500
            )

    def fetch(self, ctx: CallContext, req: soap_codec.SoapRequest) -> tuple[Any, type]:
        """``Fetch(_this, prop)``: one property (a path is allowed) of one object."""
        if req.params != ("prop",):
            raise invalid_argument("prop", "Fetch takes exactly one parameter, prop")
        prop = decode_params(req, _FETCH_INFO, ctx.version)["prop"]
        first = prop.split(".", 1)[0]
        value, declared = dispatch.read_property(ctx, req.this_type, req.this_id, first)
        if first != prop:
            obj = dispatch.lookup(ctx, req.this_type, req.this_id)
            value, declared = read_path(ctx, obj, prop)
        return value, declared


_FETCH_INFO = T.MethodInfo(
    wsdl_name="Fetch",
    name="Fetch",
    owner=T.ManagedObject,
    params=(T.Param("prop", str, False, False, "vmodl.version.version0"),),
    result=object,
    is_task=False,
    priv_id="System.Anonymous",
    version="vmodl.version.version0",
    faults=(),
)


# Clients repeat the same envelopes byte for byte (pyVmomi's property reads and
# WaitForTask's polls, govc's and Ansible's waits, CurrentTime as a keep-alive), and
# parsing an envelope was a third of such a call: small ones are parsed once.  The parse
# is of the bytes alone (a fault is raised, never kept), the result is immutable.
# The next envelope of a shape already read (soap_codec.shape: the same bytes but for
# its words; pyVim's WaitForTask sends a new task's and filter's) is read from that one.
_PARSED_MAX = 256
_PARSED_BODY_MAX = 4096
_parsed: dict[bytes, soap_codec.SoapRequest] = {}
_SHAPES_MAX = 256
_envelopes: dict[soap_codec.Chunks, tuple[soap_codec.SoapRequest, int]] = {}  # the request, the word that is _this


def parse_request(body: bytes) -> soap_codec.SoapRequest:
    if len(body) > _PARSED_BODY_MAX:
        return soap_codec.parse_request(body)
    req = _parsed.get(body)
    if req is None:
        req = _keep(_parsed, _PARSED_MAX, body, _parse_by_shape(body))
    return req


def _parse_by_shape(body: bytes) -> soap_codec.SoapRequest:
    shaped = soap_codec.shape(body)
    if shaped is None:
        return soap_codec.parse_request(body)
    chunks, words = shaped
    known = _envelopes.get(chunks)
    if known is not None:  # the envelope reads as that one's, but for the value of _this
        req, this = known
        this_id = words[this].decode("ascii")
        return soap_codec.SoapRequest(body, req.method, req.this_type, this_id, req.version_id, req.params, shaped)
    req, this_end = soap_codec.read_envelope(body)
    req = dataclasses.replace(req, shape=shaped)
    # The envelope's only text is _this's: a shape is kept when that text is one word
    # (and white space: ``<_this> a<x/>b</_this>`` is "ab", not the word "b").
    word = soap_codec.word_ends(body).get(this_end)
    if word is not None and words[word].decode("ascii") == req.this_id:
        _keep(_envelopes, _SHAPES_MAX, chunks, (req, word))
    return req


# A client sends the same SOAPAction and versionId on every call: the version they name is
# found once (a fault is raised, never kept).
_VERSIONS_MAX = 64
_versions: dict[tuple[str | None, str | None], str] = {}


def version_of(soap_action: str | None, version_id: str | None) -> str:
    key = (soap_action, version_id)
    version = _versions.get(key)
    if version is None:
        version = soap_codec.version_of(soap_action, version_id)
        if len(soap_action or "") + len(version_id or "") <= 256:  # what clients send: a few bytes
            _keep(_versions, _VERSIONS_MAX, key, version)
    return version


# Methods that only read their arguments (never change or keep them): the same request
# bytes decode to the same values, so their decoded arguments are shared between calls.
# Clients repeat these exact envelopes (pyVmomi's property reads, govc's polls), and
# decoding is most of what such a call costs (bench/soap_profile.py).
_READ_ONLY = frozenset({"Fetch", "RetrieveProperties", "RetrievePropertiesEx", "ContinueRetrievePropertiesEx"})
_DECODED_MAX = 256
_decoded: dict[tuple[str, str, bytes], dict[str, Any]] = {}


# The parameters of a shape already read (a method, a release) are its template: the JSON
# values with the words' places marked (soap_params.fill).  Keyed by the MethodInfo's
# identity, which the entry holds (so its id is not reused while the entry lives).
_params: dict[tuple[int, str, soap_codec.Chunks], tuple[T.MethodInfo, Any]] = {}


def decode_params(req: soap_codec.SoapRequest, info: T.MethodInfo, version: str) -> dict[str, Any]:
    if not req.params:
        return {}  # nothing to decode (CurrentTime, RetrieveServiceContent, Logout, ...)
    if info.wsdl_name not in _READ_ONLY:
        return _decode_by_shape(req, info, version)
    key = (info.wsdl_name, version, req.body)
    args = _decoded.get(key)
    if args is None:
        args = _keep(_decoded, _DECODED_MAX, key, _decode_by_shape(req, info, version))  # a fault is never kept
    return dict(args)


def _decode_by_shape(req: soap_codec.SoapRequest, info: T.MethodInfo, version: str) -> dict[str, Any]:
    shaped = req.shape
    if shaped is None:
        return soap_codec.decode_params(req, info, version)  # a body that has none, or a long one
    chunks, words = shaped
    key = (id(info), version, chunks)
    known = _params.get(key)
    if known is not None and known[0] is info:
        try:
            values = soap_params.fill(known[1], words)
        except vmodl.MethodFault:
            pass  # a word its slot cannot hold: reading the whole body finds the first such
        else:
            return soap_codec.decode_values(values, info, version)
    reader = soap_codec.read_params(req, info, version, soap_codec.word_ends(req.body))
    args = soap_codec.decode_values(reader.values, info, version)  # a fault is never kept
    _keep(_params, _SHAPES_MAX, key, (info, reader.template()))
    return args


_K = TypeVar("_K")
_V = TypeVar("_V")


def _keep(cache: dict[_K, _V], bound: int, key: _K, value: _V) -> _V:
    """``value``, kept in ``cache`` under ``key``; past ``bound`` entries the oldest goes
    (a bound, not a policy)."""
    if len(cache) >= bound:
        del cache[next(iter(cache))]
    cache[key] = value
    return value


_R = TypeVar("_R")


async def _until_disconnected(request: ApiRequest, work: Coroutine[Any, None, _R]) -> _R:
    """Run a long poll, abandoning it when the client hangs up (the ASGI server then has
    nothing to wait for at shutdown).  A poll whose answer is ready (pyVmomi's WaitForTask
    finds its task done) is answered at once, without the two tasks that watch it: they
    cost the call a turn of the event loop, in which other work may run first."""
    try:
        waiting = work.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    job = asyncio.ensure_future(Resumed(work, waiting))

    async def watch() -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                return

    watcher = asyncio.ensure_future(watch())
    try:
        await asyncio.wait({job, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        with contextlib.suppress(BaseException):
            await watcher
    if not job.done():
        job.cancel()
        with contextlib.suppress(BaseException):
            await job
        raise vmodl.fault.RequestCanceled(msg="The client disconnected.")
    return job.result()


def soap_routes(si: ServiceInstance) -> list[Route]:
    """The GET endpoints under /sdk (POST /sdk is server/front.py's)."""
    soap = Soap(si)
    return [
        Route("/sdk/vimServiceVersions.xml", soap.versions, methods=["GET"]),
        Route("/sdk/vimService.wsdl", soap.wsdl, methods=["GET"]),
        Route("/sdk/vimService", soap.wsdl, methods=["GET"]),
    ]


def soap_fallback_routes(si: ServiceInstance) -> list[Route]:
    """After every other route: what is left under /sdk (other methods on /sdk itself,
    unknown paths) gets a SOAP fault."""
    soap = Soap(si)
    return [
        Route("/sdk", soap.path_fault, methods=ANY_METHOD),
        Route("/sdk/{rest:path}", soap.path_fault, methods=ANY_METHOD),
    ]
