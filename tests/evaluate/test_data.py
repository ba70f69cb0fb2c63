"""Data checks: schema, nulls, ranges, categories and drift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlgate import EvaluationError
from mlgate.config import DataChecks, DriftCheck, LatencyGate, NullCheck, SizeGate
from mlgate.evaluate import data_checks, drift_statistic, latency_result, size_result


def frame(seed: int = 0, shift: float = 0.0, n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.normal(40 + shift, 10, n),
            "plan": rng.choice(
                ["basic", "pro"] if shift == 0 else ["basic", "pro", "pro", "pro"], n
            ),
            "visits": rng.integers(0, 10, n),
        }
    )


def status(results: list, gate: str) -> str:  # type: ignore[type-arg]
    return next(r.status for r in results if r.gate == gate)


def test_inferred_and_declared_schemas() -> None:
    ref = frame()
    good = frame(1)
    checks = DataChecks(schema="infer")
    assert (
        status(data_checks(checks, {"evaluation": good}, ref, "ref"), "schema (evaluation)")
        == "pass"
    )
    bad = good.assign(age=good["age"].astype(str))
    [result] = data_checks(checks, {"evaluation": bad}, ref, "ref")
    assert (
        result.status == "fail"
        and "age" in result.message
        and "inferred from ref" in result.message
    )
    [skipped] = data_checks(checks, {"evaluation": good}, None, None)
    assert skipped.status == "skip"
    declared = DataChecks(schema={"age": "float64", "plan": "str", "missing_col": "int64"})
    [result] = data_checks(declared, {"evaluation": good}, None, None)
    assert (
        result.status == "fail" and "missing_col" in result.message and "declared" in result.message
    )


def test_nulls_ranges_and_categories() -> None:
    data = frame()
    data.loc[:9, "age"] = np.nan
    data.loc[0, "visits"] = 99
    data.loc[1, "plan"] = "enterprise"
    checks = DataChecks(
        nulls=NullCheck(max_fraction=0.001),
        ranges={"visits": [0, 9], "age": [-100, 200]},
        categories={"plan": ["basic", "pro"]},
    )
    results = {r.gate: r for r in data_checks(checks, {"training": data}, None, None)}
    assert (
        results["nulls (training)"].status == "fail"
        and "age 0.5%" in results["nulls (training)"].message
    )
    assert (
        results["range visits (training)"].status == "fail"
        and "1 value(s) outside [0, 9]" in results["range visits (training)"].message
    )
    assert results["range age (training)"].status == "pass"
    assert (
        results["categories plan (training)"].status == "fail"
        and "enterprise" in results["categories plan (training)"].message
    )
    relaxed = DataChecks(nulls=NullCheck(max_fraction=0.01, columns=["age"]))
    assert data_checks(relaxed, {"training": data}, None, None)[0].status == "pass"
    with pytest.raises(EvaluationError, match="no such column"):
        data_checks(DataChecks(ranges={"nope": [0, 1]}), {"training": data}, None, None)
    with pytest.raises(EvaluationError, match="must be \\[low, high\\]"):
        data_checks(DataChecks(ranges={"age": [0]}), {"training": data}, None, None)
    with pytest.raises(EvaluationError, match="not numeric"):
        data_checks(DataChecks(ranges={"plan": [0, 1]}), {"training": data}, None, None)


@pytest.mark.parametrize(
    ("method", "threshold"), [("psi", 0.2), ("ks", 0.1), ("js", 0.1), ("chi2", 0.01)]
)
def test_drift_methods_see_a_shift_and_not_noise(method: str, threshold: float) -> None:
    ref = frame(0)
    same = frame(1)
    shifted = frame(2, shift=8.0)
    columns = ["plan"] if method == "chi2" else ["age", "visits"] if method == "ks" else None
    check = DataChecks(drift=[DriftCheck(method=method, threshold=threshold, columns=columns)])  # type: ignore[arg-type]
    [calm] = data_checks(check, {"evaluation": same}, ref, "the champion's data")
    [moved] = data_checks(check, {"evaluation": shifted}, ref, "the champion's data")
    assert calm.status == "pass", calm.message
    assert moved.status == "fail", moved.message
    assert "drifted from the champion's data" in moved.message


def test_drift_statistics_by_hand() -> None:
    ref = pd.Series(["a"] * 50 + ["b"] * 50, name="c")
    cur = pd.Series(["a"] * 90 + ["b"] * 10, name="c")
    expected_psi = (0.9 - 0.5) * np.log(0.9 / 0.5) + (0.1 - 0.5) * np.log(0.1 / 0.5)
    assert drift_statistic("psi", cur, ref) == pytest.approx(expected_psi)
    assert drift_statistic("psi", ref, ref) == 0.0
    assert (
        drift_statistic("chi2", pd.Series(["a"] * 5, name="c"), pd.Series(["a"] * 5, name="c"))
        == 1.0
    )
    with pytest.raises(EvaluationError, match="KS drift needs a numeric column"):
        drift_statistic("ks", cur, ref)
    with pytest.raises(EvaluationError, match="no values"):
        drift_statistic("psi", pd.Series([np.nan], name="c"), ref)
    constant = pd.Series([1.0] * 10, name="k")
    assert drift_statistic("psi", constant, constant) == 0.0


def test_drift_without_reference_is_skipped_and_explicit_references_are_used() -> None:
    check = DataChecks(drift=[DriftCheck(reference="data/ref.csv")])
    [result] = data_checks(check, {"evaluation": frame(1)}, None, None, {"data/ref.csv": frame(0)})
    assert result.status == "pass" and "data/ref.csv" in result.message
    [skipped] = data_checks(DataChecks(drift=[DriftCheck()]), {"evaluation": frame(1)}, None, None)
    assert skipped.status == "skip" and "no champion yet" in skipped.message
    with pytest.raises(EvaluationError, match="no such column"):
        data_checks(
            DataChecks(drift=[DriftCheck(columns=["zzz"])]),
            {"evaluation": frame(1)},
            frame(0),
            "ref",
        )


def test_latency_and_size_budgets() -> None:
    times = [1.0] * 98 + [50.0, 60.0]
    ok = latency_result(LatencyGate(p50_ms=2, p99_ms=100), times)
    assert ok.status == "pass" and "p50 1.00 ms" in ok.message
    slow = latency_result(LatencyGate(p99_ms=10, batch=32), times)
    assert slow.status == "fail" and "over budget" in slow.message and "32 row(s)" in slow.message
    assert size_result(SizeGate(max_mb=1), 2_000_000).status == "fail"
    assert size_result(SizeGate(max_mb=1), 500_000).status == "pass"
