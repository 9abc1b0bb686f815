"""Root's password, via gosc.guest.shadow; never logged.

``-PASS`` sets root's hash and its last-change day, in the scheme the guest already
uses (root's current hash, else /etc/login.defs ``ENCRYPT_METHOD``, else SHA-512):
a yescrypt guest keeps yescrypt; ``RESET = yes``
sets last-change to 0 for every uid-0 account, which forces a new password at the
next login (what ``passwd --expire`` does).  Both are skipped when the marker file
says this customization already ran.
"""

from __future__ import annotations

from gosc.formats.custcfg_model import CustConfig

from .. import shadow
from .errors import EngineError, FailureKind
from .files import ChangeSet
from .log import EngineLog


def apply(cfg: CustConfig, cs: ChangeSet, log: EngineLog, *, allowed: bool, salt: str | None = None) -> None:
    if cfg.admin_password is None and not cfg.reset_password:
        return
    if not allowed:
        log.info("marker file present: password step skipped")
        return
    text = cs.read_text("/etc/shadow")
    if text is None:
        raise EngineError(FailureKind.IDENTITY, "the guest has no /etc/shadow")
    if cfg.admin_password:
        current = next(
            (f[1] for f in (line.split(":") for line in text.splitlines()) if f[0] == "root" and len(f) > 1), None
        )
        method = shadow.method_for(current, cs.read_text("/etc/login.defs"))
        if salt is not None:  # a fixed salt (reproducible tests) is a SHA-crypt setting
            method = shadow.Method.SHA512
        try:
            text = shadow.update_shadow(
                text,
                "root",
                hashed=shadow.hash_password(cfg.admin_password, salt, method=method),
                last_change=shadow.days_since_epoch(),
            )
        except KeyError:
            raise EngineError(FailureKind.IDENTITY, "/etc/shadow has no root entry") from None
        log.info(f"root password set ({method.name})")
    elif cfg.admin_password == "":
        log.info("-PASS is empty: root password kept")
    if cfg.reset_password:
        passwd = cs.read_text("/etc/passwd") or ""
        uid0 = [f[0] for f in (line.split(":") for line in passwd.splitlines()) if len(f) > 2 and f[2] == "0"]
        expired = []
        for user in uid0:
            try:
                text = shadow.update_shadow(text, user, last_change=0)
                expired.append(user)
            except KeyError:
                continue
        log.info(f"password expired for {', '.join(expired) or 'nobody'}")
    cs.write("/etc/shadow", text, secret=True)
