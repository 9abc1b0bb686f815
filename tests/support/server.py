"""The tests' server: gosc's own pytest plugin (src/gosc/testing.py) starts it."""

from gosc.testing import ADMIN, ADMIN_PASSWORD, GoscServer, Injections

__all__ = ["ADMIN", "ADMIN_PASSWORD", "GoscServer", "Injections"]
