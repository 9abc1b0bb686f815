"""A small VI/JSON client, as a curl or httpx user would write one."""

from __future__ import annotations

import time
from typing import Any

import httpx

RELEASE = "9.1.0.0"


def moref(type_name: str, value: str) -> dict[str, str]:
    return {"_typeName": "ManagedObjectReference", "type": type_name, "value": value}


class ViFault(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body.get('_typeName')}: {body}")
        self.status = status
        self.body = body
        self.type_name = body.get("_typeName")


class ViClient:
    def __init__(self, base_url: str, release: str = RELEASE, client: httpx.Client | None = None) -> None:
        self.base = f"{base_url}/sdk/vim25/{release}"
        self.http = client or httpx.Client(verify=False, timeout=60)
        self.session: str | None = None

    def _headers(self) -> dict[str, str]:
        return {"vmware-api-session-id": self.session} if self.session else {}

    def raw(self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        return self.http.request(method, f"{self.base}/{path}", headers={**self._headers(), **(headers or {})}, **kw)

    def _answer(self, r: httpx.Response) -> Any:
        if r.status_code == 204:
            return None
        body = r.json()
        if r.status_code != 200:
            raise ViFault(r.status_code, body)
        return body

    def login(self, user: str, password: str) -> dict[str, Any]:
        r = self.raw("POST", "SessionManager/SessionManager/Login", json={"userName": user, "password": password})
        body = self._answer(r)
        self.session = r.headers["vmware-api-session-id"]
        return body

    def call(self, type_name: str, moid: str, method: str, body: dict[str, Any] | None = None) -> Any:
        return self._answer(self.raw("POST", f"{type_name}/{moid}/{method}", json=body or {}))

    def get(self, type_name: str, moid: str, prop: str) -> Any:
        return self._answer(self.raw("GET", f"{type_name}/{moid}/{prop}"))

    def find(self, path: str) -> dict[str, str] | None:
        return self.call("SearchIndex", "SearchIndex", "FindByInventoryPath", {"inventoryPath": path})

    def wait_task(self, task: dict[str, str], timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.get("Task", task["value"], "info")
            if info["state"] in ("success", "error"):
                return info
            time.sleep(0.01)
        raise TimeoutError(f"task {task['value']} still {info['state']}")
