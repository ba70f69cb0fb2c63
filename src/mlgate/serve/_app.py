"""The ASGI app: the Open Inference Protocol (KServe V2), MLflow's /invocations, and
Prometheus metrics, serving whatever the watcher routes to. It never writes an alias."""

from __future__ import annotations

import gc
import hmac
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

# FastAPI reads the endpoints' annotations at run time, so these are real imports.
import msgspec
from fastapi import FastAPI, Request, Response

from mlgate._errors import InputRejected, MlgateError
from mlgate.serve._protocol import (
    BadInput,
    answer_vector,
    mlflow_matrix,
    parse_mlflow,
    parse_v2,
    predictions_json,
    v2_datatype,
    v2_outputs,
)
from mlgate.serve._state import LATENCY_BUCKETS_MS, Counters, Deployment
from mlgate.serve._watch import ServeConfig, Watcher

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    import numpy as np
    import pandas as pd

    from mlgate.evaluate import Predictions

    Parser = Callable[[Any, Deployment], pd.DataFrame | np.ndarray]
    """A request body, for the version that answers it: a frame, or a matrix in the
    signature's column order when the model takes arrays."""

MAX_BODY = 10 * 1024 * 1024

_V2_REQUEST = {
    "type": "object",
    "required": ["inputs"],
    "properties": {
        "id": {"type": "string"},
        "inputs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "shape", "datatype", "data"],
                "properties": {
                    "name": {"type": "string"},
                    "shape": {"type": "array", "items": {"type": "integer"}},
                    "datatype": {"type": "string"},
                    "data": {"type": "array"},
                },
            },
        },
    },
}
_MLFLOW_REQUEST = {
    "type": "object",
    "properties": {
        "dataframe_split": {"type": "object"},
        "dataframe_records": {"type": "array"},
        "instances": {"type": "array"},
        "inputs": {},
    },
}
_ERROR = {
    "description": "A client error; `error` says what is wrong",
    "content": {"application/json": {"schema": {"type": "object"}}},
}


class _Metrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        labels = ["model", "version", "endpoint"]
        self.requests = Counter(
            "mlgate_requests", "Inference requests", labels, registry=self.registry
        )
        self.errors = Counter(
            "mlgate_errors", "Inference requests that failed", labels, registry=self.registry
        )
        self.latency = Histogram(
            "mlgate_request_seconds",
            "Inference latency",
            ["model", "version"],
            buckets=[b / 1000 for b in LATENCY_BUCKETS_MS],
            registry=self.registry,
        )


def create_app(
    config: ServeConfig,
    *,
    token: str | None = None,
    max_body: int = MAX_BODY,
    start_watcher: Callable[[Counters], Watcher] | None = None,
) -> FastAPI:
    """The server for ``config.name@config.alias``.

    Args:
        token: When set, inference needs ``Authorization: Bearer <token>``.
        max_body: Larger request bodies get 413.
        start_watcher: Builds the watcher (tests inject one); by default it opens the
            registry and the repository's store.
    """
    from fastapi.responses import JSONResponse
    from fastapi.responses import Response as PlainResponse

    counters = Counters()
    metrics = _Metrics()
    shadows = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mlgate-shadow")
    holder: dict[str, Watcher] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        watcher = (start_watcher or _default_watcher(config))(counters)
        holder["w"] = watcher
        # Everything imported and loaded so far lives as long as the server: keep it out
        # of the cyclic collector, whose full passes over it stalled requests ~150 ms.
        gc.freeze()
        try:
            yield
        finally:
            watcher.stop()
            shadows.shutdown(wait=False)

    app = FastAPI(
        title=f"mlgate: {config.name}@{config.alias}",
        version="2",
        lifespan=lifespan,
        openapi_tags=[{"name": "v2", "description": "Open Inference Protocol"}],
    )

    def error(status: int, message: str, version: int | None = None) -> JSONResponse:
        headers = {"X-Model-Version": str(version)} if version is not None else {}
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    def current() -> Deployment | None:
        watcher = holder.get("w")
        return watcher.routing.stable if watcher is not None else None

    def versioned(response: Response) -> Response:
        live = current()
        if live is not None and "x-model-version" not in response.headers:
            response.headers["X-Model-Version"] = str(live.version.version)
        return response

    def admit(request: Request) -> None:
        """The body-size limit and the token, checked before the body is read."""
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body):
            raise BadInput(f"the request body is larger than {max_body} bytes", 413)
        if token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                raise BadInput("inference needs `Authorization: Bearer <token>`", 401)

    decode = msgspec.json.Decoder().decode  # 6x Python's json on numeric rows

    async def read_json(request: Request) -> Any:
        body = await request.body()
        if len(body) > max_body:
            raise BadInput(f"the request body is larger than {max_body} bytes", 413)
        try:
            return decode(body)
        except msgspec.DecodeError as exc:
            raise BadInput(_json_problem(body, exc), 400) from None

    def serve(
        request: Request,
        parse: Parser,
        body: Any,
        endpoint: str,
        pinned: int | None,
    ) -> tuple[Deployment, Predictions]:
        watcher = holder["w"]
        routing = watcher.routing
        chosen, shadow = routing.choose(request.headers.get("x-request-key"))
        if pinned is not None:
            chosen = next(
                (d for d in (routing.stable, routing.canary) if d and d.version.version == pinned),
                None,
            )
            if chosen is None:
                raise BadInput(f"version {pinned} of '{config.name}' is not being served", 404)
            shadow = None
        if chosen is None:
            raise BadInput(f"'{config.name}@{config.alias}' has no version ready yet", 503)
        frame = parse(body, chosen)
        version = chosen.version.version
        labels = (config.name, str(version), endpoint)
        metrics.requests.labels(*labels).inc()
        started = time.perf_counter()
        try:
            pred = chosen.model.predict(frame)
        except InputRejected as exc:
            raise BadInput(str(exc)) from None
        except MlgateError:
            seconds = time.perf_counter() - started
            counters.record(version, seconds, error=True)
            metrics.errors.labels(*labels).inc()
            raise
        seconds = time.perf_counter() - started
        counters.record(version, seconds, error=False, labels=pred.labels)
        metrics.latency.labels(config.name, str(version)).observe(seconds)
        if shadow is not None:
            shadows.submit(_compare, shadow, chosen, frame, pred, counters)
        return chosen, pred

    async def handle(
        request: Request,
        parse: Parser,
        render: Callable[[Deployment, Predictions, Any], dict[str, Any]],
        endpoint: str,
        pinned: int | None = None,
    ) -> Response:
        try:
            admit(request)
            body = await read_json(request)
            # Inline, not in a thread: a small model predicts faster than a thread hop, and
            # uvicorn's worker processes give the parallelism.
            chosen, pred = serve(request, parse, body, endpoint, pinned)
        except BadInput as exc:
            live = current()
            return error(exc.status, str(exc), live.version.version if live else None)
        except MlgateError as exc:
            live = current()
            return error(500, f"the model failed: {exc}", live.version.version if live else None)
        version = chosen.version.version
        return JSONResponse(render(chosen, pred, body), headers={"X-Model-Version": str(version)})

    def check_name(name: str) -> None:
        if name != config.name:
            raise BadInput(f"this server serves '{config.name}', not '{name}'", 404)

    def v2_render(d: Deployment, pred: Predictions, body: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model_name": config.name,
            "model_version": str(d.version.version),
            "outputs": v2_outputs(pred),
        }
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            out["id"] = body["id"]
        return out

    infer_doc: dict[str, Any] = {
        "requestBody": {"required": True, "content": {"application/json": {"schema": _V2_REQUEST}}},
        "responses": {"400": _ERROR, "404": _ERROR, "413": _ERROR, "422": _ERROR, "503": _ERROR},
    }

    @app.post("/v2/models/{name}/infer", tags=["v2"], openapi_extra=infer_doc)
    async def infer(name: str, request: Request) -> Response:
        try:
            check_name(name)
        except BadInput as exc:
            return error(exc.status, str(exc))
        return await handle(request, _v2, v2_render, "v2")

    @app.post("/v2/models/{name}/versions/{version}/infer", tags=["v2"], openapi_extra=infer_doc)
    async def infer_version(name: str, version: str, request: Request) -> Response:
        try:
            check_name(name)
            if not version.isdigit():
                raise BadInput(f"version must be a number, not {version!r:.40}", 404)
        except BadInput as exc:
            return error(exc.status, str(exc))
        return await handle(request, _v2, v2_render, "v2", int(version))

    @app.post(
        "/invocations",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _MLFLOW_REQUEST}},
            },
            "responses": {"400": _ERROR, "413": _ERROR, "422": _ERROR, "503": _ERROR},
        },
    )
    async def invocations(request: Request) -> Response:
        return await handle(
            request,
            _mlflow,
            lambda _d, pred, _b: {"predictions": predictions_json(pred)},
            "mlflow",
        )

    @app.get("/v2/health/live", tags=["v2"])
    def live() -> Response:
        return versioned(JSONResponse({"live": True}))

    @app.get("/v2/health/ready", tags=["v2"], responses={"503": _ERROR})
    def ready() -> Response:
        if current() is None:
            return error(503, f"no version of '{config.name}@{config.alias}' is loaded yet")
        return versioned(JSONResponse({"ready": True}))

    @app.get("/ping")
    def ping() -> Response:  # what MLflow's clients and load balancers probe
        return ready()

    @app.get("/v2/models/{name}/ready", tags=["v2"], responses={"404": _ERROR, "503": _ERROR})
    def model_ready(name: str) -> Response:
        if name != config.name:
            return error(404, f"this server serves '{config.name}', not '{name}'")
        return ready()

    @app.get("/v2/models/{name}", tags=["v2"], responses={"404": _ERROR, "503": _ERROR})
    def metadata(name: str) -> Response:
        if name != config.name:
            return error(404, f"this server serves '{config.name}', not '{name}'")
        d = current()
        if d is None:
            return error(503, f"no version of '{config.name}@{config.alias}' is loaded yet")
        signature: dict[str, Any] = dict(d.version.signature or {})
        output: dict[str, Any] = dict(signature.get("output") or {})
        outputs = [
            {
                "name": "predict",
                "datatype": "FP64" if output.get("kind") == "regression" else "INT64",
                "shape": [-1],
            }
        ]
        if output.get("proba"):
            outputs.append({"name": "predict_proba", "datatype": "FP64", "shape": [-1, -1]})
        routing = holder["w"].routing
        versions = [
            str(x.version.version) for x in (routing.stable, routing.canary) if x is not None
        ]
        return versioned(
            JSONResponse(
                {
                    "name": config.name,
                    "versions": versions,
                    "platform": d.version.flavor,
                    "inputs": [
                        {"name": c.name, "datatype": v2_datatype(c.dtype), "shape": [-1]}
                        for c in d.columns
                    ],
                    "outputs": outputs,
                }
            )
        )

    @app.get("/metrics")
    def prometheus() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return versioned(
            PlainResponse(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
        )

    return app


def _json_problem(body: bytes, exc: Exception) -> str:
    """What is wrong with a body msgspec refused. NaN and Infinity, which Python's json
    would accept, are named: they are what a client serialising a dataframe sends."""
    for token in (b"NaN", b"Infinity"):
        if token in body and "invalid character" in str(exc):
            return (
                f"{token.decode()} is not a number JSON allows; send a value or leave the row out"
            )
    return f"the body is not valid JSON: {exc}"


def _v2(body: Any, chosen: Deployment) -> pd.DataFrame:
    return parse_v2(body, chosen.columns)


def _mlflow(body: Any, chosen: Deployment) -> pd.DataFrame | np.ndarray:
    """Numeric rows in the signature's order go to a model that takes arrays as one
    matrix; everything else through the parser that validates and names each value."""
    if chosen.model.accepts_arrays:
        matrix = mlflow_matrix(body, chosen.columns)
        if matrix is not None:
            return matrix
    return parse_mlflow(body, chosen.columns)


def _compare(
    shadow: Deployment,
    served_by: Deployment,
    frame: pd.DataFrame | np.ndarray,
    served: Predictions,
    counters: Counters,
) -> None:
    """Shadow mode: the candidate answers too; count how often and how far it differs."""
    import numpy as np

    if isinstance(frame, np.ndarray) and not shadow.model.accepts_arrays:
        import pandas as pd

        frame = pd.DataFrame(frame, columns=[c.name for c in served_by.columns], copy=False)
    started = time.perf_counter()
    try:
        pred = shadow.model.predict(frame)
    except MlgateError:
        counters.record(shadow.version.version, time.perf_counter() - started, error=True)
        return
    counters.record(
        shadow.version.version, time.perf_counter() - started, error=False, labels=pred.labels
    )
    a, b = answer_vector(served), answer_vector(pred)
    try:
        gap = np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))
        differ = int(np.count_nonzero(gap > 1e-9))
        total = float(gap.sum())
    except (TypeError, ValueError):  # string labels
        differ, total = int(np.count_nonzero(np.asarray(a) != np.asarray(b))), 0.0
    counters.compare(shadow.version.version, differ, len(a), total)


def _default_watcher(config: ServeConfig) -> Callable[[Counters], Watcher]:
    def start(counters: Counters) -> Watcher:
        from mlgate.config import load_project
        from mlgate.registry import Registry
        from mlgate.store import Workspace

        project = load_project(config.root)
        registry = Registry(config.registry_url, root=config.root)
        ws = Workspace.for_project(project)
        watcher = Watcher(config, registry, ws, project.config.remote_config, counters)
        watcher.start()
        return watcher

    return start
