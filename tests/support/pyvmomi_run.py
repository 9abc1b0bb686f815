"""Run a few lines of pyVmomi against a gosc server in a child process.

pyVmomi's client side changes type tables that the server side of gosc (imported by
the tests in this process) relies on, so SOAP clients run in their own process, as
tests/soap's driver does. ``code`` sees ``si`` (connected as the administrator), ``vim``,
``vmodl``, ``WaitForTask`` and ``args``, and sets ``result`` (JSON-serialisable).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.support.server import ADMIN, ADMIN_PASSWORD, GoscServer

_RUNNER = """
import json, sys
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl
a = json.loads(sys.argv[1])
si = SmartConnect(host="127.0.0.1", port=a["port"], user=a["user"], pwd=a["password"], disableSslCertValidation=True)
ns = {"si": si, "vim": vim, "vmodl": vmodl, "WaitForTask": WaitForTask, "args": a["args"], "result": None}
try:
    exec(a["code"], ns)
finally:
    Disconnect(si)
print(json.dumps(ns["result"]))
"""


def run_pyvmomi(server: GoscServer, code: str, **args: Any) -> Any:
    payload = json.dumps({"port": server.port, "user": ADMIN, "password": ADMIN_PASSWORD, "code": code, "args": args})
    r = subprocess.run([sys.executable, "-c", _RUNNER, payload], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, f"pyVmomi failed:\n{r.stderr[-4000:]}"
    return json.loads(r.stdout.strip().splitlines()[-1])
