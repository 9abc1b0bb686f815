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
