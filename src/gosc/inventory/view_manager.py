"""ViewManager (placeholder until SOAP lands)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vim

from .base import ManagedObject

if TYPE_CHECKING:
    from .service_instance import ServiceInstance


class ViewManager(ManagedObject):
    vim_type = vim.view.ViewManager

    def __init__(self, si: ServiceInstance) -> None:
        super().__init__(si, "ViewManager")
