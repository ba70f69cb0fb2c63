"""Tuning as a pipeline stage: a study on breast_cancer whose best parameters feed a
train stage and the registered model's lineage; seeds, pruning, resuming, bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from mlgate import ConfigError, PipelineError
from mlgate.config import ParamSpec, TuneConfig
from tests.conftest import Result

Cli = Callable[..., Result]

OBJECTIVE = """\
import os, signal, time
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, Y = load_breast_cancer(return_X_y=True)


def objective(trial):
    c = trial.suggest_float("C", 1e-4, 1e2, log=True)
    fit_intercept = trial.suggest_categorical("fit_intercept", [True, False])
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, fit_intercept=fit_intercept, max_iter=500))
    return float(cross_val_score(model, X, Y, cv=3).mean())


def sometimes_fails(trial):
    c = trial.suggest_float("C", 1e-4, 1e2, log=True)
    if trial.number % 2 == 1:
        raise RuntimeError("odd trials break")
    return c


def always_fails(trial):
    trial.suggest_float("C", 1e-4, 1e2, log=True)
    raise ValueError("nothing works")


def returns_nan(trial):
    trial.suggest_float("C", 1e-4, 1e2, log=True)
    return float("nan") if trial.number == 0 else 1.0


def killed(trial):
    trial.suggest_float("C", 1e-4, 1e2, log=True)
    if trial.number == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return 1.0


def stepwise(trial):
    c = trial.suggest_float("C", 1e-4, 1e2, log=True)
    score = 0.0
    for step in range(5):
        score = (step + 1) * float(np.log10(c))
        trial.report(score, step)
        if trial.should_prune():
            import optuna
            raise optuna.TrialPruned()
    return score


def two_goals(trial):
    c = trial.suggest_float("C", 1e-4, 1e2, log=True)
    return float(np.log10(c)), float(np.log10(c) ** 2)


def slow(trial):
    trial.suggest_float("C", 1e-4, 1e2, log=True)
    time.sleep(0.4)
    return 1.0
"""

TRAIN = """\
import json, yaml
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
import skops.io as sio

best = yaml.safe_load(open("best.yaml"))
x, y = load_breast_cancer(return_X_y=True)
model = make_pipeline(StandardScaler(), LogisticRegression(C=best["C"], fit_intercept=best["fit_intercept"], max_iter=500))
score = float(cross_val_score(model, x, y, cv=3).mean())
sio.dump(model.fit(x, y), "model.skops")
json.dump({"cv_accuracy": score}, open("metrics.json", "w"))
"""

SPACE = {
    "C": ParamSpec(float_=[1e-4, 1e2], log=True),
    "fit_intercept": ParamSpec(categorical=[True, False]),
}


def tune_config(**kw: object) -> TuneConfig:
    base: dict[str, object] = dict(
        objective="objective:objective", space=SPACE, output="best.yaml", n_trials=6
    )
    base.update(kw)
    return TuneConfig(**base)  # type: ignore[arg-type]


@pytest.fixture
def project(repo: Path) -> Path:
    (repo / "objective.py").write_text(OBJECTIVE)
    (repo / "train.py").write_text(TRAIN)
    return repo


PIPELINE = """\
stages:
  tune:
    tune:
      objective: objective:objective
      space:
        C: {float: [0.0001, 100], log: true}
        fit_intercept: {categorical: [true, false]}
      direction: maximize
      n_trials: 8
      sampler: tpe
      seed: 3
      jobs: 2
      output: best.yaml
    deps: [objective.py]
  train:
    cmd: python train.py
    deps: [train.py]
    params: [best.yaml]
    outs: [model.skops]
    metrics: [metrics.json]
"""


def test_best_parameters_flow_into_training_and_the_lineage(cli: Cli, project: Path) -> None:
    (project / "mlgate.yaml").write_text(PIPELINE)
    done = cli("run")
    assert done.code == 0, done.out + done.err
    assert "[tune] trial 7" in done.out and "[tune] best:" in done.out
    best = yaml.safe_load((project / "best.yaml").read_text())
    assert set(best) == {"C", "fit_intercept"}
    import json

    tuned = json.loads((project / "metrics.json").read_text())["cv_accuracy"]
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    default = float(
        cross_val_score(
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)), x, y, cv=3
        ).mean()
    )
    assert tuned >= default  # at least as good as scikit-learn's defaults
    from mlgate.registry import Registry

    with Registry("sqlite:///.mlgate/registry.db", root=str(project)) as reg:
        run = reg.run(1)
    assert run.params["tune.best.C"] == pytest.approx(best["C"])
    assert run.metrics["tune.best_value"] >= 0.97
    assert cli("register", "cancer", "model.skops", "--flavor", "sklearn").code == 0
    lineage = cli("lineage", "cancer@1").out
    assert "tune.best.C" in lineage
    # Nothing changed: the study is not run again.
    again = cli("run")
    assert again.out.count("skipped") == 2
    shown = cli("tune", "show", "tune")
    assert shown.code == 0 and "best: trial" in shown.out and "importance C" in shown.out
    assert (project / ".mlgate" / "tune" / "tune-history.png").read_bytes()[:4] == b"\x89PNG"


def test_the_same_seed_suggests_the_same_parameters(tmp_path: Path) -> None:
    from mlgate.tune import open_study, run_study

    sequences = []
    for name in ("a", "b"):
        root = tmp_path / name
        root.mkdir()
        (root / "objective.py").write_text(OBJECTIVE)
        run_study(str(root), "t", tune_config(n_trials=5, seed=11), say=lambda _s: None)
        study = open_study(str(root), "t", tune_config(n_trials=5, seed=11), create=False)
        sequences.append([t.params for t in study.get_trials()])
    assert sequences[0] == sequences[1] and len(sequences[0]) == 5


def test_failing_nan_and_killed_trials_are_marked_failed_and_tuning_continues(
    project: Path,
) -> None:
    from mlgate.tune import run_study

    said: list[str] = []
    for objective in ("objective:sometimes_fails", "objective:returns_nan", "objective:killed"):
        result = run_study(
            str(project),
            objective.split(":")[1],
            tune_config(objective=objective, n_trials=4, space={"C": SPACE["C"]}),
            say=said.append,
        )
        assert result.failed >= 1 and result.complete >= 2
    assert any("odd trials break" in s for s in said)
    assert any("returned NaN" in s for s in said)
    assert any("its process died" in s for s in said)
    with pytest.raises(PipelineError, match="every trial failed.*nothing works"):
        run_study(
            str(project),
            "dead",
            tune_config(objective="objective:always_fails", n_trials=2, space={"C": SPACE["C"]}),
            say=said.append,
        )


def test_intermediate_values_reach_the_pruner(project: Path) -> None:
    from mlgate.tune import run_study

    result = run_study(
        str(project),
        "p",
        tune_config(
            objective="objective:stepwise",
            n_trials=12,
            space={"C": SPACE["C"]},
            sampler="random",
            pruner="median",
        ),
        say=lambda _s: None,
    )
    assert result.pruned >= 1 and result.complete >= 1


def test_a_killed_tuning_run_resumes_without_repeating_finished_trials(project: Path) -> None:
    (project / "mlgate.yaml").write_text(
        PIPELINE.replace("objective:objective", "objective:slow")
        .replace("n_trials: 8", "n_trials: 6")
        .replace("jobs: 2", "jobs: 1")
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "mlgate", "tune", "run", "tune"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("trial 1:"):
            break
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()
    from tests.conftest import run_mlgate

    done = run_mlgate("tune", "run", "tune", cwd=project)
    assert done.code == 0, done.out + done.err
    assert "resuming study" in done.out and "already finished" in done.out
    from mlgate.config import load_project
    from mlgate.tune import open_study
    from mlgate.tune._stage import inputs_digest

    loaded = load_project(str(project))
    spec = loaded.config.stages["tune"].tune
    assert spec is not None
    trials = open_study(
        str(project), "tune", spec, create=False, inputs=inputs_digest(loaded, "tune")
    ).get_trials()
    assert sum(t.state.name == "COMPLETE" for t in trials) >= 5
    assert len(trials) <= 7  # finished trials were not run again (one may have died running)


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({"C": ParamSpec(float_=[1.0, 1.0])}, "empty or inverted"),
        ({"C": ParamSpec(float_=[2.0, 1.0])}, "empty or inverted"),
        ({"C": ParamSpec(float_=[0.0, 1.0], log=True)}, "log range must start above 0"),
        ({"C": ParamSpec(categorical=[])}, "choices is empty"),
        ({"C": ParamSpec()}, r"give \{float: \[low, high\]\}"),
        ({"C": ParamSpec(int_=[1, 5], categorical=[1])}, "not both"),
        ({}, "tune.space is empty"),
    ],
)
def test_bad_spaces(space: dict[str, ParamSpec], message: str) -> None:
    from mlgate.tune import distributions

    with pytest.raises(ConfigError, match=message):
        distributions("t", tune_config(space=space))


def test_bad_tune_config_in_yaml(cli: Cli, project: Path) -> None:
    (project / "mlgate.yaml").write_text(PIPELINE.replace("sampler: tpe", "sampler: bayes"))
    done = cli("run", "--dry")
    assert done.code == 2 and "stages.tune.tune.sampler: Invalid enum value 'bayes'" in done.err
    (project / "mlgate.yaml").write_text(
        PIPELINE.replace("direction: maximize", "direction: maximize\n      pruner: asha")
    )
    done = cli("run", "--dry")
    assert done.code == 2 and "pruner" in done.err
    (project / "mlgate.yaml").write_text(
        "stages:\n  t:\n    cmd: echo\n    tune: {objective: a:b, space: {}, output: o.yaml}\n"
    )
    done = cli("run", "--dry")
    assert done.code == 2 and "either `cmd` (a command) or `tune` (a study)" in done.err
    (project / "mlgate.yaml").write_text(PIPELINE.replace("      n_trials: 8\n", ""))
    done = cli("tune", "run", "tune")
    assert done.code == 2 and "give tune.n_trials, tune.timeout, or both" in done.err
    done = cli("tune", "show", "nope")
    assert done.code == 2 and "'nope' is not a tune stage" in done.err
    done = cli("tune", "show", "tune")
    assert done.code == 2 and "has not been tuned yet" in done.err


def test_trials_on_a_dask_cluster_feed_training(
    cli: Cli, project: Path, s3_remote: object, dask_scheduler: str
) -> None:
    from tests.execute.test_dask import remote_block

    (project / "mlgate.yaml").write_text(
        remote_block(s3_remote) + PIPELINE.replace("n_trials: 8", "n_trials: 6")
    )  # type: ignore[arg-type]
    done = cli("run", "--executor", dask_scheduler)
    assert done.code == 0, done.out + done.err
    assert f"[tune] trials on the Dask scheduler at {dask_scheduler}" in done.out
    assert "[tune] trials on Dask are not pruned" in done.out
    best = yaml.safe_load((project / "best.yaml").read_text())
    import json

    assert json.loads((project / "metrics.json").read_text())["cv_accuracy"] >= 0.97
    assert set(best) == {"C", "fit_intercept"}


def test_an_unreachable_scheduler_stops_tuning_with_a_clear_error(
    cli: Cli, project: Path, file_remote: object
) -> None:
    from tests.conftest import free_port

    port = free_port()
    (project / "mlgate.yaml").write_text(
        f"remote: {file_remote.url}\nexecutor:\n  dask: tcp://127.0.0.1:{port}\n  connect_timeout: 1\n"
        + PIPELINE  # type: ignore[attr-defined]
    )
    done = cli("tune", "run", "tune")
    assert (
        done.code == 2 and f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in done.err
    )


def test_a_command_objective_reads_its_parameters_and_writes_its_score(project: Path) -> None:
    from mlgate.tune import run_study

    cmd = (
        "python -c \"import json, os; p = json.loads(os.environ['MLGATE_TRIAL_PARAMS']); "
        "json.dump({'loss': (p['x'] - 2) ** 2}, open(os.environ['MLGATE_TRIAL_METRICS'], 'w'))\""
    )
    space = {"x": ParamSpec(float_=[0.0, 5.0])}
    said: list[str] = []
    result = run_study(
        str(project),
        "c",
        TuneConfig(
            cmd=cmd,
            metric="loss",
            direction="minimize",
            space=space,
            output="o.yaml",
            n_trials=8,
            sampler="random",
            seed=1,
        ),
        say=said.append,
    )
    assert result.complete == 8 and abs(result.best_params["x"] - 2) < 1.5
    bad = TuneConfig(cmd="exit 3", space=space, output="o.yaml", n_trials=2)
    with pytest.raises(PipelineError, match="`exit 3` exited with 3"):
        run_study(str(project), "bad", bad, say=said.append)
    silent = TuneConfig(cmd="true", space=space, output="o.yaml", n_trials=1)
    with pytest.raises(PipelineError, match="wrote no 'score'"):
        run_study(str(project), "silent", silent, say=said.append)
    both = TuneConfig(cmd="true", objective="a:b", space=space, output="o.yaml", n_trials=1)
    with pytest.raises(PipelineError, match="not both"):
        run_study(str(project), "both", both, say=said.append)


def test_several_directions_give_a_pareto_front(project: Path) -> None:
    from mlgate.tune import run_study

    result = run_study(
        str(project),
        "mo",
        tune_config(
            objective="objective:two_goals",
            direction=["maximize", "minimize"],
            sampler="nsga2",
            n_trials=6,
            space={"C": SPACE["C"]},
        ),
        say=lambda _s: None,
    )
    assert result.complete == 6 and len(result.best_values) == 2
