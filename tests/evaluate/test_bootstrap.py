"""The paired bootstrap: agrees with scipy's, resamples exactly, and is seeded."""

from __future__ import annotations

import numpy as np
import pytest

from mlgate.evaluate import _bootstrap
from mlgate.evaluate._bootstrap import PairedAucStatistic, SumStatistic, bootstrap_test
from mlgate.evaluate._metrics import METRICS, Predictions
from mlgate.evaluate._tests import delong


def _accuracy_diff(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> SumStatistic:
    features = np.column_stack([a == y, b == y]).astype(float)
    return SumStatistic(features, lambda s, w: (s[:, 0] - s[:, 1]) / w)


@pytest.mark.parametrize("interval", ["percentile", "bca"])
def test_bootstrap_interval_agrees_with_scipy_paired_bootstrap(interval: str) -> None:
    from scipy.stats import bootstrap

    rng = np.random.default_rng(3)
    n = 300
    y = rng.normal(size=n)
    a = y + rng.normal(0, 1.0, n)
    b = y + rng.normal(0, 1.1, n)
    loss_gain = (b - y) ** 2 - (a - y) ** 2  # positive: a is better
    stat = SumStatistic(loss_gain[:, None].astype(float), lambda s, w: s[:, 0] / w)
    ours = bootstrap_test(stat, 0.0, alpha=0.05, resamples=4000, seed=1, interval=interval)  # type: ignore[arg-type]
    ref = bootstrap(
        (a, b, y),
        lambda a, b, y, axis: np.mean((b - y) ** 2 - (a - y) ** 2, axis=axis),
        paired=True,
        vectorized=True,
        confidence_level=0.90,
        n_resamples=4000,
        method="BCa" if interval == "bca" else "percentile",
        random_state=np.random.default_rng(2),
    )
    width = ref.confidence_interval.high - ref.confidence_interval.low
    assert ours.estimate == pytest.approx(loss_gain.mean())
    assert ours.low == pytest.approx(ref.confidence_interval.low, abs=0.06 * width)
    assert ours.high == pytest.approx(ref.confidence_interval.high, abs=0.06 * width)
    # The p-value inverts the interval: p < alpha exactly when the bound clears 0.
    assert (ours.p_value < 0.05) == (ours.low > 0.0)


def test_exact_cells_and_chunked_weights_give_the_same_distribution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(5)
    n = 2000
    y = rng.random(n) < 0.5
    a = np.where(rng.random(n) < 0.85, y, ~y)
    b = np.where(rng.random(n) < 0.82, y, ~y)
    stat = _accuracy_diff(y, a, b)
    exact = stat.replicates(np.random.default_rng(0), 3000)
    monkeypatch.setattr(_bootstrap, "_DISTINCT_LIMIT", 0)  # force the chunked engine
    monkeypatch.setattr(_bootstrap, "_CELL_BUDGET", 3000 * 300)  # and several chunks
    chunked = stat.replicates(np.random.default_rng(0), 3000)
    assert exact.mean() == pytest.approx(chunked.mean(), abs=0.002)
    assert exact.std() == pytest.approx(chunked.std(), rel=0.08)


def test_the_same_seed_gives_the_same_interval() -> None:
    rng = np.random.default_rng(9)
    y = rng.random(500) < 0.5
    a = np.where(rng.random(500) < 0.8, y, ~y)
    b = np.where(rng.random(500) < 0.8, y, ~y)
    one = bootstrap_test(_accuracy_diff(y, a, b), 0.0, seed=4)
    two = bootstrap_test(_accuracy_diff(y, a, b), 0.0, seed=4)
    other = bootstrap_test(_accuracy_diff(y, a, b), 0.0, seed=5)
    assert one == two
    assert (one.low, one.high) != (other.low, other.high)


def test_weighted_auc_and_its_jackknife_are_exact() -> None:
    rng = np.random.default_rng(11)
    n = 120
    y = rng.random(n) < 0.4
    a = np.round(rng.normal(size=n) + y, 1)
    b = np.round(rng.normal(size=n) + 0.5 * y, 1)
    stat = PairedAucStatistic(y, a, b)
    d = delong(y, a, b)
    assert stat.value() == pytest.approx(d.auc_candidate - d.auc_champion, abs=1e-12)
    jack = stat.jackknife()
    for i in (0, 5, 17, 60):
        keep = np.arange(n) != i
        di = delong(y[keep], a[keep], b[keep])
        assert jack[i] == pytest.approx(di.auc_candidate - di.auc_champion, abs=1e-12)
    reps = stat.replicates(np.random.default_rng(0), 500)
    assert abs(reps.mean() - stat.value()) < 3 * reps.std() / np.sqrt(500) + 0.01
    result = bootstrap_test(stat, -0.5, resamples=500)
    assert result.low < stat.value() < result.high
    assert result.p_value < 0.01


def test_statistics_that_are_undefined_in_every_resample_are_inconclusive() -> None:
    stat = SumStatistic(np.zeros((10, 2)), lambda s, w: s[:, 0] / s[:, 1])
    with np.errstate(invalid="ignore"):
        result = bootstrap_test(stat, 0.0, resamples=50)
    assert result.p_value == 1.0


@pytest.mark.parametrize(
    "name",
    ["accuracy", "balanced_accuracy", "precision", "recall", "f1", "log_loss", "brier", "roc_auc"],
)
def test_classification_metrics_match_scikit_learn(name: str) -> None:
    import sklearn.metrics as skm

    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 400)
    proba = np.clip(0.3 * y + rng.random(400) * 0.7, 0.01, 0.99)
    labels = (proba > 0.5).astype(int)
    pred = Predictions(labels=labels, proba=proba, classes=(0, 1))
    reference = {
        "accuracy": skm.accuracy_score(y, labels),
        "balanced_accuracy": skm.balanced_accuracy_score(y, labels),
        "precision": skm.precision_score(y, labels),
        "recall": skm.recall_score(y, labels),
        "f1": skm.f1_score(y, labels),
        "log_loss": skm.log_loss(y, proba),
        "brier": skm.brier_score_loss(y, proba),
        "roc_auc": skm.roc_auc_score(y, proba),
    }[name]
    assert METRICS[name].value(y, pred) == pytest.approx(reference, abs=1e-12)


@pytest.mark.parametrize("name", ["rmse", "mae", "r2", "mape"])
def test_regression_metrics_match_scikit_learn(name: str) -> None:
    import sklearn.metrics as skm

    rng = np.random.default_rng(3)
    y = rng.normal(10, 2, 300)
    values = y + rng.normal(0, 1, 300)
    reference = {
        "rmse": np.sqrt(skm.mean_squared_error(y, values)),
        "mae": skm.mean_absolute_error(y, values),
        "r2": skm.r2_score(y, values),
        "mape": skm.mean_absolute_percentage_error(y, values),
    }[name]
    assert METRICS[name].value(y, Predictions(values=values)) == pytest.approx(reference, rel=1e-12)


def test_the_linearised_bootstrap_matches_the_exact_one(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(21)
    n = 4000
    y = rng.random(n) < 0.35
    a = rng.normal(size=n) + y
    b = 0.6 * a + rng.normal(size=n) + 0.5 * y
    auc = PairedAucStatistic(y, a, b)
    loss = SumStatistic(np.column_stack([a**2, b**2]), lambda s, w: (s[:, 1] - s[:, 0]) / w)
    for stat in (auc, loss):
        exact = stat.replicates(np.random.default_rng(0), 1500)
        monkeypatch.setattr(_bootstrap, "_EXACT_LIMIT", 0)
        linear = stat.replicates(np.random.default_rng(0), 1500)
        monkeypatch.undo()
        assert linear.mean() == pytest.approx(exact.mean(), abs=0.15 * exact.std())
        assert linear.std() == pytest.approx(exact.std(), rel=0.1)
