"""The web console over plain HTTPS (httpx): its session, CSRF, read rule, secrets, live
stream and the customization records' persistence, against a real gosc server."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from gosc.formats import custrecord
from tests.conftest import CLONER_USER, LIMITED_PASSWORD, LIMITED_USER
from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer
from tests.support.specs import customize_body, instant_clone_body, linux_spec
from tests.support.vijson import ViClient

GCM = ("VirtualMachineGuestCustomizationManager", "GuestCustomizationManager")
ROOT_PASSWORD = "Sekrit-Root-9!"
DATA = Path(__file__).resolve().parents[1] / "data"


def console(server: GoscServer, user: str = ADMIN, password: str = ADMIN_PASSWORD) -> httpx.Client:
    c = httpx.Client(base_url=server.url, verify=False, timeout=60)
    r = c.post("/ui/login", data={"userName": user, "password": password})
    assert r.status_code == 303 and r.headers["location"] == "/ui/inventory", r.text
    return c


def csrf(c: httpx.Client, page: str = "/ui/inventory") -> str:
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', c.get(page).text)
    assert m is not None
    return m.group(1)


@pytest.fixture(scope="module")
def admin(server: GoscServer) -> Iterator[httpx.Client]:
    c = console(server)
    yield c
    c.close()


@pytest.fixture(scope="module")
def customized(vi: ViClient) -> dict[str, str]:
    """A clone customized with a root password (a secret that must show nowhere)."""
    src = vi.find("DC0/vm/demo-ubuntu")
    clone = vi.wait_task(vi.call("VirtualMachine", src["value"], "InstantClone_Task", instant_clone_body("http-1")))
    spec = linux_spec("secret01")
    spec["identity"]["password"] = {"_typeName": "CustomizationPassword", "value": ROOT_PASSWORD, "plainText": True}
    info = vi.wait_task(vi.call(*GCM, "CustomizeGuest_Task", customize_body(clone["result"], spec)))
    assert info["state"] == "success", info
    return clone["result"]


def test_the_session_cookie_is_httponly_secure_and_strict(server: GoscServer) -> None:
    with httpx.Client(base_url=server.url, verify=False) as c:
        r = c.post("/ui/login", data={"userName": ADMIN, "password": ADMIN_PASSWORD})
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    assert r.headers["content-security-policy"].startswith("default-src 'self'")


def test_a_wrong_password_is_refused_as_the_api_refuses_it(server: GoscServer) -> None:
    with httpx.Client(base_url=server.url, verify=False) as c:
        r = c.post("/ui/login", data={"userName": ADMIN, "password": "wrong"})
        assert r.status_code == 401 and "incorrect user name or password" in r.text
        assert "set-cookie" not in r.headers
        assert c.get("/ui/inventory").headers["location"] == "/ui/login"


def test_logout_needs_the_csrf_token_and_ends_the_api_session(server: GoscServer) -> None:
    c = console(server)
    token = c.cookies["gosc_ui_session"]
    api = ViClient(server.url)
    api.session = token  # the cookie carries the API session itself
    assert api.get("SessionManager", "SessionManager", "currentSession")["userName"] == ADMIN
    r = c.post("/ui/logout", data={"csrf": "0" * 64})
    assert r.status_code == 403
    assert c.get("/ui/inventory").status_code == 200  # still logged in
    r = c.post("/ui/logout", data={"csrf": csrf(c)})
    assert r.status_code == 303
    assert api.get("SessionManager", "SessionManager", "currentSession") is None
    c.cookies.set("gosc_ui_session", token, path="/ui")  # a kept cookie no longer works
    assert c.get("/ui/inventory").headers["location"] == "/ui/login"
    c.close()


def test_the_record_shows_no_secret_anywhere(
    server: GoscServer, admin: httpx.Client, customized: dict[str, str]
) -> None:
    page = admin.get(f"/ui/vm/{customized['value']}/customizations/latest").text
    b64 = base64.b64encode(ROOT_PASSWORD.encode()).decode()
    assert ROOT_PASSWORD not in page and b64 not in page
    assert '"value": "(secret)"' in page.replace("&#34;", '"')  # the spec's password, masked
    assert "-PASS = ********" in page  # cust.cfg's
    assert 'data-path="/etc/shadow"' in page and "A secret file" in page
    assert 'data-path="/etc/hostname"' in page and "secret01" in page
    db = (server.data_dir / "gosc.db").read_bytes() + (server.data_dir / "gosc.db-wal").read_bytes()
    assert ROOT_PASSWORD.encode() not in db and b64.encode() not in db


def test_a_user_sees_only_what_the_api_lets_it_read(server: GoscServer, vi: ViClient) -> None:
    hidden = vi.find("DC0/vm/demo-ubuntu")["value"]
    with closing(console(server, CLONER_USER, LIMITED_PASSWORD)) as c:
        tree = c.get("/ui/inventory").text
        assert "demo-debian" in tree and "demo-ubuntu" not in tree
        assert c.get(f"/ui/vm/{hidden}").status_code == 404
        assert c.get(f"/ui/vm/{hidden}/customizations/latest").status_code == 404


def test_preview_needs_the_customize_privilege(server: GoscServer, customized: dict[str, str]) -> None:
    with closing(console(server, LIMITED_USER, LIMITED_PASSWORD)) as c:  # System.Read: may look, not customize
        assert c.get(f"/ui/vm/{customized['value']}").status_code == 200
        token = csrf(c, f"/ui/vm/{customized['value']}/preview")
        r = c.post(
            f"/ui/vm/{customized['value']}/preview",
            data={"csrf": token, "format": "json", "spec": json.dumps(linux_spec("x1")), "action": "check"},
        )
        assert r.status_code == 400 and "NoPermission" in r.text and "VirtualMachine.Provisioning.Customize" in r.text


def test_the_task_stream_leaves_out_tasks_the_user_may_not_read(server: GoscServer, vi: ViClient) -> None:
    hidden = vi.find("DC0/vm/demo-ubuntu")["value"]
    seen = vi.find("DC0/vm/demo-debian")["value"]
    with closing(console(server, CLONER_USER, LIMITED_PASSWORD)) as c, c.stream("GET", "/ui/tasks/stream") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        # A task on the hidden VM first, then one on a visible VM: the stream is in order, so
        # once the second shows, the first would have shown before it.
        hidden_task = vi.call("VirtualMachine", hidden, "Rename_Task", {"newName": "demo-ubuntu"})
        seen_task = vi.call("VirtualMachine", seen, "Rename_Task", {"newName": "demo-debian"})
        rows: list[str] = []
        for line in stream.iter_lines():
            if line.startswith("data: "):
                rows.append(json.loads(line[6:]))
                if f'id="task-{seen_task["value"]}"' in rows[-1] and "state-success" in rows[-1]:
                    break
    assert not any(hidden_task["value"] in r for r in rows)
    assert not any("demo-ubuntu" in r for r in rows)


def test_the_event_log_says_what_is_wrong_with_a_filter(admin: httpx.Client) -> None:
    page = admin.get("/ui/events", params={"type": "NoSuchEvent"}).text
    assert "is not an event type" in page
    page = admin.get("/ui/events", params={"entity": "no-such-vm"}).text
    assert "No entity is named" in page


def test_a_record_is_bounded() -> None:
    big = "x" * (custrecord.MAX_TEXT + 10)
    files = [{"path": f"/f{i}", "before": big, "after": big} for i in range(custrecord.MAX_FILES + 5)]
    kept = custrecord.bound({"files": files, "log": "y" * (custrecord.MAX_LOG + 5), "other": 1})
    assert len(kept["files"]) == custrecord.MAX_FILES and len(kept["log"]) == custrecord.MAX_LOG
    assert sum(len(f["before"] or "") + len(f["after"] or "") for f in kept["files"]) <= custrecord.MAX_TOTAL
    assert all(f["truncated"] for f in kept["files"]) and set(kept) == {"files", "log"}
    assert (
        custrecord.bound({"files": [{"path": "/etc/shadow", "before": "h", "secret": True}]})["files"][0]["before"]
        is None
    )
    assert custrecord.decode("not json") == {"files": [], "log": ""}
    assert custrecord.decode(json.dumps({"files": [], "log": "z" * custrecord.MAX_REPORT})) == {"files": [], "log": ""}


def test_records_survive_a_restart(server: GoscServer, customized: dict[str, str]) -> None:
    server.stop()
    server.start()
    with closing(console(server)) as c:
        page = c.get(f"/ui/vm/{customized['value']}/customizations/latest").text
    assert 'data-path="/etc/hostname"' in page and "secret01" in page


def test_preview_reads_vcenter_spec_xml(server: GoscServer, customized: dict[str, str]) -> None:
    """A spec exported from a vCenter (tests/data/specxml) previews as its JSON form would;
    broken XML is a problem with its fault, not an error page."""
    xml = (DATA / "specxml" / "libretto-static-ip.xml").read_text()
    page = f"/ui/vm/{customized['value']}/preview"
    with closing(console(server)) as c:  # a session of its own: an earlier test restarts the server
        token = csrf(c, page)
        r = c.post(page, data={"csrf": token, "format": "xml", "spec": xml, "action": "check"})
        assert r.status_code == 200, r.text[:2000]
        assert "etc/hostname" in r.text and "NotSupported" not in r.text
        r = c.post(page, data={"csrf": token, "format": "xml", "spec": "<ConfigRoot><spec>", "action": "check"})
        assert "CustomizationFault" in r.text
