"""mlgate: CI/CD for machine learning.

Importing this package is cheap on purpose: it exposes the error hierarchy and the
version; heavy subsystems live in subpackages imported by the code that needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlgate._errors import (
    AliasConflict,
    ConfigError,
    CorruptObject,
    EvaluationError,
    ExecutorError,
    GateFailed,
    InputRejected,
    LockTimeout,
    MlgateError,
    ModelError,
    NotARepository,
    NotFound,
    ObjectNotFound,
    PathError,
    PipelineError,
    RegistryError,
    RegistryUnavailable,
    RemoteError,
    SchemaMismatch,
    StoreError,
    WorkspaceConflict,
)

if TYPE_CHECKING:
    from mlgate.registry import Registry, log_metrics, log_params, start_run

__version__ = "0.1.0"

# The Python API, imported on first use so that `import mlgate` stays cheap.
_LAZY = {name: "mlgate.registry" for name in ("Registry", "start_run", "log_metrics", "log_params")}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mlgate' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "AliasConflict",
    "ConfigError",
    "CorruptObject",
    "EvaluationError",
    "GateFailed",
    "InputRejected",
    "LockTimeout",
    "MlgateError",
    "ModelError",
    "NotARepository",
    "NotFound",
    "ObjectNotFound",
    "PathError",
    "ExecutorError",
    "PipelineError",
    "RegistryError",
    "RegistryUnavailable",
    "RemoteError",
    "SchemaMismatch",
    "StoreError",
    "Registry",
    "WorkspaceConflict",
    "__version__",
    "log_metrics",
    "log_params",
    "start_run",
]
