"""The model server: FastAPI on uvicorn, serving ``NAME@ALIAS`` from the registry.

It speaks the Open Inference Protocol (KServe V2) and MLflow's scoring format, follows
its alias and rollouts (hot swap, canary and shadow routing), reports its counters, and
never writes an alias itself. Names load on first use, so that the deploy side can read
:data:`LATENCY_BUCKETS_MS` without importing FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlgate.serve._app import MAX_BODY, create_app
    from mlgate.serve._run import dockerfile, kubernetes, run_server
    from mlgate.serve._state import LATENCY_BUCKETS_MS, Counters, Deployment, Routing
    from mlgate.serve._watch import ServeConfig, Watcher, smoke_test

_WHERE = {
    "MAX_BODY": "_app",
    "create_app": "_app",
    "dockerfile": "_run",
    "kubernetes": "_run",
    "run_server": "_run",
    "LATENCY_BUCKETS_MS": "_state",
    "Counters": "_state",
    "Deployment": "_state",
    "Routing": "_state",
    "ServeConfig": "_watch",
    "Watcher": "_watch",
    "smoke_test": "_watch",
}

__all__ = [
    "LATENCY_BUCKETS_MS",
    "MAX_BODY",
    "Counters",
    "Deployment",
    "Routing",
    "ServeConfig",
    "Watcher",
    "create_app",
    "dockerfile",
    "kubernetes",
    "run_server",
    "smoke_test",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mlgate.serve' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"mlgate.serve.{module}"), name)
    globals()[name] = value
    return value
