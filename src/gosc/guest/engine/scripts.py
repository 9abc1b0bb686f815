"""Custom scripts (``[CUSTOM-SCRIPT] SCRIPT-NAME``) and the marker file.

Scripts are off unless the guest opts in: ``[deployPkg] enable-custom-scripts = true``
in <root>/etc/vmware-tools/tools.conf; when tools.conf does not say, cust.cfg's
``DEFAULT-RUN-POST-CUST-SCRIPT = yes`` decides.  A script sent to a guest that has
them off fails the customization with error 6 (CUST_SCRIPT_DISABLED) before anything
changes.

Execution: ``/bin/sh <script> precustomization`` before the engine changes files and
``/bin/sh <script> postcustomization`` after they are written, cwd = the package
directory, environment ``GOSC_GUEST_ROOT=<root>``.  Scripts are *not* chrooted: for a
rootfs guest they run on the host that runs the engine and must use
$GOSC_GUEST_ROOT to reach the guest's files (on a live guest the root is "/").

Marker: with ``MARKER-ID = X``, /.markerfile-X.txt existing means this customization
already ran (a clone of a customized VM): scripts and the password step are skipped;
otherwise they run and the marker is created.  Network, hosts, DNS and time always run.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

from gosc.customization.custcfg_model import CustConfig

from ..guestpath import GuestRoot, opened
from .errors import ABORTED, CONFIG, SCRIPT, SCRIPT_DISABLED, EngineError, ErrorCode
from .log import EngineLog

TOOLS_CONF = "etc/vmware-tools/tools.conf"
_MARKER_ID = re.compile(r"^[A-Za-z0-9._-]+$")


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
            SCRIPT_DISABLED,
            "custom scripts are disabled in this guest: set [deployPkg] enable-custom-scripts = true "
            "in /etc/vmware-tools/tools.conf",
            ErrorCode.CUST_SCRIPT_DISABLED,
        )


def marker_path(marker_id: str) -> str:
    if not _MARKER_ID.match(marker_id):
        raise EngineError(CONFIG, f"[MISC] MARKER-ID: unusable marker id {marker_id!r}")
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
        raise EngineError(CONFIG, f"[CUSTOM-SCRIPT] SCRIPT-NAME: unusable name {name!r}")
    path = pkg_dir / name
    if not path.is_file():
        raise EngineError(CONFIG, f"[CUSTOM-SCRIPT] SCRIPT-NAME: {name} is not in the package")
    return path


def _command(root: Path, script: Path, phase: str) -> tuple[list[str], Path, bool]:
    """How to run the script: inside the guest (chroot into its tree, as the guest's own
    shell would run it) when the tree has a shell and the package lies inside the tree and
    we may chroot; else on the host with the package directory as working directory."""
    real_root = Path(os.path.realpath(root))
    real_script = Path(os.path.realpath(script))
    inside = real_script.is_relative_to(real_root) and real_root != Path("/")
    if inside and os.geteuid() == 0 and (real_root / "bin/sh").exists():
        guest_script = "/" + str(real_script.relative_to(real_root))
        return (["chroot", str(real_root), "/bin/sh", "-c", 'cd "${0%/*}" && exec /bin/sh "$0" "$1"',
                 guest_script, phase], real_root, True)  # fmt: skip
    return ["/bin/sh", str(script), phase], script.parent, False


def run(root: Path, pkg_dir: Path, cfg: CustConfig, phase: str, log: EngineLog, timeout: float = 100,
        cancel: threading.Event | None = None) -> None:
    script = script_path(pkg_dir, cfg)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "GOSC_GUEST_ROOT": str(root), "LANG": "C"}
    argv, cwd, chroot = _command(root, script, phase)
    log.info(f"running {script.name} {phase}" + (" in the guest (chroot)" if chroot else " (guest tree has no /bin/sh: on the host)"))
    # Its own process group, so that a timeout or an abort ends the script's children too.
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    deadline = time.monotonic() + timeout
    while True:
        try:
            out, err = proc.communicate(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.is_set():
                _kill(proc)
                raise EngineError(ABORTED, f"{phase} script killed: customization aborted") from None
            if time.monotonic() > deadline:
                _kill(proc)
                raise EngineError(SCRIPT, f"{phase} script did not finish within {timeout:g} s") from None
    for stream, text in (("stdout", out), ("stderr", err)):
        if text.strip():
            log.info(f"{phase} {stream}:\n{text.rstrip()}")
    if proc.returncode != 0:
        raise EngineError(SCRIPT, f"{phase} script exited with status {proc.returncode}")


def _kill(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
