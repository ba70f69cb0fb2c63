"""Running the server under uvicorn (one or more worker processes), and the files that
deploy it: a Dockerfile and a Kubernetes Deployment."""

from __future__ import annotations

import json
import os
import signal
import socket
from dataclasses import asdict
from typing import TYPE_CHECKING

from mlgate.serve._watch import ServeConfig

if TYPE_CHECKING:
    from fastapi import FastAPI

_ENV = "MLGATE_SERVE_CONFIG"


def app_from_env() -> FastAPI:
    """The app factory uvicorn's workers call (the configuration travels in the
    environment, because each worker is a fresh process)."""
    import logging

    from mlgate.serve._app import create_app

    logger = logging.getLogger("mlgate")
    if not logger.handlers:  # what the watcher reports: swaps, failed loads, outages
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s mlgate %(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    _fast_sklearn()
    data = json.loads(os.environ[_ENV])
    token = data.pop("token")
    max_body = data.pop("max_body")
    return create_app(ServeConfig(**data), token=token, max_body=max_body)


def _fast_sklearn() -> None:
    """The server hands scikit-learn arrays in the model's column order (the request was
    checked against the signature) and finite values (the body parser refuses NaN), so
    scikit-learn's per-call re-validation is skipped in this process."""
    import warnings

    import sklearn

    warnings.filterwarnings("ignore", message="X does not have valid feature names")
    sklearn.set_config(assume_finite=True, skip_parameter_validation=True)


def run_server(
    config: ServeConfig,
    *,
    host: str,
    port: int,
    workers: int,
    token: str | None,
    max_body: int,
) -> None:
    """Serve until interrupted.

    One worker serves in this process. Several are forked from it after the heavy
    imports (FastAPI, pandas, scikit-learn) and share one listening socket, so each
    starts in a fraction of the time a freshly spawned interpreter would take.
    """
    import uvicorn

    os.environ[_ENV] = json.dumps({**asdict(config), "token": token, "max_body": max_body})
    options = dict(
        factory=True,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    if workers == 1:
        uvicorn.run("mlgate.serve._run:app_from_env", host=host, port=port, **options)  # type: ignore[arg-type]
        return
    _preload()
    sock = socket.create_server((host, port), backlog=2048, reuse_port=False)
    sock.set_inheritable(True)
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: serve on the shared socket until told to stop
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            server = uvicorn.Server(uvicorn.Config("mlgate.serve._run:app_from_env", **options))  # type: ignore[arg-type]
            server.run(sockets=[sock])
            os._exit(0)
        children.append(pid)
    sock.close()
    _supervise(children)


def _preload() -> None:
    """Import what every worker needs once, before forking."""
    import importlib

    for module in ("mlgate.serve._app", "mlgate.models._model", "mlgate.registry", "pandas"):
        importlib.import_module(module)
    try:
        importlib.import_module("sklearn.linear_model")
        importlib.import_module("skops.io")
    except ImportError:  # pragma: no cover - scikit-learn is a dependency
        pass


def _supervise(children: list[int]) -> None:
    """Forward SIGTERM/SIGINT to the workers and wait for all of them."""

    def forward(signum: int, _frame: object) -> None:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for pid in children:
        while True:
            try:
                os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                break


def dockerfile(name: str, alias: str) -> str:
    return f"""\
# Serves {name}@{alias} with mlgate. Build from the repository root:
#   docker build -t {name}-server -f Dockerfile.mlgate .
FROM python:3.11-slim
RUN pip install --no-cache-dir mlgate
WORKDIR /srv
# mlgate.yaml names the remote store; the registry comes from MLGATE_REGISTRY.
COPY mlgate.yaml ./
ENV MLGATE_REGISTRY=postgresql+psycopg://mlgate@postgres/mlgate
# Credentials of the S3 store: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (as secrets).
# MLGATE_SERVE_TOKEN, when set, is required as a bearer token on inference.
EXPOSE 8080
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/v2/health/ready')"
CMD ["mlgate", "serve", "{name}", "--alias", "{alias}", "--host", "0.0.0.0", "--port", "8080"]
"""


def kubernetes(name: str, alias: str, replicas: int = 2) -> str:
    """A Deployment and a Service. Replicas are stateless: each reads ``name@alias`` from
    the PostgreSQL registry and fetches model files from the S3 store, so scaling out is
    raising ``replicas``."""
    import yaml

    app = f"{name}-{alias}".lower()

    def secret(var: str, key: str, optional: bool = False) -> dict[str, object]:
        ref: dict[str, object] = {"name": "mlgate", "key": key}
        if optional:
            ref["optional"] = True
        return {"name": var, "valueFrom": {"secretKeyRef": ref}}

    probe = {"path": "/v2/health/ready", "port": 8080}
    container = {
        "name": "mlgate",
        "image": f"{name}-server:latest",
        "args": ["mlgate", "serve", name, "--alias", alias, "--host", "0.0.0.0", "--port", "8080"],
        "ports": [{"containerPort": 8080}],
        "env": [
            secret("MLGATE_REGISTRY", "registry"),
            secret("AWS_ACCESS_KEY_ID", "aws-access-key-id"),
            secret("AWS_SECRET_ACCESS_KEY", "aws-secret-access-key"),
            secret("MLGATE_SERVE_TOKEN", "serve-token", optional=True),
        ],
        "readinessProbe": {"httpGet": probe, "periodSeconds": 2},
        "livenessProbe": {"httpGet": {**probe, "path": "/v2/health/live"}, "periodSeconds": 10},
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": app},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": app}},
            "template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": [container]}},
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": app},
        "spec": {"selector": {"app": app}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    head = f"# mlgate serve {name}@{alias}: stateless replicas behind one Service.\n"
    return head + yaml.safe_dump_all([deployment, service], sort_keys=False)
