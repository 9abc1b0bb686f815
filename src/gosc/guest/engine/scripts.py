"""Custom scripts (``[CUSTOM-SCRIPT] SCRIPT-NAME``) and the marker file.

Scripts are off unless the guest opts in: ``[deployPkg] enable-custom-scripts = true``
in <root>/etc/vmware-tools/tools.conf; when tools.conf does not say, cust.cfg's
``DEFAULT-RUN-POST-CUST-SCRIPT = yes`` decides.  A script sent to a guest that has
them off fails the customization with error 6 (CUST_SCRIPT_DISABLED) before anything
changes.

Execution: ``/bin/sh <script> precustomization`` before the engine changes files and
``/bin/sh <script> postcustomization`` after they are written, as guest root, inside the
guest: in a sandbox (gosc.guest.sandbox) whose ``/`` is the guest tree, working directory
the package directory's guest path (under /var/run/vmware-imc).  Nothing runs on the
host: a guest that cannot run ``/bin/sh`` (none in its tree, a Windows tree) fails the
customization before anything changes.  A tree guest's script has no network; a live
guest's runs in the guest's network namespace: its agent, itself sandboxed without the
right to make sandboxes, passes the run to the host (the ``runner``, see gosc.guest.agent).

Marker: with ``MARKER-ID = X``, /.markerfile-X.txt existing means this customization
already ran (a clone of a customized VM): scripts and the password step are skipped;
otherwise they run and the marker is created.  Network, hosts, DNS and time always run.
"""

from __future__ import annotations

import configparser
import re
import threading
from pathlib import Path

from gosc.formats.custcfg_model import CustConfig

from ..guestpath import GuestRoot, opened
from ..sandbox import Completed, Outcome, Runner, SandboxError, SandboxSpec, guest_path_of
from ..sandbox import run as run_local
from .errors import EngineError, ErrorCode, FailureKind
from .log import EngineLog

TOOLS_CONF = "etc/vmware-tools/tools.conf"
_MARKER_ID = re.compile(r"^[A-Za-z0-9._-]+$")
SCRIPT_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C", "HOME": "/root"}
NO_SHELL = "the guest has no /bin/sh to run the customization script"


def tools_conf_setting(root: Path | GuestRoot, log: EngineLog | None = None) -> bool | None:
    """``[deployPkg] enable-custom-scripts`` from the guest's tools.conf, None if unset."""
    with opened(root) as guest:
        text = guest.read_text(TOOLS_CONF)
    if text is None:
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        if log:
            log.warn(f"tools.conf is unreadable ({exc.__class__.__name__}); treating scripts as not enabled there")
        return None
    value = parser.get("deployPkg", "enable-custom-scripts", fallback=None)
    if value is None:
        return None
    return value.strip().lower() in ("true", "yes", "1", "on")


def scripts_enabled(root: Path | GuestRoot, cfg: CustConfig, log: EngineLog | None = None) -> bool:
    setting = tools_conf_setting(root, log)
    return cfg.default_run_post_script if setting is None else setting


def check_enabled(root: Path | GuestRoot, cfg: CustConfig, log: EngineLog) -> None:
    if cfg.script_name and not scripts_enabled(root, cfg, log):
        raise EngineError(
            FailureKind.SCRIPT_DISABLED,
            "custom scripts are disabled in this guest: set [deployPkg] enable-custom-scripts = true "
            "in /etc/vmware-tools/tools.conf",
            ErrorCode.CUST_SCRIPT_DISABLED,
        )


def marker_path(marker_id: str) -> str:
    if not _MARKER_ID.match(marker_id):
        raise EngineError(FailureKind.CONFIG, f"[MISC] MARKER-ID: unusable marker id {marker_id!r}")
    return f"/.markerfile-{marker_id}.txt"


def already_ran(root: Path | GuestRoot, cfg: CustConfig) -> bool:
    if not cfg.marker_id:
        return False
    with opened(root) as guest:
        return guest.lexists(marker_path(cfg.marker_id))


def script_path(pkg_dir: Path, cfg: CustConfig) -> Path:
    assert cfg.script_name
    name = cfg.script_name
    if "/" in name or name in ("", ".", ".."):
        raise EngineError(FailureKind.CONFIG, f"[CUSTOM-SCRIPT] SCRIPT-NAME: unusable name {name!r}")
    path = pkg_dir / name
    if not path.is_file():
        raise EngineError(FailureKind.CONFIG, f"[CUSTOM-SCRIPT] SCRIPT-NAME: {name} is not in the package")
    return path


def _spec(root: Path, pkg_dir: Path) -> SandboxSpec:
    try:
        cwd = guest_path_of(root, pkg_dir)
    except SandboxError as exc:
        raise EngineError(FailureKind.SCRIPT, f"the package directory is not inside the guest: {exc}") from None
    return SandboxSpec(root=root, cwd=cwd, uid=0, gid=0, env=SCRIPT_ENV)


def _run(
    runner: Runner, spec: SandboxSpec, command: list[str], timeout: float, cancel: threading.Event | None
) -> Completed:
    try:
        return runner(spec, command, timeout, cancel)
    except SandboxError as exc:
        raise EngineError(FailureKind.SCRIPT, exc.message) from None
    except OSError as exc:
        raise EngineError(FailureKind.SCRIPT, f"the script's sandbox did not start: {exc.strerror or exc}") from None


def check_runnable(root: Path, pkg_dir: Path, log: EngineLog, runner: Runner = run_local) -> None:
    """Refuse, before anything changes, a guest that cannot run ``/bin/sh``: asked of the
    guest itself (``/bin/sh -c :`` in the sandbox), so its own symlinks, loader and
    libraries decide, as they would on the VM."""
    done = _run(runner, _spec(root, pkg_dir), ["/bin/sh", "-c", ":"], 30, None)
    if done.outcome is not Outcome.EXITED or done.returncode != 0:
        detail = (done.stderr or done.stdout).strip() or f"status {done.returncode}"
        log.warn(f"/bin/sh does not run in the guest: {detail}")
        if "execvp" in detail:  # bwrap's own words when the exec itself fails
            raise EngineError(FailureKind.SCRIPT, NO_SHELL)
        raise EngineError(FailureKind.SCRIPT, f"{NO_SHELL} ({detail})")


def run(
    root: Path,
    pkg_dir: Path,
    cfg: CustConfig,
    phase: str,
    log: EngineLog,
    timeout: float = 100,
    cancel: threading.Event | None = None,
    runner: Runner = run_local,
) -> None:
    script = script_path(pkg_dir, cfg)
    spec = _spec(root, pkg_dir)
    log.info(f"running {script.name} {phase} in the guest (sandbox, cwd {spec.cwd})")
    # The sandbox leads its own process group; killing it (cancel, timeout) takes its pid 1
    # and with it every process of the sandbox's PID namespace.
    done = _run(runner, spec, ["/bin/sh", f"./{script.name}", phase], timeout, cancel)
    if done.outcome is Outcome.CANCELLED:
        raise EngineError(FailureKind.ABORTED, f"{phase} script killed: customization aborted")
    if done.outcome is Outcome.TIMED_OUT:
        raise EngineError(FailureKind.SCRIPT, f"{phase} script did not finish within {timeout:g} s")
    for stream, text in (("stdout", done.stdout), ("stderr", done.stderr)):
        if text.strip():
            log.info(f"{phase} {stream}:\n{text.rstrip()}")
    if done.returncode != 0:
        raise EngineError(FailureKind.SCRIPT, f"{phase} script exited with status {done.returncode}")
