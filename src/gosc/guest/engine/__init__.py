"""The in-guest customization engine: cust.cfg -> one model -> the family's files.

``apply(root, pkg_dir)`` customizes the guest tree at ``root`` (``/`` on a live guest)
from an extracted deploy package in ``pkg_dir``.  Order, as VMware's engine runs it:

1. parse cust.cfg; detect the family from /etc/os-release;
2. cloud-init raw data, if any, is validated and handed to cloud-init (nothing else);
3. refuse a custom script the guest has not enabled (error 6), before any change;
4. precustomization script (unless the marker file says this already ran);
5. stage network, hosts/hostname, DNS, time zone, password, marker file;
6. commit all staged files atomically (temp files, fsync, renames) - or, for a dry
   run, only compute the unified diff;
7. postcustomization script.

The log goes to <root>/var/log/vmware-imc/toolsDeployPkg.log (appended; secrets
masked); a dry run writes nothing at all.  With ``POST-GC-STATUS = yes`` the optional
``report(key, value)`` callback receives ``guestinfo.gc.status`` = "Started", then
"Successful" or the error message.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gosc.formats.custcfg import CustCfgError, parse
from gosc.formats.custcfg_model import CustConfig

from ..guestpath import GuestRoot, opened
from ..sandbox import Runner
from ..sandbox import run as run_local
from . import cloudinit, identity, interfaces, network, password, scripts, timezone
from .distro import Distro, UnsupportedDistro, detect
from .errors import EngineError, ErrorCode, FailureKind
from .files import ChangeSet, CommitError, FileSnapshot
from .log import LOG_PATH, EngineLog

__all__ = ["LOG_PATH", "EngineResult", "ErrorCode", "apply", "apply_cfg"]

Report = Callable[[str, str], None]


@dataclass
class EngineResult:
    error_code: int  # VMware deployPkg error code, 0 = success
    failure: FailureKind | None  # None on success
    message: str
    log_path: Path | None  # host path of the guest's log file; None for a dry run
    changes: list[str] = field(default_factory=list)  # guest paths changed (or that would be)
    diff: str = ""  # unified diff of the changes (dry run and real run alike)
    family: str | None = None
    log: str = ""  # the log text (secrets masked)
    files: list[FileSnapshot] = field(default_factory=list)  # each change's before and after (no secrets)

    @property
    def ok(self) -> bool:
        return self.error_code == 0


def apply(
    root: Path | GuestRoot,
    pkg_dir: Path | GuestRoot,
    *,
    dry_run: bool = False,
    report: Report | None = None,
    script_timeout: float = 100,
    password_salt: str | None = None,
    cancel: threading.Event | None = None,
    script_runner: Runner = run_local,
) -> EngineResult:
    """``cancel`` (AbortCustomization_Task): once set, a running script is killed and
    nothing is committed; the result is the failure ``aborted``.  Every file of the guest
    and of the package is reached through gosc.guest.guestpath, each tree as its own root.
    ``script_runner``: how the custom script's sandbox is run (gosc.guest.sandbox.run here; a
    live guest's agent asks the host, which runs it in the guest's network namespace)."""
    return _open_and_run(
        root, pkg_dir, "cust.cfg", dry_run, report, script_timeout, password_salt, cancel, script_runner
    )


def apply_cfg(
    root: Path | GuestRoot,
    cust_cfg_path: Path,
    *,
    dry_run: bool = False,
    report: Report | None = None,
    script_timeout: float = 100,
    password_salt: str | None = None,
    cancel: threading.Event | None = None,
    script_runner: Runner = run_local,
) -> EngineResult:
    """Like apply(), for a lone cust.cfg; files it names are looked up beside it."""
    cust_cfg_path = Path(cust_cfg_path)
    return _open_and_run(
        root,
        cust_cfg_path.parent,
        cust_cfg_path.name,
        dry_run,
        report,
        script_timeout,
        password_salt,
        cancel,
        script_runner,
    )


def _open_and_run(
    root: Path | GuestRoot,
    pkg_dir: Path | GuestRoot,
    cfg_name: str,
    dry_run: bool,
    report: Report | None,
    script_timeout: float,
    salt: str | None,
    cancel: threading.Event | None,
    script_runner: Runner,
) -> EngineResult:
    try:
        with opened(root) as guest:
            try:
                with opened(pkg_dir) as pkg:
                    return _run(guest, pkg, cfg_name, dry_run, report, script_timeout, salt, cancel, script_runner)
            except FileNotFoundError as exc:  # the package directory itself is gone
                return EngineResult(
                    int(ErrorCode.PKG_NOT_FOUND), FailureKind.CONFIG, f"cannot open {exc.filename}", None
                )
    except FileNotFoundError as exc:
        return EngineResult(int(ErrorCode.DEPLOY_FAILED), FailureKind.UNKNOWN, f"no guest tree at {exc.filename}", None)


def _run(
    guest: GuestRoot,
    pkg: GuestRoot,
    cfg_name: str,
    dry_run: bool,
    report: Report | None,
    script_timeout: float,
    salt: str | None,
    cancel: threading.Event | None,
    script_runner: Runner,
) -> EngineResult:
    log = EngineLog()
    log.info(f"gosc guest customization of {guest.path} from {pkg.path}{' (dry run)' if dry_run else ''}")
    cfg: CustConfig | None = None
    result = EngineResult(int(ErrorCode.SUCCESS), None, "customization succeeded", None)

    def status(value: str) -> None:
        if report and cfg is not None and cfg.post_gc_status and not dry_run:
            report("guestinfo.gc.status", value)

    try:
        cfg = _load(pkg, cfg_name, log)
        status("Started")
        distro = _detect(guest)
        result.family = distro.family
        log.info(f"guest is {distro.pretty_name} (family {distro.family})")
        cs = ChangeSet(guest)
        _steps(
            cfg,
            distro,
            guest,
            pkg,
            cs,
            log,
            dry_run,
            script_timeout,
            salt,
            result,
            cancel or threading.Event(),
            script_runner,
        )
    except EngineError as exc:
        result.error_code, result.failure, result.message = int(exc.code), exc.failure, log.mask(exc.message)
        log.error(f"customization failed ({exc.failure}): {exc.message}")
    except Exception as exc:  # a bug or an OS error: still report, never half-write
        msg = log.mask(f"{exc.__class__.__name__}: {exc}")
        result.error_code, result.failure, result.message = int(ErrorCode.DEPLOY_FAILED), FailureKind.UNKNOWN, msg
        log.error(f"customization failed unexpectedly: {msg}")
    if result.error_code == 0:
        log.info("customization succeeded")
    status("Successful" if result.error_code == 0 else result.message)
    result.log = log.text()
    if not dry_run:
        try:
            result.log_path = log.write(guest)
        except OSError:
            result.log_path = None
    return result


def _load(pkg: GuestRoot, cfg_name: str, log: EngineLog) -> CustConfig:
    try:
        text = pkg.read_text(cfg_name, errors="strict")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise EngineError(FailureKind.CONFIG, f"cannot read {cfg_name}: {reason}", ErrorCode.PKG_NOT_FOUND) from None
    if text is None:
        raise EngineError(FailureKind.CONFIG, f"cannot read {cfg_name}: no such file", ErrorCode.PKG_NOT_FOUND)
    try:
        cfg = parse(text)
    except CustCfgError as exc:
        raise EngineError(FailureKind.CONFIG, f"cust.cfg: {exc}") from None
    if cfg.admin_password:
        log.add_secret(cfg.admin_password)
        log.add_secret(base64.b64encode(cfg.admin_password.encode()).decode())
        log.add_secret(base64.b64encode((cfg.admin_password + "\n").encode()).decode())
    return cfg


def _detect(guest: GuestRoot) -> Distro:
    try:
        return detect(guest)
    except UnsupportedDistro as exc:
        raise EngineError(FailureKind.CONFIG, str(exc), ErrorCode.NOT_SUPPORT) from None


def _steps(
    cfg: CustConfig,
    distro: Distro,
    guest: GuestRoot,
    pkg: GuestRoot,
    cs: ChangeSet,
    log: EngineLog,
    dry_run: bool,
    script_timeout: float,
    salt: str | None,
    result: EngineResult,
    cancel: threading.Event,
    script_runner: Runner,
) -> None:
    # Scripts are programs, not file operations: they get host paths of the resolved trees.
    root, pkg_dir = guest.path, pkg.path
    if cfg.cloudinit_metadata:
        cloudinit.apply(cfg, guest, pkg, cs, log)
        _finish(cs, dry_run, result, cancel)
        return

    scripts.check_enabled(guest, cfg, log)
    first_run = not scripts.already_ran(guest, cfg)
    if not first_run:
        log.info(f"marker /.markerfile-{cfg.marker_id}.txt exists: scripts and password are skipped")
    run_script = bool(cfg.script_name) and first_run
    if run_script:
        scripts.script_path(pkg_dir, cfg)  # fail early when the script is missing
        if dry_run:
            log.info(f"dry run: would run {cfg.script_name} precustomization")
        else:
            scripts.check_runnable(root, pkg_dir, log, script_runner)  # a guest without a shell: fail before any change
            scripts.run(root, pkg_dir, cfg, "precustomization", log, script_timeout, cancel, script_runner)

    cs.section = FailureKind.NETWORK
    if cfg.networking and cfg.nics:
        try:
            net = network.build(cfg, interfaces.scan(guest))
            network.render(distro, net, cs, log)
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(FailureKind.NETWORK, f"network configuration failed: {exc}") from exc
        cloudinit.keep_network(guest, cs, log)
    else:
        log.info("no NICs to configure (NETWORKING = no or no [NIC-CONFIG])")

    cs.section = FailureKind.IDENTITY
    try:
        identity.apply(cfg, distro, cs, log)
        timezone.apply(cfg, distro, cs, log)
        password.apply(cfg, cs, log, allowed=first_run, salt=salt)
    except EngineError:
        raise
    except Exception as exc:
        raise EngineError(FailureKind.IDENTITY, f"identity configuration failed: {exc}") from exc

    if cfg.marker_id and first_run:
        cs.write(scripts.marker_path(cfg.marker_id), "", 0o644)
    _finish(cs, dry_run, result, cancel)

    if run_script:
        if dry_run:
            log.info(f"dry run: would run {cfg.script_name} postcustomization")
        else:
            scripts.run(root, pkg_dir, cfg, "postcustomization", log, script_timeout, cancel, script_runner)


def _finish(cs: ChangeSet, dry_run: bool, result: EngineResult, cancel: threading.Event) -> None:
    result.diff = cs.diff()
    result.changes = cs.paths()
    result.files = cs.snapshots()
    if cancel.is_set():
        raise EngineError(FailureKind.ABORTED, "customization aborted before its changes were written")
    if not dry_run:
        try:
            cs.commit()
        except CommitError as exc:
            raise EngineError(exc.section, str(exc)) from exc
