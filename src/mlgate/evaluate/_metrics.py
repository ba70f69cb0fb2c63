"""Metrics as weighted sums of per-row features, so that the bootstrap can resample
them without recomputing from rows (see :mod:`mlgate.evaluate._bootstrap`).

Each metric turns (labels, predictions) into an (n, k) feature matrix and combines
weighted column sums into its value: accuracy is ``sum(correct) / sum(w)``, F1 is
``2 tp / (predicted positives + positives)``, RMSE is ``sqrt(sum(sq error) / sum(w))``.
ROC AUC is the exception: it is a rank statistic (see ``PairedAucStatistic``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from mlgate._errors import EvaluationError, MlgateError
from mlgate.evaluate._bootstrap import Combine
from mlgate.evaluate._tests import Array

Needs = Literal["label", "proba", "value"]


@dataclass(frozen=True)
class Predictions:
    """One model's predictions on the evaluation rows.

    Attributes:
        labels: Predicted classes (classification).
        proba: Probability of the positive class, (n,), for binary classification; or
            one column per class, (n, C), in the order of ``classes``.
        values: Predicted numbers (regression).
        classes: The class labels, in ``proba``'s column order.
    """

    labels: NDArray[np.generic] | None = None
    proba: Array | None = None
    values: Array | None = None
    classes: tuple[object, ...] = ()


@dataclass(frozen=True)
class Metric:
    """A metric: its name, its direction, what it needs and how it decomposes.

    Attributes:
        per_row_loss: For regression metrics, the per-row loss that the paired t and
            Wilcoxon tests compare (squared error for RMSE, absolute error for MAE).
    """

    name: str
    greater_is_better: bool
    needs: Needs
    features: Callable[[NDArray[np.generic], Predictions], Array] | None
    combine: Combine
    per_row_loss: Callable[[NDArray[np.generic], Predictions], Array] | None = None

    def value(self, y: NDArray[np.generic], pred: Predictions) -> float:
        if self.name == "roc_auc":
            from mlgate.evaluate._tests import delong

            score = positive_scores(pred)
            pos = positive_mask(y, pred)
            check_two_classes(pos)
            return delong(pos, score, score).auc_candidate
        assert self.features is not None
        f = self.features(y, pred)
        return float(self.combine(f.sum(0)[None, :], np.array([float(len(f))]))[0])


def _col(*arrays: NDArray[np.generic]) -> Array:
    return np.column_stack([np.asarray(a, dtype=np.float64) for a in arrays])


def _ratio(s: Array, _w: Array) -> Array:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(s[:, 0] / s[:, 1], dtype=np.float64)


def _mean(s: Array, w: Array) -> Array:
    return np.asarray(s[:, 0] / w, dtype=np.float64)


def _labels(pred: Predictions, name: str) -> NDArray[np.generic]:
    if pred.labels is None:
        raise EvaluationError(f"metric '{name}' needs predicted labels; the model gave none")
    return pred.labels


def positive_class(y: NDArray[np.generic], pred: Predictions) -> object:
    """The positive class: the model's second class, else the larger label."""
    if len(pred.classes) == 2:
        return pred.classes[1]
    values = np.unique(y)
    return values[-1] if len(values) else 1


def positive_mask(y: NDArray[np.generic], pred: Predictions) -> NDArray[np.bool_]:
    return np.asarray(y == positive_class(y, pred), dtype=np.bool_)


def positive_scores(pred: Predictions) -> Array:
    """The probability of the positive class (binary classification)."""
    if pred.proba is None:
        raise EvaluationError("this metric needs predicted probabilities; the model gave none")
    p = pred.proba
    if p.ndim == 2:
        if p.shape[1] != 2:
            raise EvaluationError(
                f"ROC AUC and Brier are defined here for two classes; the model gives "
                f"{p.shape[1]} class probabilities"
            )
        p = p[:, 1]
    if not np.all(np.isfinite(p)):
        raise EvaluationError(
            "the model's predicted probabilities contain NaN or infinity; fix the model or "
            "its input rows"
        )
    return np.asarray(p, dtype=np.float64)


def check_two_classes(pos: NDArray[np.bool_]) -> None:
    if pos.all() or not pos.any():
        raise EvaluationError(
            "the evaluation labels hold a single class, so ROC AUC is undefined; use an "
            "evaluation set with both classes"
        )


def _accuracy(y: NDArray[np.generic], p: Predictions) -> Array:
    return _col(y == _labels(p, "accuracy"))


def _binary(y: NDArray[np.generic], p: Predictions, name: str) -> tuple[Array, Array]:
    positive = positive_class(y, p)
    return (
        np.asarray(y == positive, dtype=np.float64),
        np.asarray(_labels(p, name) == positive, dtype=np.float64),
    )


def _precision(y: NDArray[np.generic], p: Predictions) -> Array:
    t, h = _binary(y, p, "precision")
    return _col(t * h, h)


def _recall(y: NDArray[np.generic], p: Predictions) -> Array:
    t, h = _binary(y, p, "recall")
    return _col(t * h, t)


def _f1_features(y: NDArray[np.generic], p: Predictions) -> Array:
    t, h = _binary(y, p, "f1")
    return _col(t * h, h, t)


def _f1(s: Array, _w: Array) -> Array:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(2 * s[:, 0] / (s[:, 1] + s[:, 2]), dtype=np.float64)


def _balanced_features(y: NDArray[np.generic], p: Predictions) -> Array:
    labels = _labels(p, "balanced_accuracy")
    cols: list[NDArray[np.generic]] = []
    for c in np.unique(y):
        cols += [(y == c) & (labels == c), y == c]
    return _col(*cols)


def _balanced(s: Array, _w: Array) -> Array:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray((s[:, 0::2] / s[:, 1::2]).mean(1), dtype=np.float64)


def _true_class_proba(y: NDArray[np.generic], p: Predictions) -> Array:
    if p.proba is not None and p.proba.ndim == 2 and p.proba.shape[1] > 2:
        index = {c: i for i, c in enumerate(p.classes)}
        try:
            cols = np.array([index[v] for v in y.tolist()])
        except KeyError as exc:
            raise EvaluationError(
                f"label {exc.args[0]!r} is not one of the model's classes {p.classes}"
            ) from None
        return np.asarray(p.proba[np.arange(len(y)), cols], dtype=np.float64)
    score = positive_scores(p)
    return np.where(positive_mask(y, p), score, 1.0 - score)


def _log_loss(y: NDArray[np.generic], p: Predictions) -> Array:
    return _col(-np.log(np.clip(_true_class_proba(y, p), 1e-15, 1.0)))


def _brier(y: NDArray[np.generic], p: Predictions) -> Array:
    return _col((positive_scores(p) - positive_mask(y, p)) ** 2)


def _values(p: Predictions) -> Array:
    if p.values is None:
        raise EvaluationError("regression metrics need predicted values; the model gave none")
    if not np.all(np.isfinite(p.values)):
        raise EvaluationError("the model's predictions contain NaN or infinity")
    return p.values


def _target(y: NDArray[np.generic]) -> Array:
    try:
        return np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise EvaluationError("regression metrics need a numeric target column") from None


def _sq(y: NDArray[np.generic], p: Predictions) -> Array:
    return np.asarray((_values(p) - _target(y)) ** 2, dtype=np.float64)


def _abs(y: NDArray[np.generic], p: Predictions) -> Array:
    return np.asarray(np.abs(_values(p) - _target(y)), dtype=np.float64)


def _ape(y: NDArray[np.generic], p: Predictions) -> Array:
    t = _target(y)
    if np.any(t == 0):
        raise EvaluationError("MAPE is undefined when the target is 0 in some rows; use MAE")
    return np.asarray(np.abs(_values(p) - t) / np.abs(t), dtype=np.float64)


def _r2_features(y: NDArray[np.generic], p: Predictions) -> Array:
    t = _target(y)
    return _col(t, t * t, _sq(y, p))


def _r2(s: Array, w: Array) -> Array:
    total = s[:, 1] - s[:, 0] ** 2 / w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(1.0 - s[:, 2] / total, dtype=np.float64)


def _rmse(s: Array, w: Array) -> Array:
    return np.asarray(np.sqrt(s[:, 0] / w), dtype=np.float64)


def _unused(_s: Array, _w: Array) -> Array:  # ROC AUC is not a sum statistic
    raise AssertionError("ROC AUC is bootstrapped by PairedAucStatistic")


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", True, "label", _accuracy, _mean),
        Metric("balanced_accuracy", True, "label", _balanced_features, _balanced),
        Metric("precision", True, "label", _precision, _ratio),
        Metric("recall", True, "label", _recall, _ratio),
        Metric("f1", True, "label", _f1_features, _f1),
        Metric("roc_auc", True, "proba", None, _unused),
        Metric("log_loss", False, "proba", _log_loss, _mean),
        Metric("brier", False, "proba", _brier, _mean),
        Metric("rmse", False, "value", lambda y, p: _col(_sq(y, p)), _rmse, _sq),
        Metric("mae", False, "value", lambda y, p: _col(_abs(y, p)), _mean, _abs),
        Metric("r2", True, "value", _r2_features, _r2, _sq),
        Metric("mape", False, "value", lambda y, p: _col(_ape(y, p)), _mean, _ape),
    )
}


def get_metric(name: str, root: str | None = None) -> Metric:
    """A built-in metric by name, or a custom one: ``module:function`` from the user's
    repository, called with (y_true, predictions) and returning one value per row
    (their mean is the metric). Custom metrics are higher-is-better unless named with
    a ``-`` prefix (``-mymod:cost``).

    Raises:
        EvaluationError: no such metric, or the module cannot be imported.
    """
    if name in METRICS:
        return METRICS[name]
    lower = name.startswith("-")
    target = name.lstrip("-")
    if ":" not in target:
        raise EvaluationError(
            f"unknown metric '{name}'; use one of {', '.join(METRICS)}, or a custom "
            "`module:function` from your repository (prefix `-` when lower is better)"
        )
    func = load_callable(target, root, "metric")

    def features(y: NDArray[np.generic], p: Predictions) -> Array:
        out = np.asarray(func(y, p.values if p.values is not None else p.labels), dtype=float)
        if out.shape != (len(y),):
            raise EvaluationError(
                f"custom metric '{target}' must return one number per row ({len(y)}), "
                f"not an array of shape {out.shape}"
            )
        if not np.all(np.isfinite(out)):
            raise EvaluationError(f"custom metric '{target}' returned NaN or infinity")
        return out[:, None]

    return Metric(name, not lower, "label", features, _mean)


def load_callable(
    target: str, root: str | None, what: str, error: type[MlgateError] = EvaluationError
) -> Callable[..., object]:
    """``module:function``, imported with ``root`` (the repository) on the path.

    Raises:
        error: the module cannot be imported or has no such function.
    """
    import sys

    module_name, _, attr = target.partition(":")
    if root is not None and root not in sys.path:
        sys.path.insert(0, root)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise error(
            f"cannot import {what} module '{module_name}': {exc}; check the name and that "
            "it is in the repository"
        ) from None
    func = getattr(module, attr, None)
    if not callable(func):
        raise error(f"{what} '{target}': '{module_name}' has no function '{attr}'")
    return func  # type: ignore[no-any-return]
