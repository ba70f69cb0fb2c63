"""The dashboard's ASGI app: one page per registry object, rendered on the server.

Every handler reads the registry and renders a template; nothing here writes. A name,
version or run that does not exist is a 404 page that says so, a malformed one a 400,
and an unreachable registry a 503 that names the fix, never a 500.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from mlgate._errors import NotFound, RegistryError, RegistryUnavailable, SchemaMismatch
from mlgate.dashboard._plots import line_chart

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.responses import HTMLResponse
    from jinja2 import Environment

    from mlgate.deploy import Totals
    from mlgate.evaluate import GateReport
    from mlgate.registry import Model, Registry, Rollout


def create_app(registry_url: str, root: str | None = None) -> FastAPI:
    """The dashboard for the registry at ``registry_url`` (``root`` resolves relative
    SQLite paths, as for the CLI)."""
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse
    from starlette.exceptions import HTTPException

    from mlgate.registry import Registry

    env = _templates()
    state: dict[str, Registry] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["registry"] = Registry(registry_url, root=root)
        try:
            yield
        finally:
            state.pop("registry").close()

    app = FastAPI(title="mlgate", lifespan=lifespan, docs_url=None, redoc_url=None)

    def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status)

    def error(status: int, title: str, message: str) -> HTMLResponse:
        return page("error.html", status, title=title, message=message)

    def view(render: Callable[[Registry], HTMLResponse]) -> HTMLResponse:
        try:
            return render(state["registry"])
        except NotFound as exc:
            return error(404, "Not found", str(exc))
        except (RegistryUnavailable, SchemaMismatch) as exc:
            return error(503, "Registry unavailable", str(exc))
        except RegistryError as exc:
            return error(400, "Bad request", str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> HTMLResponse:
        from http import HTTPStatus

        title = HTTPStatus(exc.status_code).phrase
        return error(exc.status_code, title, f"{request.method} {request.url.path}: {title}")

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> HTMLResponse:
        return error(400, "Bad request", "; ".join(str(e.get("msg", e)) for e in exc.errors()))

    @app.get("/", response_class=HTMLResponse)
    def models() -> HTMLResponse:
        return view(lambda reg: page("models.html", models=reg.models(), runs=reg.runs(10)))

    @app.get("/models/{name}", response_class=HTMLResponse)
    def model(name: str) -> HTMLResponse:
        return view(lambda reg: page("model.html", **_model_page(reg, name)))

    @app.get("/models/{name}/{version}", response_class=HTMLResponse)
    def version(name: str, version: str) -> HTMLResponse:
        number = _number(version)
        if number is None:
            return error(404, "Not found", f"{version!r} is not a version number of {name}")
        return view(lambda reg: page("version.html", **_version_page(reg, name, number)))

    @app.get("/runs", response_class=HTMLResponse)
    def runs(limit: int = 100) -> HTMLResponse:
        if not 1 <= limit <= 10_000:
            return error(400, "Bad request", "limit must be between 1 and 10000")
        return view(lambda reg: page("runs.html", runs=reg.runs(limit), limit=limit))

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    def run(run_id: str) -> HTMLResponse:
        number = _number(run_id)
        if number is None:
            return error(404, "Not found", f"{run_id!r} is not a run number")
        return view(lambda reg: page("run.html", **_run_page(reg, number)))

    return app


def _templates() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("mlgate.dashboard", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
    )
    env.filters["when"] = lambda at: at.strftime("%Y-%m-%d %H:%M:%S") if at else ""
    env.filters["short"] = lambda digest: (digest or "")[:12]
    env.filters["num"] = lambda x: f"{x:.6g}" if isinstance(x, float) else x
    return env


def _number(text: str) -> int | None:
    """A version or run number from a path: ASCII digits that fit the database."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def _model_page(reg: Registry, name: str) -> dict[str, Any]:
    from markupsafe import Markup

    versions = reg.versions(name)
    model = _model(reg, name)
    series = {
        k: [(v.version, v.metrics[k]) for v in versions if k in v.metrics]
        for k in sorted({k for v in versions for k in v.metrics})
    }
    charts = [
        Markup(line_chart(k, points, x_label="version"))
        for k, points in series.items()
        if len(points) >= 2
    ]
    verdicts = {r.version: r.passed for r in reversed(reg.gate_reports(name))}
    timeline = sorted(
        [("alias", e.at, e) for e in reg.history(name)]
        + [("deploy", e.at, e) for e in reg.deploy_events(name)],
        key=lambda item: item[1],
        reverse=True,
    )
    return {
        "model": model,
        "rollouts": _running(reg, name, model.aliases),
        "versions": list(reversed(versions)),
        "charts": charts,
        "verdicts": verdicts,
        "timeline": timeline,
    }


def _model(reg: Registry, name: str) -> Model:
    """The model ``name``, with its aliases (it exists: the caller read its versions)."""
    return next(m for m in reg.models() if m.name == name)


def _running(
    reg: Registry, name: str, aliases: Mapping[str, int]
) -> list[tuple[Rollout, Totals, Totals]]:
    """The rollouts running behind the model's aliases, each with what the canary and
    the stable version answered so far over all replicas."""
    from mlgate.deploy import totals

    running = []
    for alias in sorted(aliases):
        rollout = reg.active_rollout(name, alias)
        if rollout is not None:
            stats = reg.rollout_stats(rollout.id)
            running.append((rollout, totals(stats, rollout.canary), totals(stats, rollout.stable)))
    return running


def _version_page(reg: Registry, name: str, number: int) -> dict[str, Any]:
    version = reg.get(name, number)
    run = reg.run(version.run_id) if version.run_id is not None else None
    reports = [(stored, _gate_report(stored.report)) for stored in reg.gate_reports(name, number)]
    aliases = _model(reg, name).aliases
    events = [e for e in reg.deploy_events(name) if e.version == number]
    return {
        "v": version,
        "run": run,
        "reports": reports,
        "aliases": sorted(a for a, v in aliases.items() if v == number),
        "events": events,
    }


def _gate_report(data: Mapping[str, object]) -> GateReport | None:
    """The stored report's checks, or None for a report written by other means (the
    page then shows only its verdict)."""
    from mlgate.evaluate import GateReport

    try:
        return GateReport.from_dict(dict(data))
    except (KeyError, TypeError, ValueError):
        return None


def _run_page(reg: Registry, run_id: int) -> dict[str, Any]:
    from markupsafe import Markup

    run = reg.run(run_id)
    charts = []
    for key in sorted(run.metrics):
        series = reg.metric_history(run_id, key)
        if len(series) >= 2:
            charts.append(
                Markup(line_chart(key, [(float(s), v) for s, v in series], x_label="step"))
            )
    return {"run": run, "charts": charts}
