"""cloud-init raw data (``[CLOUDINIT] METADATA/USERDATA``).

When cust.cfg names cloud-init metadata, VMware hands the whole customization to
cloud-init: the engine checks the metadata (JSON or YAML mapping, at most 512 KiB)
and places cust.cfg, metadata and userdata in /var/run/vmware-imc/ of the guest,
where cloud-init's VMware (OVF) datasource looks for them on its next run.  Malformed
metadata fails with error 9 (CLOUDINIT_WRONG_META_FORMAT); a guest without cloud-init
(no /usr/bin/cloud-init and no /etc/cloud) fails with error 8
(CLOUDINIT_NOT_SUPPORT_RAWDATA).

For traditional customization of a guest that has cloud-init, the engine writes
/etc/cloud/cloud.cfg.d/99-disable-network-config.cfg so cloud-init does not
overwrite the customized network on the next boot.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from gosc.formats.custcfg_model import CustConfig

from ..guestpath import GuestRoot
from .errors import EngineError, ErrorCode, FailureKind
from .files import ChangeSet
from .log import EngineLog

MAX_METADATA = 512 * 1024
DISABLE_NETWORK_CFG = "/etc/cloud/cloud.cfg.d/99-disable-network-config.cfg"


def has_cloud_init(guest: GuestRoot) -> bool:
    return guest.exists("/usr/bin/cloud-init") or guest.is_dir("/etc/cloud")


def imc_dir(cs: ChangeSet) -> str:
    # /var/run is usually a symlink to /run: name the directory it means in the guest.
    return "/run/vmware-imc" if cs.guest.is_symlink("/var/run") else "/var/run/vmware-imc"


def load_metadata(text: str) -> dict[str, Any]:
    """Parse metadata as cloud-init does (JSON, else YAML); must be a mapping."""
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise EngineError(
                FailureKind.METADATA,
                f"cloud-init metadata is neither JSON nor YAML: {exc}",
                ErrorCode.CLOUDINIT_WRONG_META_FORMAT,
            ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise EngineError(
            FailureKind.METADATA,
            f"cloud-init metadata must be a mapping, not {type(data).__name__}",
            ErrorCode.CLOUDINIT_WRONG_META_FORMAT,
        )
    return data


def _package_file(pkg: GuestRoot, name: str, key: str) -> bytes:
    if "/" in name or name in (".", ".."):
        raise EngineError(FailureKind.CONFIG, f"[CLOUDINIT] {key}: unusable file name {name!r}")
    data = pkg.read_bytes(name)
    if data is None:
        raise EngineError(FailureKind.CONFIG, f"[CLOUDINIT] {key}: {name} is not in the package")
    return data


def apply(cfg: CustConfig, guest: GuestRoot, pkg: GuestRoot, cs: ChangeSet, log: EngineLog) -> None:
    assert cfg.cloudinit_metadata
    raw = _package_file(pkg, cfg.cloudinit_metadata, "METADATA")
    if len(raw) > MAX_METADATA:
        raise EngineError(
            FailureKind.METADATA,
            f"cloud-init metadata is {len(raw)} bytes, more than {MAX_METADATA}",
            ErrorCode.CLOUDINIT_WRONG_META_FORMAT,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise EngineError(
            FailureKind.METADATA, "cloud-init metadata is not UTF-8 text", ErrorCode.CLOUDINIT_WRONG_META_FORMAT
        ) from None
    load_metadata(text)
    if not has_cloud_init(guest):
        raise EngineError(
            FailureKind.CLOUDINIT_MISSING,
            "cloud-init metadata was sent but the guest has no cloud-init",
            ErrorCode.CLOUDINIT_NOT_SUPPORT_RAWDATA,
        )
    target = imc_dir(cs)
    cs.write(f"{target}/cust.cfg", _package_file(pkg, "cust.cfg", "cust.cfg"), 0o600)
    cs.write(f"{target}/{cfg.cloudinit_metadata}", raw, 0o600)
    if cfg.cloudinit_userdata:
        cs.write(f"{target}/{cfg.cloudinit_userdata}", _package_file(pkg, cfg.cloudinit_userdata, "USERDATA"), 0o600)
    log.info(f"cloud-init raw data placed in {target} for cloud-init's VMware datasource")


def keep_network(guest: GuestRoot, cs: ChangeSet, log: EngineLog) -> None:
    if has_cloud_init(guest) and guest.is_dir(DISABLE_NETWORK_CFG.rsplit("/", 1)[0]):
        cs.write(DISABLE_NETWORK_CFG, "# written by gosc guest customization\nnetwork: {config: disabled}\n", 0o644)
        log.info("cloud-init network configuration disabled so it keeps the customized network")
