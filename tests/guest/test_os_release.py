"""os-release values: the plain ones are read without shlex (engine/distro.py first_word),
proven here to be read as shlex reads them, over values of quotes, escapes, blanks and words."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gosc.guest.engine.distro import first_word, parse_os_release, shlex_word

RAW = st.text(alphabet=st.sampled_from(list("ab1 .\t\"'\\$`#=()\u00a0é")), max_size=12)


@settings(max_examples=1000, derandomize=True)
@given(RAW)
def test_a_value_is_read_as_shlex_reads_it(raw: str) -> None:
    assert first_word(raw) == shlex_word(raw)


def test_a_real_file() -> None:
    text = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n# c\nHOME_URL=\'https://www.debian.org/\'\n'
    assert parse_os_release(text) == {
        "PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)",
        "ID": "debian",
        "VERSION_ID": "12",
        "HOME_URL": "https://www.debian.org/",
    }
