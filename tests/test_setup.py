"""scripts/with-policy-rc-d (what scripts/setup wraps apt-get in) leaves policy-rc.d as it
found it: absent stays absent, an existing one keeps its content and mode, also when the
command fails or the wrapper is killed.  Run against a temporary path (POLICY_RC_D)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

WRAPPER = Path(__file__).resolve().parents[1] / "scripts" / "with-policy-rc-d"
# The command under the wrapper: records the policy it saw, then fails.
SEE_AND_FAIL = 'cat "$POLICY_RC_D" > "$SEEN"; "$POLICY_RC_D"; echo "policy=$?" >> "$SEEN"; exit 3'
# ... or kills the wrapper (its parent) as an interrupted run would be.
SEE_AND_KILL = 'cat "$POLICY_RC_D" > "$SEEN"; kill -TERM $PPID'


def wrapped(tmp_path: Path, script: str) -> tuple[int, str]:
    env = dict(os.environ, POLICY_RC_D=str(tmp_path / "policy-rc.d"), SEEN=str(tmp_path / "seen"))
    r = subprocess.run([str(WRAPPER), "sh", "-c", script], env=env, timeout=60)
    return r.returncode, (tmp_path / "seen").read_text()


@pytest.mark.parametrize(("script", "status"), [(SEE_AND_FAIL, 3), (SEE_AND_KILL, 143)])
def test_absent_policy_is_created_for_the_command_and_removed(tmp_path: Path, script: str, status: int) -> None:
    rc, seen = wrapped(tmp_path, script)
    assert rc == status
    assert seen.startswith("#!/bin/sh\nexit 101\n")
    if script == SEE_AND_FAIL:
        assert seen.endswith("policy=101\n")  # the command saw a policy forbidding service starts
    assert not (tmp_path / "policy-rc.d").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["seen"]  # no saved copy left behind


@pytest.mark.parametrize(("script", "status"), [(SEE_AND_FAIL, 3), (SEE_AND_KILL, 143)])
def test_existing_policy_is_kept_and_restored_exactly(tmp_path: Path, script: str, status: int) -> None:
    policy = tmp_path / "policy-rc.d"
    mine = "#!/bin/sh\n# the host's own policy\nexit 104\n"
    policy.write_text(mine)
    policy.chmod(0o750)
    # The command sees the host's policy (not replaced), then changes it as a package might.
    rc, seen = wrapped(tmp_path, script.replace("; ", '; echo changed > "$POLICY_RC_D"; ', 1))
    assert rc == status
    assert seen.startswith(mine)
    assert policy.read_text() == mine
    assert stat.S_IMODE(policy.stat().st_mode) == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy-rc.d", "seen"]


# scripts/build-govmomi-tools adds a deb-src entry of its own for as long as it fetches
# Debian's govmomi source; whatever happens, every host file is left as it was.
BUILD_TOOLS = WRAPPER.with_name("build-govmomi-tools")
HOST_APT_STATE = (Path("/etc/apt"), Path("/var/lib/apt/lists"), Path("/var/cache/apt"))


def host_apt_state() -> dict[str, tuple[bytes, int]]:
    files = {}
    for top in HOST_APT_STATE:
        for p in sorted(top.rglob("*")):
            if p.is_file() and not p.is_symlink():
                files[str(p)] = (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
    return files


def build_tools(tmp_path: Path, sources: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, GOSC_APT_SOURCES_DIR=str(sources), GOVMOMI_TOOLS_DIR=str(tmp_path / "bin"))
    return subprocess.run([str(BUILD_TOOLS)], env=env, capture_output=True, text=True, timeout=120)


def test_build_tools_removes_its_source_entry_when_apt_fails(tmp_path: Path) -> None:
    """A mirror without the source package (an empty local repository): apt fails, the entry goes."""
    sources = tmp_path / "sources.list.d"
    sources.mkdir()
    host = "Types: deb\n# a comment\nURIs: file://{}\nSuites: bookworm bookworm-updates\nComponents: main\n"
    (sources / "debian.sources").write_text(host.format(tmp_path / "empty-mirror"))
    before, temps = host_apt_state(), set(Path("/tmp").glob("gosc-govmomi-src.*"))
    r = build_tools(tmp_path, sources)
    assert r.returncode != 0, r.stdout + r.stderr
    assert "empty-mirror" in r.stderr  # apt's own complaint about the mirror, not a script error
    assert [p.name for p in sources.iterdir()] == ["debian.sources"]
    assert (sources / "debian.sources").read_text() == host.format(tmp_path / "empty-mirror")
    assert host_apt_state() == before
    assert set(Path("/tmp").glob("gosc-govmomi-src.*")) == temps
    assert not (tmp_path / "bin").exists() or list((tmp_path / "bin").iterdir()) == []


def test_build_tools_refuses_to_replace_an_entry_it_did_not_make(tmp_path: Path) -> None:
    sources = tmp_path / "sources.list.d"
    sources.mkdir()
    (sources / "gosc-govmomi-src.sources").write_text("Types: deb-src\n# someone else's\n")
    r = build_tools(tmp_path, sources)
    assert r.returncode == 1 and "is not ours" in r.stderr
    assert (sources / "gosc-govmomi-src.sources").read_text() == "Types: deb-src\n# someone else's\n"
