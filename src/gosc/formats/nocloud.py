"""What a cloud-init NoCloud seed is made from, and what a conversion could not carry.

The server side (gosc.customization.nocloud) reads a CustomizationSpec into a
``SeedInput``: the same cust.cfg model vCenter's rendering gives the guest engine (the
network, host name, time zone, root password, script), plus what only a seed needs; the
guest side (gosc.guest.engine.nocloud) renders it with the engine's one network model.
Everything the spec says that a seed cannot is a ``Gap``: a seed with gaps is incomplete.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .custcfg_model import CustConfig

SEED_FILES = ("meta-data", "user-data", "network-config")
SCRIPT_NAME = "customize.sh"  # the name the script is run under ($0), as in VMware's package


@dataclass(frozen=True)
class Gap:
    """A property of the spec that the seed does not carry, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class SeedInput:
    cfg: CustConfig  # hostname None: the spec's name needs a value from outside
    instance_id: str
    # Interface name per MAC, in the VM's NIC order.  by_mac: match each by its MAC and name
    # it (set-name); otherwise the names are the interfaces (eth0, eth1, ...) in order.
    names: dict[str, str] = field(default_factory=dict)
    by_mac: bool = True
    windows: bool = False
    script: str | None = None  # LinuxPrep.scriptText
    run_once: list[str] = field(default_factory=list)  # Sysprep GuiRunOnce commands
    raw_metadata: str | None = None  # CloudinitPrep: cloud-init's own data, passed on
    raw_userdata: str | None = None
    gaps: list[Gap] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def admin_user(self) -> str:
        return "Administrator" if self.windows else "root"

    @property
    def complete(self) -> bool:
        return not self.gaps


@dataclass
class Seed:
    """The three files of a NoCloud seed, and the report."""

    meta_data: str
    user_data: str
    network_config: str
    gaps: list[Gap]
    notes: list[str]

    @property
    def complete(self) -> bool:
        return not self.gaps

    def files(self) -> dict[str, str]:
        return dict(zip(SEED_FILES, (self.meta_data, self.user_data, self.network_config), strict=True))

    def report(self) -> list[str]:
        """Human lines: the notes, each gap, and the verdict."""
        lines = [f"note: {n}" for n in self.notes] + [f"not converted: {g}" for g in self.gaps]
        lines.append(
            "complete: every setting of the spec is in the seed"
            if self.complete
            else f"incomplete: {len(self.gaps)} setting(s) of the spec are not in the seed"
        )
        return lines
