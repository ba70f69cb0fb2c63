"""The schema of the model, evaluation and gates sections of mlgate.yaml."""

from __future__ import annotations

from typing import Literal

import msgspec

TestName = Literal["auto", "bootstrap", "mcnemar", "delong", "ttest", "wilcoxon"]
DriftMethod = Literal["psi", "ks", "chi2", "js"]


class ModelConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The model the pipeline produces.

    Attributes:
        name: Its name in the registry.
        path: Where the pipeline writes it (the default candidate of `mlgate gate`).
        flavor: sklearn, onnx, pickle or python:module:function.
        trust: Allow formats that run code when loaded (pickle, unsafe skops types).
        champion: The alias of the version in production, that candidates must beat.
    """

    name: str
    path: str
    flavor: str = "sklearn"
    trust: bool = False
    champion: str = "production"


class EvaluationConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The rows every model is judged on.

    Attributes:
        data: A CSV or Parquet file of input columns and the target.
        target: The target column.
        train_data: The training data (CSV or Parquet). Data checks look at it, and the
            champion's version of it, found through the registry's lineage, is the
            default drift and schema reference.
    """

    data: str
    target: str
    train_data: str | None = None


class MetricGate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A gate on one metric: absolute bounds and/or a paired comparison.

    Attributes:
        metric: A built-in metric, or `module:function` (per-row values; `-` prefix when
            lower is better).
        min: The candidate's value must be at least this.
        max: The candidate's value must be at most this.
        compare: The alias of the model to compare with (default: the champion) when
            `margin` or `improve` is set.
        margin: Non-inferiority: the candidate may be worse by at most this much, with
            confidence 1 - alpha.
        improve: Superiority: the candidate must be better, with confidence 1 - alpha.
        test: The paired test; `auto` picks McNemar for accuracy, DeLong for ROC AUC,
            a paired t-test for regression losses, and the bootstrap otherwise.
        by: Evaluate the comparison in each slice of this column (each slice is one
            hypothesis in the multiple-comparison correction).
        alpha: Overrides `gates.alpha` for this gate.
    """

    metric: str
    min: float | None = None
    max: float | None = None
    compare: str | None = None
    margin: float | None = None
    improve: bool = False
    test: TestName = "auto"
    by: str | None = None
    alpha: float | None = None


class LatencyGate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Prediction latency budgets, measured on batches of evaluation rows."""

    p50_ms: float | None = None
    p99_ms: float | None = None
    batch: int = 1
    requests: int = 200


class SizeGate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The model artifact's size budget."""

    max_mb: float


class NullCheck(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    max_fraction: float = 0.0
    columns: list[str] | None = None


class DriftCheck(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Drift of each column against a reference.

    Attributes:
        method: psi (population stability index), ks (Kolmogorov-Smirnov statistic),
            js (Jensen-Shannon distance, base 2), chi2 (chi-square p-value).
        threshold: psi, ks and js fail above it; chi2 fails when its p-value is below.
        columns: Which columns (default: every input column).
        reference: A data file to compare with (default: the champion's training data).
    """

    method: DriftMethod = "psi"
    threshold: float = 0.2
    columns: list[str] | None = None
    reference: str | None = None


class DataChecks(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Checks on the evaluation data (and the training data when configured).

    Attributes:
        schema: `infer` (from the champion's training data, with pandera), a mapping of
            column to dtype, or `off`.
        nulls: The largest share of missing values allowed.
        ranges: Column -> [low, high] that every value must lie in.
        categories: Column -> the values allowed.
        drift: Drift checks against a reference.
    """

    schema: Literal["infer", "off"] | dict[str, str] = "off"
    nulls: NullCheck | None = None
    ranges: dict[str, list[float]] = msgspec.field(default_factory=dict)
    categories: dict[str, list[str | int | bool]] = msgspec.field(default_factory=dict)
    drift: list[DriftCheck] = msgspec.field(default_factory=list)


class GatesConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Everything a candidate must pass before promotion.

    Attributes:
        alpha: The error rate of each family of comparisons.
        correction: holm (family-wise error), bh (false discovery rate) or none.
        resamples: Bootstrap resamples.
        seed: Bootstrap seed (the same seed gives the same report).
        interval: bca or percentile bootstrap intervals.
    """

    alpha: float = 0.05
    correction: Literal["holm", "bh", "none"] = "holm"
    resamples: int = 2000
    seed: int = 0
    interval: Literal["bca", "percentile"] = "bca"
    metrics: dict[str, MetricGate] = msgspec.field(default_factory=dict)
    latency: LatencyGate | None = None
    size: SizeGate | None = None
    data: DataChecks | None = None


class DeployConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What `mlgate ci --deploy` does with a candidate that passed its gates.

    Attributes:
        alias: The alias to deploy to (default: the model's champion alias).
        steps: Canary weights in percent; empty promotes directly.
        step_seconds: How long each canary step is observed.
        min_requests: Canary requests each step needs (fewer is inconclusive).
        p99_ms: The canary's p99 latency budget.
        max_prediction_shift: Classifiers: the largest change in a predicted class's
            share (0.1 = ten points) the canary may show against stable.
    """

    alias: str | None = None
    steps: list[int] = msgspec.field(default_factory=list)
    step_seconds: float = 60.0
    min_requests: int = 200
    p99_ms: float | None = None
    max_prediction_shift: float | None = None
