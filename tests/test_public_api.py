"""Every name a package exports resolves (lazy exports included)."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "mlgate",
    "mlgate.config",
    "mlgate.store",
    "mlgate.registry",
    "mlgate.pipeline",
    "mlgate.testing",
    "mlgate.cli",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_exported_name_resolves(name: str) -> None:
    module = importlib.import_module(name)
    for attr in module.__all__:
        assert getattr(module, attr) is not None, f"{name}.{attr}"
