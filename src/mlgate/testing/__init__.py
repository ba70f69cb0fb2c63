"""Contract test suites that every backend must pass (import them from tests)."""

from __future__ import annotations

from mlgate.testing._registry_contract import RegistryContract
from mlgate.testing._remote_contract import RemoteContract

__all__ = ["RegistryContract", "RemoteContract"]
