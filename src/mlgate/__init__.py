"""mlgate: CI/CD for machine learning.

Importing this package is cheap on purpose: it exposes the error hierarchy and the
version; heavy subsystems live in subpackages imported by the code that needs them.
"""

from __future__ import annotations

from mlgate._errors import (
    AliasConflict,
    ConfigError,
    CorruptObject,
    GateFailed,
    LockTimeout,
    MlgateError,
    NotARepository,
    NotFound,
    ObjectNotFound,
    PathError,
    RegistryError,
    RegistryUnavailable,
    RemoteError,
    SchemaMismatch,
    StoreError,
    WorkspaceConflict,
)

__version__ = "0.1.0"

__all__ = [
    "AliasConflict",
    "ConfigError",
    "CorruptObject",
    "GateFailed",
    "LockTimeout",
    "MlgateError",
    "NotARepository",
    "NotFound",
    "ObjectNotFound",
    "PathError",
    "RegistryError",
    "RegistryUnavailable",
    "RemoteError",
    "SchemaMismatch",
    "StoreError",
    "WorkspaceConflict",
    "__version__",
]
