"""Authentication: password checks off the event loop, lockout, idle sessions,
TerminateSession / SessionIsActive and the sessions-per-user bound, over VI/JSON and SOAP.

Nothing here sleeps to wait for the server: the server runs with GOSC_TEST_HOOKS
(src/gosc/testhooks.py), whose ``hold_password_checks`` file holds every password check
in its worker thread and whose ``clock_offset`` moves the clock of lockout and expiry.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from gosc.inventory.authorization_manager import hash_password
from gosc.inventory.login_policy import HASH_WORKERS, LockoutPolicy, SessionPolicy, policy_from_toml
from gosc.testhooks import CHECKING_PREFIX, CLOCK_OFFSET, ENV, HELD_PREFIX, HOLD_PASSWORD_CHECKS
from tests.soap.wire import Soap, envelope, fault_of
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer
from tests.support.vijson import ViClient, ViFault
from tests.support.wait import wait_for

PASSWORD = "Login-Pass-1!"
LOCKY, LOCKY2, READER, MANY = (
    "locky@vsphere.local",
    "locky2@vsphere.local",
    "reader@vsphere.local",
    "many@vsphere.local",
)
IDLE_TIMEOUT = 600  # set in users.toml below (vCenter's default is 1800)
MAX_PER_USER = 3
SM = '<_this type="SessionManager">SessionManager</_this>'
SI = '<_this type="ServiceInstance">ServiceInstance</_this>'


class Hooked:
    """The server and its hook directory."""

    def __init__(self, server: GoscServer, hooks: Path) -> None:
        self.server = server
        self.hooks = hooks

    def start(self) -> None:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(ENV, str(self.hooks))  # the server process inherits it
            self.server.start()

    def advance(self, seconds: float) -> None:
        f = self.hooks / CLOCK_OFFSET
        now = float(f.read_text()) if f.exists() else 0.0
        f.write_text(str(now + seconds))

    def count(self, prefix: str) -> int:
        return sum(1 for p in self.hooks.iterdir() if p.name.startswith(prefix))

    def vi(self, user: str = ADMIN, password: str = ADMIN_PASSWORD) -> ViClient:
        c = ViClient(self.server.url)
        c.login(user, password)
        return c

    def soap_login(self, user: str, password: str) -> tuple[Soap, httpx.Response]:
        s = Soap(self.server.url)
        r = s.post(envelope("Login", SM, f"<userName>{user}</userName><password>{password}</password>"))
        if r.status_code == 200:
            s.cookie = r.headers["set-cookie"]
        return s, r


@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hooked]:
    base = tmp_path_factory.mktemp("login")
    hooks = base / "hooks"
    hooks.mkdir()
    data = base / "data"
    data.mkdir()
    h = hash_password(PASSWORD)
    users = "".join(
        f'\n[[users]]\nname = "{u}"\npassword_hash = "{h}"\nrole = "ReadOnly"\n' for u in (LOCKY, LOCKY2, READER, MANY)
    )
    (data / "users.toml").write_text(
        f"[sessions]\nidle_timeout = {IDLE_TIMEOUT}\nmax_per_user = {MAX_PER_USER}\n{users}"
    )
    hooked = Hooked(GoscServer(data), hooks)
    hooked.start()
    try:
        yield hooked
    finally:
        hooked.server.stop()


def vi_fault(call: Any) -> dict[str, Any]:
    with pytest.raises(ViFault) as e:
        call()
    return e.value.body


# ---------------------------------------------------------------- hashing off the loop


def test_requests_are_answered_while_16_password_checks_are_held(hooked: Hooked) -> None:
    admin = hooked.vi()
    gate = hooked.hooks / HOLD_PASSWORD_CHECKS
    gate.touch()

    def guess(i: int) -> str:
        with httpx.Client(verify=False, timeout=120) as c:
            r = c.post(
                f"{admin.base}/SessionManager/SessionManager/Login",
                json={"userName": f"guesser-{i}@vsphere.local", "password": f"guess-{i}"},
            )
            return str(r.json()["_typeName"])

    with ThreadPoolExecutor(16) as pool:
        try:
            guesses = [pool.submit(guess, i) for i in range(16)]
            # All 16 logins are checking their password: HASH_WORKERS checks are held in
            # their threads, the others wait for a worker.
            wait_for(lambda: hooked.count(CHECKING_PREFIX) == 16, "16 logins checking")
            wait_for(lambda: hooked.count(HELD_PREFIX) == HASH_WORKERS, f"{HASH_WORKERS} password checks held")
            # Meanwhile the event loop answers: anonymous and session reads, both protocols.
            with httpx.Client(verify=False, timeout=60) as quick:  # a blocked loop would never answer
                answers = answered_meanwhile(quick, admin, hooked.server.url)
            assert answers == {"serverClock": 200, "CurrentTime": 200, "SOAP RetrieveServiceContent": 200}
            assert not any(g.done() for g in guesses)  # still held
            assert hooked.count(HELD_PREFIX) == HASH_WORKERS  # never more than the pool at once
            assert hooked.count(CHECKING_PREFIX) == 16
        finally:
            gate.unlink()
        assert [g.result() for g in guesses] == ["InvalidLogin"] * 16
    wait_for(lambda: hooked.count(HELD_PREFIX) + hooked.count(CHECKING_PREFIX) == 0, "released")


def answered_meanwhile(quick: httpx.Client, admin: ViClient, url: str) -> dict[str, int]:
    """Anonymous and session reads over both protocols."""
    out = {}
    r = quick.get(f"{admin.base}/ServiceInstance/ServiceInstance/serverClock")
    out["serverClock"] = r.status_code
    r = quick.post(
        f"{admin.base}/ServiceInstance/ServiceInstance/CurrentTime",
        headers={"vmware-api-session-id": admin.session or ""},
    )
    out["CurrentTime"] = r.status_code
    r = quick.post(
        f"{url}/sdk",
        content=envelope("RetrieveServiceContent", SI),
        headers={"SOAPAction": '"urn:vim25/9.1.0.0"', "Content-Type": "text/xml"},
    )
    out["SOAP RetrieveServiceContent"] = r.status_code if "<rootFolder" in r.text else -1
    return out


# ---------------------------------------------------------------- lockout


def test_five_failures_lock_the_user_then_it_unlocks(hooked: Hooked) -> None:
    anon = ViClient(hooked.server.url)
    for _ in range(LockoutPolicy().max_failures):
        assert vi_fault(lambda: anon.login(LOCKY, "wrong"))["_typeName"] == "InvalidLogin"
    # Locked: the right password fails too, over both protocols, the same answer as a wrong one.
    f = vi_fault(lambda: anon.login(LOCKY, PASSWORD))
    assert f["_typeName"] == "InvalidLogin" and "incorrect user name or password" in f["faultMessage"][0]["message"]
    _, r = hooked.soap_login(LOCKY, PASSWORD)
    assert fault_of(r)[0] == "InvalidLogin"
    # The lock is in the store: a restart does not lift it.
    hooked.server.stop()
    hooked.start()
    assert vi_fault(lambda: anon.login(LOCKY, PASSWORD))["_typeName"] == "InvalidLogin"
    # Attempts while locked do not extend the lock: after unlock_time it is open.
    hooked.advance(LockoutPolicy().unlock_time - 10)
    assert vi_fault(lambda: anon.login(LOCKY, "wrong"))["_typeName"] == "InvalidLogin"
    assert vi_fault(lambda: anon.login(LOCKY, PASSWORD))["_typeName"] == "InvalidLogin"
    hooked.advance(11)
    assert anon.login(LOCKY, PASSWORD)["userName"] == LOCKY
    s, r = hooked.soap_login(LOCKY, PASSWORD)
    assert r.status_code == 200
    anon.call("SessionManager", "SessionManager", "Logout")
    s.post(envelope("Logout", SM))


def test_failures_count_only_within_the_interval(hooked: Hooked) -> None:
    policy = LockoutPolicy()
    anon = ViClient(hooked.server.url)
    for _ in range(policy.max_failures - 1):
        vi_fault(lambda: anon.login(LOCKY2, "wrong"))
    hooked.advance(policy.failure_interval + 1)  # those have aged out
    vi_fault(lambda: anon.login(LOCKY2, "wrong"))
    assert anon.login(LOCKY2, PASSWORD)["userName"] == LOCKY2  # not locked
    anon.call("SessionManager", "SessionManager", "Logout")
    # A success resets the count: max_failures - 1 more failures still do not lock.
    for _ in range(policy.max_failures - 1):
        vi_fault(lambda: anon.login(LOCKY2, "wrong"))
    assert anon.login(LOCKY2, PASSWORD)["userName"] == LOCKY2
    anon.call("SessionManager", "SessionManager", "Logout")


# ---------------------------------------------------------------- sessions


def test_idle_sessions_end_and_used_ones_stay(hooked: Hooked) -> None:
    used, idle = hooked.vi(READER, PASSWORD), hooked.vi(READER, PASSWORD)
    soap_used, _ = hooked.soap_login(READER, PASSWORD)
    soap_idle, _ = hooked.soap_login(MANY, PASSWORD)
    current_time = envelope("CurrentTime", SI)
    hooked.advance(IDLE_TIMEOUT - 60)
    used.call("ServiceInstance", "ServiceInstance", "CurrentTime")
    assert soap_used.post(current_time).status_code == 200
    hooked.advance(120)  # idle for IDLE_TIMEOUT + 60 s, used for 120 s
    assert used.call("ServiceInstance", "ServiceInstance", "CurrentTime")
    assert soap_used.post(current_time).status_code == 200
    f = vi_fault(lambda: idle.call("ServiceInstance", "ServiceInstance", "CurrentTime"))
    assert f["_typeName"] == "NotAuthenticated"
    assert fault_of(soap_idle.post(current_time))[0] == "NotAuthenticated"
    used.call("SessionManager", "SessionManager", "Logout")
    soap_used.post(envelope("Logout", SM))


def test_a_session_counts_its_calls_and_the_time_of_the_latest(hooked: Hooked) -> None:
    vi = hooked.vi(READER, PASSWORD)
    first = vi.get("SessionManager", "SessionManager", "currentSession")
    vi.call("ServiceInstance", "ServiceInstance", "CurrentTime")
    later = vi.get("SessionManager", "SessionManager", "currentSession")
    assert later["callCount"] == first["callCount"] + 2  # the CurrentTime and this read
    login, active, latest = (
        datetime.datetime.fromisoformat(t)
        for t in (first["loginTime"], first["lastActiveTime"], later["lastActiveTime"])
    )
    assert login <= active < latest  # each call moves it
    assert later["lastActiveTime"].endswith("Z") and latest.tzinfo is not None
    vi.call("SessionManager", "SessionManager", "Logout")


def test_terminate_session_and_session_is_active(hooked: Hooked) -> None:
    admin = hooked.vi()
    admin_soap, _ = hooked.soap_login(ADMIN, ADMIN_PASSWORD)
    victim = hooked.vi(READER, PASSWORD)
    victim_key = victim.get("SessionManager", "SessionManager", "currentSession")["key"]
    victim_soap, r = hooked.soap_login(READER, PASSWORD)
    soap_key = r.text.split("<key>")[1].split("</key>")[0]

    def is_active_vi(client: ViClient, key: str) -> Any:
        return client.call(
            "SessionManager", "SessionManager", "SessionIsActive", {"sessionID": key, "userName": READER}
        )

    def is_active_soap(client: Soap, key: str) -> httpx.Response:
        return client.post(
            envelope("SessionIsActive", SM, f"<sessionID>{key}</sessionID><userName>{READER}</userName>")
        )

    def terminate_soap(client: Soap, *keys: str) -> httpx.Response:
        return client.post(envelope("TerminateSession", SM, "".join(f"<sessionId>{k}</sessionId>" for k in keys)))

    assert is_active_vi(admin, victim_key) is True and is_active_vi(admin, soap_key) is True
    assert "<returnval>true</returnval>" in is_active_soap(admin_soap, victim_key).text
    # Without the privileges: a user may neither check nor end sessions (not even its own other one).
    f = vi_fault(lambda: is_active_vi(victim, soap_key))
    assert (f["_typeName"], f["privilegeId"]) == ("NoPermission", "Sessions.ValidateSession")
    f = vi_fault(lambda: victim.call("SessionManager", "SessionManager", "TerminateSession", {"sessionId": [soap_key]}))
    assert (f["_typeName"], f["privilegeId"]) == ("NoPermission", "Sessions.TerminateSession")
    assert fault_of(terminate_soap(victim_soap, victim_key))[0] == "NoPermission"
    # Bad lists change nothing: an unknown id is NotFound, the caller's own is InvalidArgument.
    f = vi_fault(
        lambda: admin.call("SessionManager", "SessionManager", "TerminateSession", {"sessionId": [victim_key, "nope"]})
    )
    assert f["_typeName"] == "NotFound"
    assert is_active_vi(admin, victim_key) is True
    own = admin.get("SessionManager", "SessionManager", "currentSession")["key"]
    f = vi_fault(lambda: admin.call("SessionManager", "SessionManager", "TerminateSession", {"sessionId": [own]}))
    assert f["_typeName"] == "InvalidArgument"
    # The administrator ends one over VI/JSON, the other over SOAP.
    assert admin.call("SessionManager", "SessionManager", "TerminateSession", {"sessionId": [victim_key]}) is None
    f = vi_fault(lambda: victim.call("ServiceInstance", "ServiceInstance", "CurrentTime"))
    assert f["_typeName"] == "NotAuthenticated"
    assert is_active_vi(admin, victim_key) is False
    assert terminate_soap(admin_soap, soap_key).status_code == 200
    assert fault_of(victim_soap.post(envelope("CurrentTime", SI)))[0] == "NotAuthenticated"
    assert "<returnval>false</returnval>" in is_active_soap(admin_soap, soap_key).text
    events = admin.call(
        "EventManager",
        "EventManager",
        "QueryEvents",
        {"filter": {"_typeName": "EventFilterSpec", "eventTypeId": ["SessionTerminatedEvent"]}},
    )
    assert {e["sessionId"] for e in events} >= {victim_key, soap_key}
    admin.call("SessionManager", "SessionManager", "Logout")
    admin_soap.post(envelope("Logout", SM))


def test_sessions_per_user_are_bounded(hooked: Hooked) -> None:
    clients = [hooked.vi(MANY, PASSWORD) for _ in range(MAX_PER_USER - 1)]
    soap, r = hooked.soap_login(MANY, PASSWORD)
    assert r.status_code == 200
    f = vi_fault(lambda: hooked.vi(MANY, PASSWORD))
    assert (
        f["_typeName"] == "InvalidLogin" and f"already holds {MAX_PER_USER} sessions" in f["faultMessage"][0]["message"]
    )
    _, r = hooked.soap_login(MANY, PASSWORD)
    assert fault_of(r)[0] == "InvalidLogin"
    hooked.vi(READER, PASSWORD).call("SessionManager", "SessionManager", "Logout")  # other users are not affected
    soap.post(envelope("Logout", SM))
    clients.append(hooked.vi(MANY, PASSWORD))  # a freed place can be taken
    for c in clients:
        c.call("SessionManager", "SessionManager", "Logout")


def test_a_client_cannot_name_another_address_with_x_forwarded_for(hooked: Hooked) -> None:
    """The session (and the events) record the address the connection came from: gosc
    is reached directly, so a proxy header from a client on 127.0.0.1 (an address
    uvicorn would trust) changes nothing."""
    vi = ViClient(hooked.server.url)
    r = vi.raw(
        "POST",
        "SessionManager/SessionManager/Login",
        headers={"x-forwarded-for": "10.9.8.7", "forwarded": "for=10.9.8.7"},
        json={"userName": READER, "password": PASSWORD},
    )
    assert r.status_code == 200, r.text
    vi.session = r.headers["vmware-api-session-id"]
    assert vi.get("SessionManager", "SessionManager", "currentSession")["ipAddress"] == "127.0.0.1"


def test_policies_in_users_toml_are_checked() -> None:
    assert policy_from_toml(LockoutPolicy, {}, "lockout") == LockoutPolicy(5, 180.0, 300.0)
    assert policy_from_toml(SessionPolicy, {}, "sessions") == SessionPolicy(1800.0, 100)
    assert policy_from_toml(LockoutPolicy, {"unlock_time": 1}, "lockout").unlock_time == 1
    for table in (
        {"max_failures": 0},
        {"max_failures": 2.5},
        {"unlock_time": "300"},
        {"unlock_time": True},
        {"lockout_time": 3},
    ):
        with pytest.raises(ValueError):
            policy_from_toml(LockoutPolicy, table, "lockout")
