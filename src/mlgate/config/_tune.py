"""The schema of a `tune:` stage: an Optuna study that mlgate runs as a pipeline stage."""

from __future__ import annotations

from typing import Literal

import msgspec

Direction = Literal["maximize", "minimize"]


class ParamSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One dimension of the search space: ``{float: [low, high], log: true}``,
    ``{int: [low, high]}`` or ``{categorical: [a, b, c]}``."""

    float_: list[float] | None = msgspec.field(default=None, name="float")
    int_: list[int] | None = msgspec.field(default=None, name="int")
    categorical: list[str | int | float | bool] | None = None
    log: bool = False

    @property
    def type(self) -> str:
        return "int" if self.int_ is not None else "float"

    @property
    def bounds(self) -> list[float] | list[int] | None:
        return self.int_ if self.int_ is not None else self.float_

    @property
    def low(self) -> float | None:
        b = self.bounds
        return float(b[0]) if b is not None and len(b) == 2 else None

    @property
    def high(self) -> float | None:
        b = self.bounds
        return float(b[1]) if b is not None and len(b) == 2 else None

    @property
    def choices(self) -> list[str | int | float | bool] | None:
        return self.categorical


class TuneConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A hyperparameter search.

    Attributes:
        objective: ``module:function`` of the repository, called with an Optuna-style
            trial (``suggest_*`` return the sampled values; ``report`` and
            ``should_prune`` reach the pruner); it returns the score (a tuple for
            several directions).
        cmd: Instead of ``objective``: a shell command that reads the trial's parameters
            from ``MLGATE_TRIAL_PARAMS`` (JSON) or the YAML file ``MLGATE_TRIAL_PARAMS_FILE``
            and writes ``{metric: score}`` as JSON to ``MLGATE_TRIAL_METRICS``.
        metric: The key of the score in that file (a list of keys is not supported).
        space: Parameter name -> its range or choices.
        direction: maximize or minimize, or a list of them (multi-objective).
        n_trials: Trials to finish (a resumed study counts the ones already done).
        timeout: Seconds after which no new trial starts.
        sampler: tpe, cmaes, random, grid or nsga2.
        seed: The sampler's seed: the same seed and space suggest the same parameters.
        pruner: median, hyperband or none.
        output: The YAML file that receives the best parameters (a later stage lists it
            in its `params`).
        jobs: Trials at once, in separate processes.
    """

    space: dict[str, ParamSpec]
    output: str
    objective: str | None = None
    cmd: str | None = None
    metric: str = "score"
    direction: Direction | list[Direction] = "maximize"
    n_trials: int | None = None
    timeout: float | None = None
    sampler: Literal["tpe", "cmaes", "random", "grid", "nsga2"] = "tpe"
    seed: int | None = 0
    pruner: Literal["median", "hyperband", "none"] = "median"
    jobs: int = 1
