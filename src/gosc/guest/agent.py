"""The tools agent: what open-vm-tools' deployPkg plugin and VGAuth do inside a guest.

It serves the host's TCLO commands over an rpc.Endpoint:

    ping
    guest.auth <b64 user> <b64 password>   -> "1 <uid>"; checks the guest's own /etc/shadow
    deployPkg.begin                         -> "1 <guest dir>" under /var/run/vmware-imc
    file.put <guest path>\\0<bytes>          (the guest-operations file copy)
    deployPkg.deploy <guest package path>   -> "1", then deployPkg.update.state RPCIs
    deployPkg.abort                         stops a running deployment
    network.start                           starts the guest network (DHCP; live guests only)

It also relays what programs in the guest ask the host, as ``vmware-rpctool`` does:
``gosc rpctool --vm-uuid UUID "info-get guestinfo.key"`` connects to the agent's
abstract Unix socket ``@gosc-rpctool-<instanceUuid>`` (in the guest's network namespace
for live guests) and gets the host's answer.

The agent sends RPCIs to the host: ``tools.heartbeat``, ``guest.info <json>`` (host name and
addresses as the guest sees them), ``deployPkg.update.state <state> <code> [<log>@<kind>: <msg>]`` (gosc.guest.states)
with VMware's state and error numbers, ``deployPkg.changes <json>`` before DONE (gosc's own:
the files the customization changed and its log, gosc.formats.custrecord), and ``info-get``/``info-set`` for guestinfo keys.
A live guest's agent, sandboxed with only network capabilities (gosc.guest.runtime), also
asks the host for what it may not do itself: ``guest.sethostname <name>`` (sethostname
needs CAP_SYS_ADMIN) and ``guest.script.run <json>`` / ``guest.script.cancel`` (a custom
script's sandbox, which needs the rights to make namespaces; the host makes it in the
guest's network namespace; see gosc.guest.vmx).
The agent never trusts a path or the tree: every guest path (the host's and the tree's own
symlinks) is resolved inside the guest root by gosc.guest.guestpath.  The root is opened
per operation, never held, so a live guest whose tree is remounted is seen as it is now.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import json
import logging
import secrets
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from ..formats import custrecord, deploypkg
from . import accounts, deploy, introspect, rpc
from .guestpath import GuestRoot
from .sandbox import Completed, Outcome, SandboxSpec
from .sandbox import run as run_local
from .states import DeployError, DeployState, FailureKind, update_state

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0
IMC_DIR = "var/run/vmware-imc"
# What guest programs may ask the host through the agent (vmware-rpctool's usual calls).
RPCTOOL_COMMANDS = frozenset({"info-get", "info-set"})


def rpctool_address(vm_id: str) -> str:
    """The abstract socket (leading NUL) a guest's agent relays rpctool requests on."""
    return f"\0gosc-rpctool-{vm_id}"


class ToolsAgent:
    def __init__(self, root: Path, live: Any = None, vm_id: str | None = None) -> None:
        """``root`` is the guest's tree; ``live`` (optional) applies results to a running
        guest (namespaces) after the files are written; ``vm_id`` (the instanceUuid)
        names the rpctool socket."""
        self.root = root
        self.live = live
        self.vm_id = vm_id
        self._rpctool: asyncio.Server | None = None
        self.endpoint: rpc.Endpoint | None = None
        self._deploy: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._cancel = threading.Event()
        self._packages: set[str] = set()  # package directories begun and not yet removed

    # ------------------------------------------------------------ lifecycle

    def attach(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, boot: Callable[[], Any] | None = None
    ) -> rpc.Endpoint:
        """Serve the channel.  ``boot`` (a coroutine function: a live guest's network and host
        name, which may ask the host) runs before the first heartbeat, so that a guest is
        up, as its files say, when the host sees its tools running."""
        # /var/run is a tmpfs on a real guest: what an earlier boot left there (a package
        # cut short by a crash, with its secrets) is gone when the agent starts.  With
        # var/run -> /run that is the guest's own run/vmware-imc, never the host's.
        with contextlib.suppress(OSError), GuestRoot(self.root) as guest:
            guest.rmtree(IMC_DIR)
        self._event_loop = asyncio.get_running_loop()
        self.endpoint = rpc.Endpoint(reader, writer, self.handle, name=f"agent:{self.root.name}")
        self.endpoint.start()
        # A guest with no boot step reports the state its files give from the start: read
        # now, in a worker thread, while the power-on that attached it goes on (its task's
        # client asks for the result meanwhile), not when the tools announce themselves.
        reading = None if boot is not None else self._event_loop.run_in_executor(None, self.guest_info)
        if reading is not None:
            reading.add_done_callback(_retrieved)  # a stop before the announce leaves it unread
        self._spawn(self._start(boot, reading))
        if self.vm_id:
            self._spawn(self._serve_rpctool())
        return self.endpoint

    async def _start(self, boot: Callable[[], Any] | None, reading: Awaitable[dict[str, Any]] | None) -> None:
        if boot is not None:
            try:
                await boot()
            except Exception as e:  # a guest whose network does not come up still runs its tools
                log.warning("boot: %s", e)
        self._spawn(self._announce(reading))
        self._spawn(self._heartbeat())

    def call_host_sync(self, command: str, args: str = "", timeout: float = 30.0) -> bytes:
        """An RPCI from a worker thread (the engine's, a live hook's); RpcError on failure."""
        if self.endpoint is None or self._event_loop is None:
            raise rpc.RpcError("the tools channel is not attached")
        fut = asyncio.run_coroutine_threadsafe(self.endpoint.call(command, args, timeout=timeout), self._event_loop)
        return fut.result(timeout + 1)

    def set_hostname_on_host(self, name: str) -> None:
        self.call_host_sync("guest.sethostname", name)

    def run_on_host(
        self, spec: SandboxSpec, command: Sequence[str], timeout: float, cancel: threading.Event | None
    ) -> Completed:
        """A sandbox.Runner for a live guest: the host runs ``command`` in a script sandbox of
        this guest (its tree as /, its network, no capability), at ``spec.cwd`` with
        ``spec.env``; a cancel is passed on and the run's end awaited."""
        if self.endpoint is None or self._event_loop is None:
            raise OSError("the tools channel is not attached")
        request = json.dumps({"cwd": spec.cwd, "env": dict(spec.env), "command": list(command), "timeout": timeout})
        call = self.endpoint.call("guest.script.run", request, timeout=timeout + 30)
        fut = asyncio.run_coroutine_threadsafe(call, self._event_loop)
        cancelled = False
        while True:
            try:
                reply = fut.result(0.1)
                break
            except concurrent.futures.TimeoutError:
                if cancel is not None and cancel.is_set() and not cancelled:
                    cancelled = True
                    asyncio.run_coroutine_threadsafe(self.endpoint.call("guest.script.cancel"), self._event_loop)
            except rpc.RpcError as e:
                raise OSError(str(e)) from None
        done = json.loads(reply)
        return Completed(Outcome(done["outcome"]), int(done["returncode"]), str(done["stdout"]), str(done["stderr"]))

    def _spawn(self, coro: Any) -> None:
        t = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        # A package begun and never deployed (else the deployment's own cleanup runs).
        if self._packages and (self._deploy is None or self._deploy.done()):
            with contextlib.suppress(OSError), GuestRoot(self.root) as guest:
                self._remove_packages(guest)
        if self._rpctool is not None:
            self._rpctool.close()
        for t in list(self._tasks):
            t.cancel()
        if self._deploy is not None:
            self._deploy.cancel()
        if self.endpoint is not None:
            await self.endpoint.close()

    async def _heartbeat(self) -> None:
        assert self.endpoint is not None
        while not self.endpoint.closed:
            with contextlib.suppress(rpc.RpcError):
                await self.endpoint.call("tools.heartbeat", timeout=5)
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def _announce(self, reading: Awaitable[dict[str, Any]] | None) -> None:
        with contextlib.suppress(rpc.RpcError):
            await self.report_guest_info(reading)

    async def _serve_rpctool(self) -> None:
        assert self.vm_id is not None
        self._rpctool = await asyncio.start_unix_server(self._rpctool_client, path=rpctool_address(self.vm_id))

    async def _rpctool_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One request line in, one reply line out: ``1 <result>`` or ``0 <error>``."""
        try:
            command, args = rpc.split((await reader.readline()).rstrip(b"\n"))
            if command not in RPCTOOL_COMMANDS or self.endpoint is None:
                reply = rpc.error(f"{command} is not allowed from the guest")
            else:
                try:
                    reply = rpc.ok(await self.endpoint.call(command, args, timeout=10))
                except rpc.RpcError as e:
                    reply = rpc.error(str(e))
            writer.write(reply + b"\n")
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def report_guest_info(self, reading: Awaitable[dict[str, Any]] | None = None) -> None:
        """guest.info to the host: ``reading`` (the guest's state read at boot), else read now."""
        assert self.endpoint is not None
        info = await (reading if reading is not None else asyncio.to_thread(self.guest_info))
        await self.endpoint.call("guest.info", json.dumps(info))

    def guest_info(self) -> dict[str, Any]:
        if self.live is not None:
            info: dict[str, Any] = self.live.guest_info()
            return info
        return introspect.guest_info(self.root)

    # ------------------------------------------------------------ TCLO

    async def handle(self, command: str, args: bytes) -> bytes:
        handler = _TCLO.get(command)
        if handler is None:
            return rpc.error(f"Unknown command {command}")
        answer: bytes = await handler(self, args)
        return answer

    async def _ping(self, args: bytes) -> bytes:
        return rpc.ok()

    async def _auth(self, args: bytes) -> bytes:
        try:
            user_b64, pw_b64 = args.split(b" ", 1)
            user = base64.b64decode(user_b64).decode()
            password = base64.b64decode(pw_b64).decode()
        except ValueError:
            return rpc.error("malformed guest.auth")
        uid = await asyncio.to_thread(accounts.authenticate, self.root, user, password)
        return rpc.error("invalid login") if uid is None else rpc.ok(str(uid))

    async def _begin(self, args: bytes) -> bytes:
        if self._deploy is not None and not self._deploy.done():
            return rpc.error("a deployment is already running")
        rel = f"{IMC_DIR}/{secrets.token_hex(8)}"
        try:
            with GuestRoot(self.root) as guest:
                self._remove_packages(guest)  # one the host began but never deployed
                guest.mkdir(IMC_DIR, 0o755, parents=True, exist_ok=True)
                guest.mkdir(rel, 0o700)
        except OSError as e:
            return rpc.error(f"cannot create the package directory: {e.strerror}")
        self._packages.add(rel)
        return rpc.ok("/" + rel)

    async def _put(self, args: bytes) -> bytes:
        name, sep, data = args.partition(b"\0")
        if not sep:
            return rpc.error("malformed file.put")
        try:
            await asyncio.to_thread(self._write_private, name.decode(), data)
        except (OSError, UnicodeDecodeError) as e:
            return rpc.error(f"cannot write {name!r}: {e}")
        return rpc.ok()

    def _write_private(self, path: str, data: bytes) -> None:
        # A deploy package (in a directory deployPkg.begin made) lives as long as its
        # deploy: not fsync'd.  Anything else the host puts is.
        transient = any(path.startswith(f"/{rel}/") for rel in self._packages)
        with GuestRoot(self.root) as guest:
            guest.write_atomic(path, data, 0o600, durable=not transient)

    async def _deploy_cmd(self, args: bytes) -> bytes:
        if self._deploy is not None and not self._deploy.done():
            return rpc.error("a deployment is already running")
        pkg = args.decode(errors="replace")
        with GuestRoot(self.root) as guest:
            found = guest.is_file(pkg)
        if not found:
            return rpc.error(f"package {pkg} not found")
        self._cancel = threading.Event()
        self._deploy = asyncio.get_running_loop().create_task(self._run_deploy(pkg, self._cancel))
        return rpc.ok()

    async def _abort(self, args: bytes) -> bytes:
        if self._deploy is None or self._deploy.done():
            return rpc.error("no deployment is running")
        # The engine runs in a thread: it stops at its next step (killing a running
        # script), writes nothing, and the deployment reports the failure "aborted".
        self._cancel.set()
        return rpc.ok()

    async def _network_start(self, args: bytes) -> bytes:
        """StartGuestNetwork_Task: start the guest's network service (DHCP on a live guest)."""
        if self.live is None or not hasattr(self.live, "network_start"):
            return rpc.error("this guest has no network service to start")
        result = await self.live.network_start()
        with contextlib.suppress(rpc.RpcError):
            await self.report_guest_info()
        return rpc.ok(result)

    # ------------------------------------------------------------ deployment

    async def _update_state(
        self,
        state: DeployState,
        code: DeployError = DeployError.SUCCESS,
        log_path: str = "",
        kind: FailureKind | None = None,
        msg: str = "",
    ) -> None:
        assert self.endpoint is not None
        await self.endpoint.call("deployPkg.update.state", update_state(state, code, log_path, kind, msg))

    async def _run_deploy(self, pkg: str, cancel: threading.Event) -> None:
        # Not closed here: on power off the engine's thread may still hold these roots;
        # their fds close when the last reference goes (GuestRoot's finalizer).
        guest = GuestRoot(self.root)
        work = pkg.rstrip("/").rpartition("/")[0] or "/"  # the package's own directory
        try:
            await self._update_state(DeployState.RUNNING)
            code, log_loc, kind, msg = await self._deploy_in(guest, pkg, work, cancel)
            self._remove_package(guest, work)  # before DONE: the host sees a guest without it
            self._remove_packages(guest)
            await self._update_state(DeployState.DONE, code, log_loc, kind, msg)
        except asyncio.CancelledError:  # the agent is stopping (power off)
            cancel.set()
            raise
        except rpc.RpcError:
            pass
        finally:
            self._remove_package(guest, work)
            self._remove_packages(guest)

    def _remove_packages(self, guest: GuestRoot) -> None:
        """Every package directory this agent began (a deploy that never came included)."""
        for rel in list(self._packages):
            self._remove_package(guest, rel)
            self._packages.discard(rel)

    @staticmethod
    def _remove_package(guest: GuestRoot, work: str) -> None:
        """The package holds secrets (cust.cfg -PASS): whatever the outcome (success,
        failure, abort, power off), its directory leaves the guest, as VMware Tools removes
        it.  Only a directory below /var/run/vmware-imc is ever removed."""
        with contextlib.suppress(OSError):
            if guest.realpath(work).startswith(guest.realpath(IMC_DIR).rstrip("/") + "/"):
                guest.rmtree(work)

    async def _deploy_in(
        self, guest: GuestRoot, pkg: str, work: str, cancel: threading.Event
    ) -> tuple[DeployError, str, FailureKind | None, str]:
        """Extract and apply; (error code, log location, failure kind, message) for the DONE state."""
        try:
            data = await asyncio.to_thread(guest.read_bytes, pkg)
            if data is None:
                raise deploypkg.DeployPkgError(f"{pkg} is not a file")
            pkg_root = guest.subroot(work)
            await asyncio.to_thread(deploy.extract, data, pkg_root)
        except (deploypkg.DeployPkgError, OSError) as e:
            return DeployError.DEPLOY_FAILED, "", FailureKind.PACKAGE, f"bad package: {e}"
        try:
            # A live guest's script runs in the guest's network; its agent may not make the
            # sandbox itself: the host does (run_on_host).  A tree's runs here, without network.
            runner = self.run_on_host if self.live is not None else run_local
            result = await asyncio.to_thread(
                deploy.apply_package, guest, pkg_root, report=self._gc_status_sync, cancel=cancel, script_runner=runner
            )
            if result.error_code == 0 and self.live is not None:
                try:
                    await self.live.apply_network(self.root)
                except Exception as e:  # live apply errors are network errors to the host
                    result.error_code, result.failure, result.message = (
                        int(DeployError.DEPLOY_FAILED),
                        FailureKind.NETWORK,
                        str(e),
                    )
            with contextlib.suppress(rpc.RpcError):
                await self.report_guest_info()
        except (asyncio.CancelledError, rpc.RpcError):
            raise
        except Exception as e:
            log.exception("deployment failed in %s", self.root)
            return DeployError.DEPLOY_FAILED, "", FailureKind.UNKNOWN, f"{type(e).__name__}: {e}"
        await self._report_changes(result)
        log_loc = "/" + str(result.log_path.relative_to(self.root)) if result.log_path else ""
        if result.error_code == 0:
            return DeployError.SUCCESS, log_loc, None, ""
        return DeployError(result.error_code), log_loc, result.failure or FailureKind.UNKNOWN, result.message

    async def _report_changes(self, result: Any) -> None:
        """What the customization changed (each file before and after, no secret's content)
        and its log, for the host's record of it (gosc.formats.custrecord); a Windows
        result has neither.  Only a customization that succeeded changed files."""
        assert self.endpoint is not None
        files = [
            {"path": f.path, "before": f.before, "after": f.after, "secret": f.secret}
            for f in (getattr(result, "files", None) or [] if result.error_code == 0 else [])
        ]
        with contextlib.suppress(rpc.RpcError):
            await self.endpoint.call("deployPkg.changes", custrecord.encode(files, str(getattr(result, "log", ""))))

    def _gc_status_sync(self, key: str, value: str) -> None:
        """Engine callback (runs in the engine's thread) for guestinfo.gc.status."""
        if self.endpoint is None or self._event_loop is None:
            return
        fut = asyncio.run_coroutine_threadsafe(self.endpoint.call("info-set", f"{key} {value}"), self._event_loop)
        with contextlib.suppress(Exception):
            fut.result(timeout=10)


_TCLO: dict[str, Callable[[ToolsAgent, bytes], Any]] = {
    "ping": ToolsAgent._ping,
    "guest.auth": ToolsAgent._auth,
    "deployPkg.begin": ToolsAgent._begin,
    "file.put": ToolsAgent._put,
    "deployPkg.deploy": ToolsAgent._deploy_cmd,
    "deployPkg.abort": ToolsAgent._abort,
    "network.start": ToolsAgent._network_start,
}


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Mark a future's failure as seen (what it raised is raised again where it is awaited)."""
    if not future.cancelled():
        future.exception()
