"""Convert a customization spec to a cloud-init NoCloud seed: the spec read on the server
side (gosc.customization.nocloud), the seed written by the guest side's renderer
(gosc.guest.engine.nocloud).  ``gosc spec convert`` and the server's ``/gosc/nocloud``
both call ``convert``; only the command writes files and ISOs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from pyVmomi import vim

from .customization import nocloud as plan_nocloud
from .formats import rules
from .formats.nocloud import SEED_FILES, Seed
from .guest.engine import nocloud as render_nocloud
from .guest.engine.errors import EngineError
from .vim.faults import invalid_argument

# Files with a password hash in them are the operator's only.
_MODES = {"meta-data": 0o644, "user-data": 0o600, "network-config": 0o644}


def parse_nics(values: Sequence[str], path: str = "--mac") -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """``MAC`` or ``MAC=NAME`` per NIC, in order: the MACs and the interface names
    (None: ethN).  InvalidArgument for a malformed MAC or name."""
    macs: list[str] = []
    names: list[str | None] = []
    for i, value in enumerate(values):
        mac, sep, name = value.partition("=")
        mac = mac.strip().lower().replace("-", ":")
        if not rules.is_mac(mac):
            raise invalid_argument(f"{path}[{i}]", f"'{value}' is not a MAC address (or MAC=NAME)")
        if sep and not (0 < len(name) <= 15 and name.isascii() and name.replace("-", "").replace("_", "").isalnum()):
            raise invalid_argument(f"{path}[{i}]", f"'{name}' is not an interface name")
        macs.append(mac)
        names.append(name if sep else None)
    return tuple(macs), tuple(names)


def convert(
    spec: vim.vm.customization.Specification,
    *,
    nics: Sequence[str] = (),
    vm_name: str | None = None,
    instance_id: str | None = None,
    salt: str | None = None,
) -> Seed:
    """The NoCloud seed of ``spec``; a vSphere fault for a spec with a problem."""
    macs, names = parse_nics(nics)
    seed_input = plan_nocloud.plan(spec, macs=macs, iface_names=names, vm_name=vm_name, instance_id=instance_id)
    try:
        if seed_input.raw_metadata is None:
            network = render_nocloud.network_config(seed_input)
            plan_nocloud.dns_gap(seed_input, render_nocloud.carries_dns(network))
        return render_nocloud.render(seed_input, salt=salt)
    except (ValueError, EngineError) as e:
        raise invalid_argument("spec", str(e)) from None


def write_seed(seed: Seed, out: Path) -> list[Path]:
    """The seed's files in ``out`` (made if missing), each written whole before it is renamed."""
    out.mkdir(mode=0o755, parents=True, exist_ok=True)
    written = []
    for name, text in seed.files().items():
        target = out / name
        tmp = out / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _MODES[name])
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, _MODES[name])
        os.replace(tmp, target)
        written.append(target)
    return written


def write_iso(out: Path, iso: Path) -> str:
    """A ``cidata`` ISO 9660 volume of the seed in ``out``, as cloud-init's NoCloud looks for
    it; made by cloud-image-utils' cloud-localds, else by genisoimage.  The tool used."""
    out, iso = out.resolve(), iso.resolve()
    if shutil.which("cloud-localds"):
        cmd = ["cloud-localds", "--network-config", str(out / "network-config"), str(iso)]
        cmd += [str(out / "user-data"), str(out / "meta-data")]
    elif shutil.which("genisoimage"):
        cmd = ["genisoimage", "-quiet", "-output", str(iso), "-volid", "cidata", "-joliet", "-rock"]
        cmd += list(SEED_FILES)
    else:
        raise FileNotFoundError("--iso needs cloud-localds (Debian's cloud-image-utils) or genisoimage")
    done = subprocess.run(cmd, cwd=out, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise OSError(f"{cmd[0]} failed: {last[0]}")
    return cmd[0]
