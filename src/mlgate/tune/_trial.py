"""What runs in a trial's own process: the objective, with a trial object whose
``suggest_*`` return the values the coordinator's sampler chose and whose ``report`` /
``should_prune`` reach the coordinator's pruner."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class _Channel:
    """Intermediate values to the coordinator, and its pruning decisions back."""

    def __init__(self, reports: Any, decisions: Any) -> None:
        self.reports = reports
        self.decisions = decisions

    def ask(self, number: int, step: int, value: float) -> bool:
        key = f"{number}:{step}"
        self.reports.put((number, step, value))
        while key not in self.decisions:
            time.sleep(0.002)
        return bool(self.decisions.pop(key))


class TrialProxy:
    """The trial an objective receives (the subset of ``optuna.Trial`` it may use)."""

    def __init__(self, number: int, params: dict[str, Any], channel: _Channel | None) -> None:
        self.number = number
        self.params = dict(params)
        self.user_attrs: dict[str, Any] = {}
        self._channel = channel
        self._prune = False

    def _get(self, name: str) -> Any:
        if name not in self.params:
            raise KeyError(
                f"the objective asks for '{name}', which tune.space does not define; add it "
                "to the space in mlgate.yaml"
            )
        return self.params[name]

    def suggest_float(self, name: str, low: float, high: float, **_kw: Any) -> float:
        return float(self._get(name))

    def suggest_int(self, name: str, low: int, high: int, **_kw: Any) -> int:
        return int(self._get(name))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self._get(name)

    def report(self, value: float, step: int) -> None:
        if self._channel is not None:
            self._prune = self._channel.ask(self.number, step, float(value))

    def should_prune(self) -> bool:
        return self._prune

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value


class TrialPruned(Exception):
    """Raise it (or ``optuna.TrialPruned``) from the objective to stop a trial early."""


@dataclass(frozen=True)
class Outcome:
    """How a trial ended: ``complete`` with values, ``pruned`` or ``fail`` with why."""

    number: int
    state: str
    values: tuple[float, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class Objective:
    """``module:function`` to call, or a shell ``cmd`` and the ``metric`` it writes."""

    function: str | None = None
    cmd: str | None = None
    metric: str = "score"


def run_trial(
    root: str,
    objective: Objective,
    number: int,
    params: dict[str, Any],
    reports: Any,
    decisions: Any,
) -> Outcome:
    """Run the objective once (in a worker process)."""
    from mlgate.evaluate._metrics import load_callable

    if objective.cmd is not None:
        return _run_command(root, objective, number, params)
    assert objective.function is not None
    try:
        func = load_callable(objective.function, root, "objective")
    except Exception as exc:
        return Outcome(number, "fail", message=str(exc))
    trial = TrialProxy(
        number, params, _Channel(reports, decisions) if reports is not None else None
    )
    try:
        result = func(trial)
    except Exception as exc:
        if type(exc).__name__ == "TrialPruned":
            return Outcome(number, "pruned")
        return Outcome(number, "fail", message=f"{type(exc).__name__}: {exc}")
    values = tuple(result) if isinstance(result, list | tuple) else (result,)
    try:
        floats = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        return Outcome(number, "fail", message=f"the objective returned {result!r}, not a number")
    if any(math.isnan(v) for v in floats):
        return Outcome(number, "fail", message="the objective returned NaN")
    return Outcome(number, "complete", floats)


def _run_command(root: str, objective: Objective, number: int, params: dict[str, Any]) -> Outcome:
    import json
    import os
    import signal
    import subprocess
    import tempfile

    import yaml

    assert objective.cmd is not None
    with tempfile.TemporaryDirectory(prefix=f"mlgate-trial-{number}-") as tmp:
        params_file = os.path.join(tmp, "params.yaml")
        metrics_file = os.path.join(tmp, "metrics.json")
        with open(params_file, "w") as fh:
            yaml.safe_dump(params, fh)
        env = {
            **os.environ,
            "MLGATE_TRIAL_NUMBER": str(number),
            "MLGATE_TRIAL_PARAMS": json.dumps(params),
            "MLGATE_TRIAL_PARAMS_FILE": params_file,
            "MLGATE_TRIAL_METRICS": metrics_file,
        }
        done = subprocess.run(
            objective.cmd,
            shell=True,
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode < 0:
            name = signal.Signals(-done.returncode).name
            return Outcome(number, "fail", message=f"`{objective.cmd}` was killed by {name}")
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
            return Outcome(
                number,
                "fail",
                message=f"`{objective.cmd}` exited with {done.returncode}: {tail[0]}",
            )
        try:
            with open(metrics_file) as fh:
                value = json.load(fh)[objective.metric]
        except (OSError, ValueError, KeyError, TypeError):
            return Outcome(
                number,
                "fail",
                message=f"`{objective.cmd}` wrote no '{objective.metric}' to $MLGATE_TRIAL_METRICS",
            )
    try:
        score = float(value)
    except (TypeError, ValueError):
        return Outcome(number, "fail", message=f"'{objective.metric}' is {value!r}, not a number")
    if math.isnan(score):
        return Outcome(number, "fail", message="the objective returned NaN")
    return Outcome(number, "complete", (score,))
