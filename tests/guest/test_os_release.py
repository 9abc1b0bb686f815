"""os-release values: the plain ones are read without shlex (engine/distro.py), proven here
to be read as shlex reads them, over lines of quotes, escapes, blanks and words."""

from __future__ import annotations

import shlex

from hypothesis import given, settings
from hypothesis import strategies as st

from gosc.guest.engine.distro import parse_os_release


def by_shlex(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, raw = line.split("=", 1)
        try:
            parts = shlex.split(raw)
        except ValueError:
            parts = [raw.strip("\"'")]
        values[key.strip()] = parts[0] if parts else ""
    return values


VALUE = st.text(alphabet=st.sampled_from(list("ab1 .\t\"'\\$`#=()\u00a0é")), max_size=12)
LINES = st.lists(st.tuples(st.sampled_from(["ID", "NAME", "VERSION_ID", " ID_LIKE"]), VALUE), max_size=6)


@settings(max_examples=500, derandomize=True)
@given(LINES)
def test_values_are_read_as_shlex_reads_them(lines: list[tuple[str, str]]) -> None:
    text = "\n".join(f"{key}={value}" for key, value in lines)
    assert parse_os_release(text) == by_shlex(text)


def test_a_real_file() -> None:
    text = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nHOME_URL=\'https://www.debian.org/\'\n'
    assert parse_os_release(text) == {
        "PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)",
        "ID": "debian",
        "VERSION_ID": "12",
        "HOME_URL": "https://www.debian.org/",
    }
