"""Metric gates: choice of test, slices, corrections, and the errors a user can cause."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlgate import EvaluationError
from mlgate.config import GatesConfig, MetricGate
from mlgate.evaluate import Baseline, Predictions, metric_gates


def classification(
    seed: int = 0, n: int = 3000, better: float = 0.0
) -> tuple[np.ndarray, pd.DataFrame, Predictions, Predictions]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    noise_a = rng.normal(0, 1.0 - better, n)
    noise_b = rng.normal(0, 1.0, n)
    score_a = 1 / (1 + np.exp(-(2 * (y - 0.5) * 2 + noise_a)))
    score_b = 1 / (1 + np.exp(-(2 * (y - 0.5) * 2 + noise_b)))
    frame = pd.DataFrame({"segment": rng.choice(["a", "b", "c"], n)})
    cand = Predictions(labels=(score_a > 0.5).astype(int), proba=score_a, classes=(0, 1))
    champ = Predictions(labels=(score_b > 0.5).astype(int), proba=score_b, classes=(0, 1))
    return y, frame, cand, champ


def run(
    gates: dict[str, MetricGate],
    y: np.ndarray,
    frame: pd.DataFrame,
    cand: Predictions,
    champ: Predictions | None,
    **config: object,
) -> dict[str, object]:
    baselines = {"production": Baseline("m@1", champ) if champ is not None else None}
    results = metric_gates(
        GatesConfig(metrics=gates, resamples=400, **config),
        y,
        frame,
        cand,
        baselines,
        default_alias="production",
    )  # type: ignore[arg-type]
    return {r.gate: r for r in results}


def test_auto_picks_the_test_for_each_metric() -> None:
    y, frame, cand, champ = classification(better=0.4)
    results = run(
        {
            "acc": MetricGate(metric="accuracy", improve=True),
            "acc_margin": MetricGate(metric="accuracy", margin=0.01),
            "auc": MetricGate(metric="roc_auc", margin=0.01),
            "f1": MetricGate(metric="f1", improve=True),
            "ll": MetricGate(metric="log_loss", margin=0.05),
        },
        y,
        frame,
        cand,
        champ,
    )
    tests = {name: r.test for name, r in results.items()}  # type: ignore[attr-defined]
    assert tests == {
        "acc": "McNemar (exact)",
        "acc_margin": "bootstrap (bca)",
        "auc": "DeLong",
        "f1": "bootstrap (bca)",
        "ll": "bootstrap (bca)",
    }
    assert all(r.status == "pass" for r in results.values()), [r.message for r in results.values()]  # type: ignore[attr-defined]
    # Holm over five comparisons: every adjusted p is at least the raw one.
    assert all(r.p_adjusted >= r.p_value for r in results.values())  # type: ignore[attr-defined]


def test_equal_models_are_not_promoted_on_superiority_but_pass_non_inferiority() -> None:
    y, frame, cand, _ = classification()
    results = run(
        {
            "better": MetricGate(metric="accuracy", improve=True),
            "not_worse": MetricGate(metric="accuracy", margin=0.02),
        },
        y,
        frame,
        cand,
        cand,
    )
    assert results["better"].status == "fail"  # type: ignore[attr-defined]
    assert results["not_worse"].status == "pass"  # type: ignore[attr-defined]
    assert "Not shown better than the baseline" in results["better"].message  # type: ignore[attr-defined]


def test_slices_are_separate_hypotheses() -> None:
    y, frame, cand, champ = classification(better=0.4)
    results = run(
        {"seg": MetricGate(metric="roc_auc", margin=0.02, by="segment")},
        y,
        frame,
        cand,
        champ,
        correction="bh",
    )
    assert set(results) == {"seg[segment=a]", "seg[segment=b]", "seg[segment=c]"}
    assert "bh-adjusted over 3 comparisons" in results["seg[segment=a]"].message  # type: ignore[attr-defined]
    with pytest.raises(EvaluationError, match="`by: region` names a column"):
        run({"seg": MetricGate(metric="roc_auc", margin=0.02, by="region")}, y, frame, cand, champ)
    empty = frame.assign(segment=pd.Categorical(frame["segment"], categories=["a", "b", "c", "d"]))
    with pytest.raises(EvaluationError, match="the slice segment=d has no evaluation rows"):
        run({"seg": MetricGate(metric="roc_auc", margin=0.02, by="segment")}, y, empty, cand, champ)


def test_no_champion_skips_comparisons_but_keeps_bounds() -> None:
    y, frame, cand, _ = classification()
    results = run({"g": MetricGate(metric="roc_auc", min=0.99, margin=0.01)}, y, frame, cand, None)
    statuses = sorted(r.status for r in results.values())  # type: ignore[attr-defined]
    assert statuses == ["skip"] or statuses == ["fail", "skip"]


def test_regression_tests() -> None:
    rng = np.random.default_rng(4)
    n = 1000
    y = rng.normal(0, 1, n)
    cand = Predictions(values=y + rng.normal(0, 0.5, n))
    champ = Predictions(values=y + rng.normal(0, 0.6, n))
    frame = pd.DataFrame(index=range(n))
    results = run(
        {
            "rmse_better": MetricGate(metric="rmse", improve=True),
            "mae_margin": MetricGate(metric="mae", margin=0.05),
            "rmse_margin": MetricGate(metric="rmse", margin=0.05),
            "r2": MetricGate(metric="r2", improve=True, test="wilcoxon"),
            "floor": MetricGate(metric="r2", min=0.5),
        },
        y,
        frame,
        cand,
        champ,
    )
    assert results["rmse_better"].test == "paired t"  # type: ignore[attr-defined]
    assert results["mae_margin"].test == "paired t"  # type: ignore[attr-defined]
    assert results["rmse_margin"].test == "bootstrap (bca)"  # type: ignore[attr-defined]
    assert results["r2"].test == "Wilcoxon signed-rank"  # type: ignore[attr-defined]
    assert all(r.status == "pass" for r in results.values()), [r.message for r in results.values()]  # type: ignore[attr-defined]
    with pytest.raises(
        EvaluationError, match="a margin on rmse is not a margin on its per-row loss"
    ):
        run({"x": MetricGate(metric="rmse", margin=0.1, test="ttest")}, y, frame, cand, champ)


@pytest.mark.parametrize(
    ("gate", "message"),
    [
        (
            MetricGate(metric="roc_auc", margin=0.1, test="mcnemar"),
            "McNemar's test compares accuracy",
        ),
        (
            MetricGate(metric="accuracy", margin=0.1, test="delong"),
            "the DeLong test compares ROC AUC",
        ),
        (MetricGate(metric="accuracy", improve=True, test="ttest"), "compares per-row losses"),
        (MetricGate(metric="nope", min=1), "unknown metric 'nope'"),
    ],
)
def test_impossible_test_choices(gate: MetricGate, message: str) -> None:
    y, frame, cand, champ = classification(n=200)
    with pytest.raises(EvaluationError, match=message):
        run({"g": gate}, y, frame, cand, champ)


def test_lengths_must_match() -> None:
    y, frame, cand, champ = classification(n=200)
    with pytest.raises(EvaluationError, match="gave 199 predictions for 200 evaluation rows"):
        run(
            {"g": MetricGate(metric="accuracy", min=0.1)},
            y,
            frame,
            cand,
            Predictions(labels=champ.labels[:199]),
        )  # type: ignore[index]
    with pytest.raises(EvaluationError, match="needs predicted probabilities"):
        run(
            {"g": MetricGate(metric="roc_auc", min=0.1)},
            y,
            frame,
            Predictions(labels=cand.labels),
            None,
        )


def test_custom_metric_from_the_repository(tmp_path: Path) -> None:
    (tmp_path / "business.py").write_text(
        "import numpy as np\n"
        "def profit(y, pred):\n"
        "    return np.where((y == 1) & (pred == 1), 10.0, np.where(pred == 1, -1.0, 0.0))\n"
        "def bad_shape(y, pred):\n"
        "    return [1.0]\n"
    )
    y, frame, cand, champ = classification(better=0.4)
    gates = GatesConfig(
        metrics={"profit": MetricGate(metric="business:profit", improve=True)}, resamples=300
    )
    [result] = metric_gates(
        gates,
        y,
        frame,
        cand,
        {"production": Baseline("m@1", champ)},
        default_alias="production",
        root=str(tmp_path),
    )
    assert result.test == "bootstrap (bca)" and result.value is not None and result.value > 0
    gates = GatesConfig(metrics={"b": MetricGate(metric="business:bad_shape", min=0)})
    with pytest.raises(EvaluationError, match="must return one number per row"):
        metric_gates(gates, y, frame, cand, {}, default_alias="production", root=str(tmp_path))
