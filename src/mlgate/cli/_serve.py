"""`mlgate serve`, `rollout`, `rollback` and `promote`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
import msgspec

from mlgate.config import DeployConfig, load_project

if TYPE_CHECKING:
    from mlgate.deploy import RolloutPlan


@click.command("serve")
@click.argument("name")
@click.option("--alias", default="production", show_default=True, help="The alias to serve.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--poll",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.05, 60),
    help="Seconds between registry reads (PostgreSQL also notifies at once).",
)
@click.option("--token", envvar="MLGATE_SERVE_TOKEN", help="Bearer token required on inference.")
@click.option(
    "--max-body-mb",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.001, 1024),
    help="Larger request bodies get 413.",
)
@click.option("--trust", is_flag=True, help="Allow model formats that run code when loaded.")
@click.option("--print-dockerfile", is_flag=True, help="Print a Dockerfile that serves NAME.")
@click.option("--print-k8s", is_flag=True, help="Print a Kubernetes Deployment and Service.")
def serve_cmd(
    name: str,
    alias: str,
    host: str,
    port: int,
    workers: int,
    poll: float,
    token: str | None,
    max_body_mb: float,
    trust: bool,
    print_dockerfile: bool,
    print_k8s: bool,
) -> None:
    """Serve NAME@ALIAS over HTTP (KServe V2 and MLflow's /invocations), following the
    alias and its rollouts without a restart."""
    from mlgate.serve import ServeConfig, dockerfile, kubernetes, run_server

    if print_dockerfile or print_k8s:
        click.echo(
            dockerfile(name, alias) if print_dockerfile else kubernetes(name, alias), nl=False
        )
        return
    project = load_project()
    from mlgate.registry import Registry

    with Registry(project.config.registry, root=project.root) as registry:
        registry.resolve(name)  # an unknown model is an error now, not a server with nothing
        url = registry.url
    trusted = trust or (project.config.model is not None and project.config.model.trust)
    config = ServeConfig(name, alias, url, project.root, poll=poll, trust=trusted)
    click.echo(f"serving {name}@{alias} on http://{host}:{port} ({workers} worker(s))", err=True)
    run_server(
        config,
        host=host,
        port=port,
        workers=workers,
        token=token,
        max_body=int(max_body_mb * 1024 * 1024),
    )


@click.command("rollout")
@click.argument("name")
@click.argument("version", type=int)
@click.option("--alias", help="[default: deploy.alias, the model's champion, or production]")
@click.option("--steps", help="Canary weights in percent. [default: deploy.steps or 10,50,100]")
@click.option(
    "--step-seconds",
    type=click.FloatRange(0.1),
    help="How long each step is observed. [default: deploy.step_seconds or 60]",
)
@click.option(
    "--min-requests",
    type=click.IntRange(1),
    help="Canary requests each step needs; fewer is inconclusive. [default: "
    "deploy.min_requests or 200]",
)
@click.option(
    "--p99-ms",
    type=click.FloatRange(0, min_open=True),
    help="Canary p99 budget. [default: deploy.p99_ms]",
)
@click.option("--alpha", default=0.05, show_default=True, type=click.FloatRange(0.0001, 0.5))
@click.option("--shadow", is_flag=True, help="Mirror traffic to VERSION without answering with it.")
@click.option(
    "--max-prediction-shift",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Abort when a predicted class's share moves more than this (0.1 = ten points). "
    "[default: deploy.max_prediction_shift]",
)
def rollout_cmd(
    name: str,
    version: int,
    alias: str | None,
    steps: str | None,
    step_seconds: float | None,
    min_requests: int | None,
    p99_ms: float | None,
    alpha: float,
    shadow: bool,
    max_prediction_shift: float | None,
) -> None:
    """Roll VERSION out behind NAME@ALIAS step by step; abort by itself on evidence of
    harm (errors, latency, shifted predictions), promote after the last step. Exit 1
    when not promoted.

    For the model of mlgate.yaml, options not given come from its `deploy:` section,
    as for `mlgate ci --deploy`."""
    from mlgate._errors import GateFailed
    from mlgate.cli._registry import open_registry
    from mlgate.deploy import run_rollout
    from mlgate.registry import default_actor

    config = load_project().config
    model = config.model if config.model is not None and config.model.name == name else None
    given = {
        "alias": alias,
        "steps": _weights(steps) if steps is not None else None,
        "step_seconds": step_seconds,
        "min_requests": min_requests,
        "p99_ms": p99_ms,
        "max_prediction_shift": max_prediction_shift,
    }
    settings = msgspec.structs.replace(
        config.deploy if model is not None else DeployConfig(),
        **{k: v for k, v in given.items() if v is not None},
    )
    plan = rollout_plan(settings, alpha=alpha, shadow=shadow)
    alias = settings.alias or (model.champion if model is not None else "production")
    with open_registry() as registry:
        done = run_rollout(
            registry, name, version, alias, plan, actor=default_actor(), say=click.echo
        )
    click.echo(f"rollout {done.id}: {done.status}")
    if done.status != "promoted" and not shadow:
        raise GateFailed(f"{name}@{version} was not promoted ({done.status}): {done.reason}")


def rollout_plan(
    settings: DeployConfig, *, alpha: float = 0.05, shadow: bool = False
) -> RolloutPlan:
    """The rollout that ``deploy:`` settings describe (10, 50, 100% without steps); a
    canary always ends at 100%, a shadow where its steps end."""
    from mlgate.deploy import RolloutPlan

    steps = list(settings.steps) or [10, 50, 100]
    if not shadow and steps[-1] != 100:
        steps.append(100)
    return RolloutPlan(
        tuple(steps),
        settings.step_seconds,
        settings.min_requests,
        settings.p99_ms,
        alpha,
        shadow,
        max_prediction_shift=settings.max_prediction_shift,
    )


def _weights(steps: str) -> list[int]:
    """``--steps``: increasing percentages, e.g. ``10,50,100``."""
    try:
        weights = [int(s) for s in steps.split(",")]
    except ValueError:
        raise click.BadParameter(
            f"{steps!r} is not a list of percentages", param_hint="--steps"
        ) from None
    if not weights or any(not 0 < w <= 100 for w in weights) or weights != sorted(weights):
        raise click.BadParameter(
            "use increasing percentages in 1..100, e.g. 10,50,100", param_hint="--steps"
        )
    return weights


@click.command("rollback")
@click.argument("name")
@click.option("--alias", default="production", show_default=True)
@click.option("--to", "to", type=int, help="The version to go back to (default: the one before).")
@click.option("--reason", default="manual rollback", show_default=True)
def rollback_cmd(name: str, alias: str, to: int | None, reason: str) -> None:
    """Move NAME@ALIAS back to the version it held before (or --to VERSION); servers
    follow within a second."""
    from mlgate.cli._registry import open_registry
    from mlgate.deploy import rollback
    from mlgate.registry import default_actor

    with open_registry() as registry:
        event = rollback(registry, name, alias, to=to, reason=reason, actor=default_actor())
    click.echo(f"{name}@{alias}: version {event.from_version} -> version {event.to_version}")


@click.command("promote")
@click.argument("name")
@click.argument("version", type=int)
@click.option("--alias", default="production", show_default=True)
@click.option("--force", is_flag=True, help="Promote without a passing gate report.")
@click.option("--reason", help="Why (required with --force).")
def promote_cmd(name: str, version: int, alias: str, force: bool, reason: str | None) -> None:
    """Point NAME@ALIAS at VERSION, which needs a passing gate report (`mlgate gate`)."""
    from mlgate.cli._registry import open_registry
    from mlgate.deploy import promote
    from mlgate.registry import default_actor

    with open_registry() as registry:
        event = promote(
            registry, name, version, alias, force=force, reason=reason, actor=default_actor()
        )
    old = "unset" if event.from_version is None else f"version {event.from_version}"
    click.echo(f"{name}@{alias}: {old} -> version {event.to_version} ({event.reason})")
