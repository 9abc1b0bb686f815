"""How vCenter pairs a spec's nicSettingMap with the VM's NICs."""

from __future__ import annotations

from typing import Any


def ordered_adapters(spec: Any, macs: tuple[str, ...]) -> list[tuple[str, Any]]:
    """(mac, CustomizationIPSettings) per VM NIC: by MAC where the mapping names one,
    else in order, as vCenter pairs nicSettingMap with the VM's NICs."""
    maps = list(spec.nicSettingMap or [])
    by_mac = {m.macAddress.lower(): m for m in maps if m.macAddress}
    unnamed = iter(m for m in maps if not m.macAddress)
    out = []
    for mac in macs:
        m = by_mac.get(mac) or next(unnamed, None)
        if m is not None:
            out.append((mac, m.adapter))
    return out
