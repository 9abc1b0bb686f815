"""PropertyCollector (placeholder until SOAP lands)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyVmomi import vmodl

from .base import ManagedObject

if TYPE_CHECKING:
    from .service_instance import ServiceInstance


class PropertyCollector(ManagedObject):
    vim_type = vmodl.query.PropertyCollector

    def __init__(self, si: ServiceInstance, moId: str = "propertyCollector") -> None:
        super().__init__(si, moId)
