"""Network formats, one per family: each renders ``model.NetworkConfig`` into the guest's
files and reads its own files back into one (guest.net, a live guest's boot)."""

from __future__ import annotations

from collections.abc import Callable

from ...guestpath import GuestRoot
from ..distro import Distro, UnsupportedDistro, detect
from ..files import ChangeSet
from ..log import EngineLog
from . import eni, netplan, networkd, nm_keyfile, suse, sysconfig
from .model import NetworkConfig, build

Renderer = Callable[[NetworkConfig, ChangeSet, EngineLog], None]
Reader = Callable[[GuestRoot], NetworkConfig]

RENDERERS: dict[str, Renderer] = {
    "ubuntu": netplan.render,
    "debian": eni.render,
    "sysconfig": sysconfig.render,
    "networkmanager": nm_keyfile.render,
    "suse": suse.render,
    "photon": networkd.render,
}


READERS: dict[str, Reader] = {
    "ubuntu": netplan.read,
    "debian": eni.read,
    "sysconfig": sysconfig.read,
    "networkmanager": nm_keyfile.read,
    "suse": suse.read,
    "photon": networkd.read,
}


def read(guest: GuestRoot) -> NetworkConfig:
    """What the guest's network files say, read by its family's format (from os-release,
    as the engine chooses the renderer); no interfaces for a guest of no known family."""
    try:
        family = detect(guest).family
    except UnsupportedDistro:
        return NetworkConfig([], None, None, None)
    return READERS[family](guest)


def render(distro: Distro, net: NetworkConfig, cs: ChangeSet, log: EngineLog) -> None:
    RENDERERS[distro.family](net, cs, log)


__all__ = ["READERS", "RENDERERS", "NetworkConfig", "build", "read", "render"]
