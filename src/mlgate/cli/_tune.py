"""`mlgate tune run / show`: the tuning stage and its results."""

from __future__ import annotations

import click

from mlgate.config import load_project


@click.group("tune")
def tune_group() -> None:
    """Hyperparameter studies of `tune:` stages."""


@tune_group.command("run")
@click.argument("stage")
def tune_run_cmd(stage: str) -> None:
    """Run the study of STAGE now (`mlgate run` does this for the stage, with caching)."""
    from mlgate.tune import run_tune_stage

    project = load_project()
    run_tune_stage(project.root, stage, click.echo)


@tune_group.command("show")
@click.argument("stage")
@click.option("--png", "png", help="Where to write the optimisation history plot.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def tune_show_cmd(stage: str, png: str | None, as_json: bool) -> None:
    """The trials of STAGE's study, its best trial, parameter importances, and a PNG of
    the optimisation history."""
    import json
    import os

    from mlgate._errors import PipelineError
    from mlgate.tune import journal_path, open_study
    from mlgate.tune._stage import inputs_digest

    project = load_project()
    spec = project.config.stages.get(stage)
    if spec is None or spec.tune is None:
        raise PipelineError(f"'{stage}' is not a tune stage of mlgate.yaml")
    if not os.path.exists(journal_path(project.root, stage)):
        raise PipelineError(f"stage '{stage}' has not been tuned yet; run `mlgate run {stage}`")
    try:
        study = open_study(
            project.root, stage, spec.tune, create=False, inputs=inputs_digest(project, stage)
        )
    except KeyError:
        raise PipelineError(
            f"the study of '{stage}' with its current settings has not run yet; run "
            f"`mlgate run {stage}`"
        ) from None
    trials = study.get_trials(deepcopy=False)
    rows = [
        {
            "number": t.number,
            "state": t.state.name.lower(),
            "values": t.values,
            "params": t.params,
            "error": t.user_attrs.get("error"),
        }
        for t in trials
    ]
    single = len(study.directions) == 1
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    importances: dict[str, float] = {}
    if single and len(complete) >= 2 and len(spec.tune.space) > 1:
        import optuna

        importances = dict(optuna.importance.get_param_importances(study))
    best = study.best_trial if single and complete else None
    path = png or os.path.join(project.root, ".mlgate", "tune", f"{stage}-history.png")
    if complete and single:
        _plot(
            path, [t.number for t in complete], [t.values[0] for t in complete], spec.tune.direction
        )
    if as_json:
        click.echo(
            json.dumps(
                {"trials": rows, "best": best.number if best else None, "importances": importances},
                indent=2,
                default=str,
            )
        )
        return
    click.echo(f"study {study.study_name}: {len(trials)} trials, {len(complete)} complete")
    for r in rows:
        values = ", ".join(f"{v:.5g}" for v in r["values"] or [])
        note = f"  ({r['error']})" if r["error"] else ""
        click.echo(f"  {r['number']:>4}  {r['state']:<8} {values:<10} {r['params']}{note}")
    if best is not None:
        click.echo(f"best: trial {best.number}, {best.value:.5g}, {best.params}")
    for name, weight in importances.items():
        click.echo(f"importance {name}: {weight:.3f}")
    if complete and single:
        click.echo(f"history plot: {os.path.relpath(path)}")


def _plot(path: str, numbers: list[int], values: list[float], direction: object) -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mlgate._fs import atomic_write

    best: list[float] = []
    for v in values:
        better = max if direction == "maximize" else min
        best.append(v if not best else better(best[-1], v))
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=110)
    ax.plot(numbers, values, "o", color="tab:blue", label="trial")
    ax.step(numbers, best, where="post", color="tab:red", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel("objective")
    ax.legend()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    import os

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    atomic_write(path, buffer.getvalue())
