"""Time-zone tables both sides read: the IANA database gosc carries (Linux identities)
and Microsoft's time zone indexes (Windows identities, GuiUnattended.timeZone)."""

from __future__ import annotations

import functools
import zoneinfo


@functools.lru_cache(maxsize=1)
def iana_zones() -> frozenset[str]:
    """The IANA zone names of Python's zoneinfo + tzdata.  Scanning the database costs
    ~10 ms; it does not change while a process runs."""
    return frozenset(zoneinfo.available_timezones())


# Microsoft's time zone index table (the values GuiUnattended.timeZone takes), mapped to
# the registry name of the zone that unattend's TimeZone setting wants on Vista and later.
# Where the index table's label is not a registry name on current Windows, the comment
# gives the label and the name is the zone Windows uses for it today.
WINDOWS_TIME_ZONES: dict[int, str] = {
    0: "Dateline Standard Time",
    1: "UTC-11",  # "Samoa Standard Time" (GMT-11, Midway); that name is UTC+13 today
    2: "Hawaiian Standard Time",
    3: "Alaskan Standard Time",
    4: "Pacific Standard Time",
    10: "Mountain Standard Time",
    13: "Mountain Standard Time (Mexico)",  # "Mexico Standard Time 2"
    15: "US Mountain Standard Time",  # "U.S. Mountain Standard Time"
    20: "Central Standard Time",
    25: "Canada Central Standard Time",
    30: "Central Standard Time (Mexico)",  # "Mexico Standard Time"
    33: "Central America Standard Time",
    35: "Eastern Standard Time",
    40: "US Eastern Standard Time",  # "U.S. Eastern Standard Time"
    45: "SA Pacific Standard Time",  # "S.A. Pacific Standard Time"
    50: "Atlantic Standard Time",
    55: "SA Western Standard Time",  # "S.A. Western Standard Time"
    56: "Pacific SA Standard Time",  # "Pacific S.A. Standard Time"
    60: "Newfoundland Standard Time",  # "Newfoundland and Labrador Standard Time"
    65: "E. South America Standard Time",
    70: "SA Eastern Standard Time",  # "S.A. Eastern Standard Time"
    73: "Greenland Standard Time",
    75: "Mid-Atlantic Standard Time",
    80: "Azores Standard Time",
    83: "Cape Verde Standard Time",
    85: "GMT Standard Time",
    90: "Greenwich Standard Time",
    95: "Central Europe Standard Time",
    100: "Central European Standard Time",
    105: "Romance Standard Time",
    110: "W. Europe Standard Time",
    113: "W. Central Africa Standard Time",
    115: "E. Europe Standard Time",
    120: "Egypt Standard Time",
    125: "FLE Standard Time",
    130: "GTB Standard Time",
    135: "Israel Standard Time",
    140: "South Africa Standard Time",
    145: "Russian Standard Time",
    150: "Arab Standard Time",
    155: "E. Africa Standard Time",
    158: "Arabic Standard Time",
    160: "Iran Standard Time",
    165: "Arabian Standard Time",
    170: "Caucasus Standard Time",
    175: "Afghanistan Standard Time",  # "Transitional Islamic State of Afghanistan Standard Time"
    180: "Ekaterinburg Standard Time",
    185: "West Asia Standard Time",
    190: "India Standard Time",
    193: "Nepal Standard Time",
    195: "Central Asia Standard Time",
    200: "Sri Lanka Standard Time",
    201: "N. Central Asia Standard Time",
    203: "Myanmar Standard Time",
    205: "SE Asia Standard Time",  # "S.E. Asia Standard Time"
    207: "North Asia Standard Time",
    210: "China Standard Time",
    215: "Singapore Standard Time",
    220: "Taipei Standard Time",
    225: "W. Australia Standard Time",
    227: "North Asia East Standard Time",
    230: "Korea Standard Time",
    235: "Tokyo Standard Time",
    240: "Yakutsk Standard Time",
    245: "AUS Central Standard Time",  # "A.U.S. Central Standard Time"
    250: "Cen. Australia Standard Time",
    255: "AUS Eastern Standard Time",  # "A.U.S. Eastern Standard Time"
    260: "E. Australia Standard Time",
    265: "Tasmania Standard Time",
    270: "Vladivostok Standard Time",
    275: "West Pacific Standard Time",
    280: "Central Pacific Standard Time",
    285: "Fiji Standard Time",  # "Fiji Islands Standard Time"
    290: "New Zealand Standard Time",
    300: "Tonga Standard Time",
    0x80000040: "Azerbaijan Standard Time",
    0x80000041: "Middle East Standard Time",
    0x80000042: "Jordan Standard Time",
    0x80000043: "Central Standard Time (Mexico)",
    0x80000044: "Mountain Standard Time (Mexico)",
    0x80000045: "Pacific Standard Time (Mexico)",
    0x80000046: "Namibia Standard Time",
    0x80000047: "Georgian Standard Time",
    0x80000048: "Central Brazilian Standard Time",
    0x80000049: "Montevideo Standard Time",
    0x8000004A: "Armenian Standard Time",
    0x8000004B: "Venezuela Standard Time",
    0x8000004C: "Argentina Standard Time",
    0x8000004D: "Morocco Standard Time",
    0x8000004E: "Pakistan Standard Time",
    0x8000004F: "Mauritius Standard Time",
    0x80000050: "UTC",
    0x80000051: "Paraguay Standard Time",
    0x80000052: "Kamchatka Standard Time",
}


def time_zone_name(index: int | None) -> str | None:
    """The Windows time zone name for a Microsoft time zone index.  ``timeZone`` is an
    xsd:int, so the 0x8000004x indexes may arrive as their signed 32-bit values."""
    if index is None:
        return None
    index = int(index)
    if index < 0:
        index += 1 << 32
    return WINDOWS_TIME_ZONES.get(index)
