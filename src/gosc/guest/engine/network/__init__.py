"""Network renderers, one per family, all reading ``model.NetworkConfig``."""

from __future__ import annotations

from collections.abc import Callable

from ..distro import Distro
from ..files import ChangeSet
from ..log import EngineLog
from . import eni, netplan, networkd, nm_keyfile, suse, sysconfig
from .model import NetworkConfig, build

Renderer = Callable[[NetworkConfig, ChangeSet, EngineLog], None]

RENDERERS: dict[str, Renderer] = {
    "ubuntu": netplan.render,
    "debian": eni.render,
    "sysconfig": sysconfig.render,
    "networkmanager": nm_keyfile.render,
    "suse": suse.render,
    "photon": networkd.render,
}


def render(distro: Distro, net: NetworkConfig, cs: ChangeSet, log: EngineLog) -> None:
    RENDERERS[distro.family](net, cs, log)


__all__ = ["RENDERERS", "NetworkConfig", "build", "render"]
