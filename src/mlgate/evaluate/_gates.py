"""Metric gates: absolute bounds on the candidate, and paired comparisons with other
models on the same rows, corrected for multiplicity across all comparisons at once."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from mlgate._errors import EvaluationError
from mlgate.config import GatesConfig, MetricGate
from mlgate.evaluate._bootstrap import PairedAucStatistic, Statistic, SumStatistic, bootstrap_test
from mlgate.evaluate._metrics import (
    Metric,
    Predictions,
    check_two_classes,
    get_metric,
    positive_mask,
    positive_scores,
)
from mlgate.evaluate._report_types import GateResult
from mlgate.evaluate._tests import (
    TestResult,
    benjamini_hochberg,
    delong_test,
    holm,
    mcnemar,
    paired_t,
    wilcoxon,
)

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Baseline:
    """A model to compare with: its reference and its predictions on the same rows."""

    ref: str
    predictions: Predictions


def _take(pred: Predictions, mask: NDArray[np.bool_]) -> Predictions:
    return Predictions(
        labels=pred.labels[mask] if pred.labels is not None else None,
        proba=pred.proba[mask] if pred.proba is not None else None,
        values=pred.values[mask] if pred.values is not None else None,
        classes=pred.classes,
    )


def _length(pred: Predictions) -> int:
    for array in (pred.labels, pred.proba, pred.values):
        if array is not None:
            return len(array)
    raise EvaluationError("the model returned no predictions")


def metric_gates(
    gates: GatesConfig,
    y: NDArray[np.generic],
    frame: pd.DataFrame,
    candidate: Predictions,
    baselines: Mapping[str, Baseline | None],
    *,
    default_alias: str,
    root: str | None = None,
) -> list[GateResult]:
    """Every metric gate's results, with comparison p-values corrected together.

    Args:
        baselines: Alias -> the model behind it, or None when the alias is not set.
        default_alias: The alias a comparison uses when the gate names none (the
            champion's).

    Raises:
        EvaluationError: predictions and labels differ in length, a slice is empty, a
            metric is unknown or cannot be computed; the message names the gate.
    """
    n = len(y)
    for name, pred in [("candidate", candidate)] + [
        (b.ref, b.predictions) for b in baselines.values() if b is not None
    ]:
        if _length(pred) != n:
            raise EvaluationError(
                f"the {name} model gave {_length(pred)} predictions for {n} evaluation rows"
            )
    results: list[GateResult] = []
    comparisons: list[int] = []
    for name, gate in gates.metrics.items():
        metric = get_metric(gate.metric, root)
        alpha = gate.alpha if gate.alpha is not None else gates.alpha
        try:
            if gate.min is not None or gate.max is not None:
                results.append(_absolute(name, gate, metric, y, candidate))
            if gate.margin is None and not gate.improve:
                continue
            alias = gate.compare or default_alias
            baseline = baselines.get(alias)
            if baseline is None:
                results.append(
                    GateResult(
                        name,
                        "comparison",
                        "skip",
                        f"no model has the alias '{alias}' yet, so there is nothing to compare "
                        "with; only the absolute gates apply",
                        metric=metric.name,
                    )
                )
                continue
            for label, mask in _slices(frame, gate.by, name):
                result = _compare(
                    label,
                    gate,
                    metric,
                    y[mask],
                    _take(candidate, mask),
                    _take(baseline.predictions, mask),
                    gates,
                    alpha,
                )
                comparisons.append(len(results))
                results.append(result)
        except EvaluationError as exc:
            raise EvaluationError(f"gate '{name}' ({gate.metric}): {exc}") from None
    return _correct(results, comparisons, gates.correction)


def _absolute(
    name: str, gate: MetricGate, metric: Metric, y: NDArray[np.generic], pred: Predictions
) -> GateResult:
    value = metric.value(y, pred)
    if not math.isfinite(value):
        raise EvaluationError(f"{metric.name} is undefined on these rows")
    bad = (gate.min is not None and value < gate.min) or (gate.max is not None and value > gate.max)
    bounds = " and ".join(
        text
        for text in (
            f"at least {gate.min:g}" if gate.min is not None else "",
            f"at most {gate.max:g}" if gate.max is not None else "",
        )
        if text
    )
    verdict = "fails" if bad else "meets"
    return GateResult(
        name,
        "metric",
        "fail" if bad else "pass",
        f"{metric.name} = {value:.4f} {verdict} the bound ({bounds})",
        metric=metric.name,
        value=value,
        threshold=gate.min if gate.min is not None else gate.max,
    )


def _slices(frame: pd.DataFrame, by: str | None, name: str) -> list[tuple[str, NDArray[np.bool_]]]:
    everything = np.ones(len(frame), dtype=np.bool_)
    if by is None:
        return [(name, everything)]
    if by not in frame.columns:
        raise EvaluationError(
            f"`by: {by}` names a column that the evaluation data does not have; its columns "
            f"are {', '.join(map(str, frame.columns))}"
        )
    column = frame[by]
    values = column.cat.categories if hasattr(column, "cat") else column.dropna().unique()
    out: list[tuple[str, NDArray[np.bool_]]] = []
    for value in sorted(values, key=str):
        mask = np.asarray(column == value, dtype=np.bool_)
        if not mask.any():
            raise EvaluationError(
                f"the slice {by}={value} has no evaluation rows; remove the category or add rows"
            )
        out.append((f"{name}[{by}={value}]", mask))
    return out


def _choose_test(gate: MetricGate, metric: Metric) -> str:
    if gate.test != "auto":
        return gate.test
    if metric.name == "accuracy" and gate.improve:
        return "mcnemar"
    if metric.name == "roc_auc":
        return "delong"
    if metric.per_row_loss is not None and (gate.improve or metric.name in ("mae", "mape")):
        return "ttest"
    return "bootstrap"


def _compare(
    label: str,
    gate: MetricGate,
    metric: Metric,
    y: NDArray[np.generic],
    cand: Predictions,
    champ: Predictions,
    gates: GatesConfig,
    alpha: float,
) -> GateResult:
    margin = gate.margin or 0.0
    threshold = -margin
    test = _choose_test(gate, metric)
    result = _run_test(test, metric, y, cand, champ, threshold, alpha, gates)
    value, baseline = metric.value(y, cand), metric.value(y, champ)
    return GateResult(
        label,
        "comparison",
        "pass",  # decided after the correction
        "",
        metric=metric.name,
        value=value,
        baseline=baseline,
        estimate=result.estimate,
        low=result.low,
        high=result.high,
        p_value=result.p_value,
        threshold=threshold,
        test=result.test,
        alpha=alpha,
    )


def _run_test(
    test: str,
    metric: Metric,
    y: NDArray[np.generic],
    cand: Predictions,
    champ: Predictions,
    threshold: float,
    alpha: float,
    gates: GatesConfig,
) -> TestResult:
    sign = 1.0 if metric.greater_is_better else -1.0
    if test == "mcnemar":
        if metric.name != "accuracy" or threshold != 0.0:
            raise EvaluationError(
                "McNemar's test compares accuracy for superiority (improve: true); use "
                "test: bootstrap for a margin or another metric"
            )
        assert cand.labels is not None and champ.labels is not None
        return mcnemar(np.asarray(cand.labels == y), np.asarray(champ.labels == y), alpha)
    if test == "delong":
        if metric.name != "roc_auc":
            raise EvaluationError("the DeLong test compares ROC AUC; use test: bootstrap")
        pos = positive_mask(y, cand)
        check_two_classes(pos)
        return delong_test(pos, positive_scores(cand), positive_scores(champ), threshold, alpha)
    if test in ("ttest", "wilcoxon"):
        if metric.per_row_loss is None:
            raise EvaluationError(
                f"test: {test} compares per-row losses of regression metrics; {metric.name} "
                "has none, use test: bootstrap"
            )
        if threshold != 0.0 and metric.name not in ("mae", "mape"):
            raise EvaluationError(
                f"a margin on {metric.name} is not a margin on its per-row loss; use "
                "test: bootstrap (or compare MAE)"
            )
        gain = metric.per_row_loss(y, champ) - metric.per_row_loss(y, cand)
        return (paired_t if test == "ttest" else wilcoxon)(gain, threshold, alpha)
    stat = _paired_statistic(metric, y, cand, champ, sign)
    return bootstrap_test(
        stat,
        threshold,
        alpha=alpha,
        resamples=gates.resamples,
        seed=gates.seed,
        interval=gates.interval,
    )


def _paired_statistic(
    metric: Metric, y: NDArray[np.generic], cand: Predictions, champ: Predictions, sign: float
) -> Statistic:
    if metric.name == "roc_auc":
        pos = positive_mask(y, cand)
        check_two_classes(pos)
        return PairedAucStatistic(pos, positive_scores(cand), positive_scores(champ))
    assert metric.features is not None
    fc, fh = metric.features(y, cand), metric.features(y, champ)
    k = fc.shape[1]
    combine = metric.combine

    def gain(s: NDArray[np.float64], w: NDArray[np.float64]) -> NDArray[np.float64]:
        return sign * (combine(s[:, :k], w) - combine(s[:, k:], w))

    return SumStatistic(np.hstack([fc, fh]), gain)


def _correct(results: list[GateResult], indexes: list[int], method: str) -> list[GateResult]:
    p = [results[i].p_value or 0.0 for i in indexes]
    adjusted = holm(p) if method == "holm" else benjamini_hochberg(p) if method == "bh" else p
    out = list(results)
    for i, p_adj in zip(indexes, adjusted, strict=True):
        out[i] = _decide(results[i], p_adj, method, len(indexes))
    return out


def _decide(r: GateResult, p_adj: float, method: str, family: int) -> GateResult:
    assert r.alpha is not None and r.threshold is not None and r.estimate is not None
    passed = p_adj < r.alpha
    goal = (
        "better than the baseline"
        if r.threshold == 0
        else f"worse by no more than {-r.threshold:g} (non-inferiority)"
    )
    corrected = (
        f", {method}-adjusted over {family} comparisons" if family > 1 and method != "none" else ""
    )
    interval = f"[{r.low:+.4f}, {r.high:+.4f}]" if r.low is not None and r.high is not None else ""
    message = (
        f"candidate {r.metric} {r.value:.4f} vs {r.baseline:.4f}: gain {r.estimate:+.4f} "
        f"{interval}; p = {p_adj:.4g}{corrected}. "
        + (
            f"Shown {goal} at alpha {r.alpha:g}."
            if passed
            else f"Not shown {goal} at alpha {r.alpha:g}."
        )
    )
    return replace(r, status="pass" if passed else "fail", message=message, p_adjusted=p_adj)
