"""Search spaces, samplers and pruners from mlgate.yaml, checked before anything runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlgate._errors import ConfigError
from mlgate.config import TuneConfig

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution
    from optuna.pruners import BasePruner
    from optuna.samplers import BaseSampler

SAMPLERS = ("tpe", "cmaes", "random", "grid", "nsga2")
PRUNERS = ("median", "hyperband", "none")


def distributions(stage: str, tune: TuneConfig) -> dict[str, BaseDistribution]:
    """The Optuna distribution of every parameter of the space.

    Raises:
        ConfigError: an empty or inverted range, a log range that reaches 0, an empty
            list of choices; the message names the stage and the parameter.
    """
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if not tune.space:
        raise ConfigError(f"stage '{stage}': tune.space is empty; name at least one parameter")
    out: dict[str, BaseDistribution] = {}
    for name, spec in tune.space.items():
        where = f"stage '{stage}': tune.space.{name}"
        if spec.choices is not None:
            if spec.bounds is not None:
                raise ConfigError(f"{where}: give a range or categorical choices, not both")
            if not spec.choices:
                raise ConfigError(f"{where}: choices is empty; list at least one value")
            out[name] = CategoricalDistribution(list(spec.choices))
            continue
        if spec.low is None or spec.high is None:
            raise ConfigError(
                f"{where}: give {{float: [low, high]}}, {{int: [low, high]}} or "
                "{categorical: [values]}"
            )
        if spec.low >= spec.high:
            raise ConfigError(
                f"{where}: the range [{spec.low}, {spec.high}] is empty or inverted; low must "
                "be below high"
            )
        if spec.log and spec.low <= 0:
            raise ConfigError(f"{where}: a log range must start above 0, not at {spec.low}")
        if spec.type == "int":
            if spec.low != int(spec.low) or spec.high != int(spec.high):
                raise ConfigError(f"{where}: an int range needs whole numbers")
            out[name] = IntDistribution(int(spec.low), int(spec.high), log=spec.log)
        else:
            out[name] = FloatDistribution(spec.low, spec.high, log=spec.log)
    return out


def sampler(stage: str, tune: TuneConfig) -> BaseSampler:
    import optuna.samplers as s

    seed = tune.seed
    if tune.sampler == "tpe":
        return s.TPESampler(seed=seed)
    if tune.sampler == "cmaes":
        return s.CmaEsSampler(seed=seed)
    if tune.sampler == "random":
        return s.RandomSampler(seed=seed)
    if tune.sampler == "nsga2":
        return s.NSGAIISampler(seed=seed)
    grid: dict[str, Any] = {}
    for name, spec in tune.space.items():
        if spec.choices is None:
            raise ConfigError(
                f"stage '{stage}': the grid sampler needs choices for every parameter; "
                f"tune.space.{name} is a range"
            )
        grid[name] = list(spec.choices)
    return s.GridSampler(grid, seed=seed)


def pruner(tune: TuneConfig) -> BasePruner:
    import optuna.pruners as p

    if tune.pruner == "median":
        return p.MedianPruner(n_warmup_steps=1)
    if tune.pruner == "hyperband":
        return p.HyperbandPruner()
    return p.NopPruner()
