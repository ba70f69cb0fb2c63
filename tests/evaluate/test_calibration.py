"""Calibration by simulation: the superiority gate promotes noise at most alpha of the
time, where a point-estimate comparison promotes it about half the time, and it finds a
real improvement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlgate.config import GatesConfig, MetricGate
from mlgate.evaluate import Baseline, Predictions, metric_gates

N_ROWS = 2000
N_SIMULATIONS = 1000
GATES = GatesConfig(metrics={"better": MetricGate(metric="accuracy", improve=True)})


def simulate(
    rng: np.random.Generator, cand_only: float, champ_only: float, both: float
) -> tuple[bool, bool]:
    """One evaluation set: returns (gate promotes, naive point estimate promotes)."""
    cells = rng.choice(
        4, size=N_ROWS, p=[both, cand_only, champ_only, 1 - both - cand_only - champ_only]
    )
    cand_correct = (cells == 0) | (cells == 1)
    champ_correct = (cells == 0) | (cells == 2)
    y = rng.integers(0, 2, N_ROWS)
    cand = Predictions(labels=np.where(cand_correct, y, 1 - y), classes=(0, 1))
    champ = Predictions(labels=np.where(champ_correct, y, 1 - y), classes=(0, 1))
    [result] = metric_gates(
        GATES,
        y,
        pd.DataFrame(index=range(N_ROWS)),
        cand,
        {"production": Baseline("m@1", champ)},
        default_alias="production",
    )
    return result.status == "pass", bool(cand_correct.mean() > champ_correct.mean())


@pytest.mark.slow
def test_equal_models_are_promoted_at_most_alpha_of_the_time() -> None:
    rng = np.random.default_rng(20261127)
    # Both 80% accurate; they disagree on 15% of rows.
    outcomes = [simulate(rng, 0.075, 0.075, 0.725) for _ in range(N_SIMULATIONS)]
    gate_rate = np.mean([g for g, _ in outcomes])
    naive_rate = np.mean([n for _, n in outcomes])
    assert gate_rate <= 0.05 + 0.015, gate_rate
    assert 0.40 <= naive_rate <= 0.55, naive_rate  # the point-estimate gate promotes noise


@pytest.mark.slow
def test_a_real_improvement_of_three_points_is_found() -> None:
    rng = np.random.default_rng(7)
    # 83% vs 80%, disagreeing on 15% of rows.
    outcomes = [simulate(rng, 0.09, 0.06, 0.74) for _ in range(N_SIMULATIONS)]
    power = np.mean([g for g, _ in outcomes])
    assert power >= 0.80, power
