"""Data checks: schema, missing values, ranges, categories, and drift against a
reference. Pure: DataFrames in, :class:`GateResult` values out."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mlgate._errors import EvaluationError
from mlgate.config import DataChecks, DriftCheck, LatencyGate, SizeGate
from mlgate.evaluate._report_types import GateResult

if TYPE_CHECKING:
    import pandas as pd

_BINS = 10
_EPS = 1e-4  # PSI's floor for empty bins, as is customary


def data_checks(
    checks: DataChecks,
    datasets: dict[str, pd.DataFrame],
    reference: pd.DataFrame | None,
    reference_name: str | None,
    references: dict[str, pd.DataFrame] | None = None,
) -> list[GateResult]:
    """Run every configured check on every dataset (``{"evaluation": frame, ...}``).

    Args:
        reference: The default reference for schema inference and drift (the champion's
            training data), or None when there is none (those checks are skipped).
        reference_name: Names the reference in messages; with no reference, why there is
            none (default: there is no champion yet).
        references: Explicit drift references by file name (``drift.reference``).
    """
    results: list[GateResult] = []
    for name, frame in datasets.items():
        results += _schema(checks, name, frame, reference, reference_name)
        if checks.nulls is not None:
            results.append(_nulls(checks, name, frame))
        results += [_range(name, frame, col, bounds) for col, bounds in checks.ranges.items()]
        results += [
            _categories(name, frame, col, allowed) for col, allowed in checks.categories.items()
        ]
        for drift in checks.drift:
            ref = (references or {}).get(drift.reference) if drift.reference else reference
            where = drift.reference or reference_name
            results += _drift(drift, name, frame, ref, where)
    return results


def _missing_column(dataset: str, column: str, frame: pd.DataFrame) -> EvaluationError:
    return EvaluationError(
        f"data check on column '{column}': the {dataset} data has no such column; its "
        f"columns are {', '.join(map(str, frame.columns))}"
    )


def _schema(
    checks: DataChecks,
    dataset: str,
    frame: pd.DataFrame,
    reference: pd.DataFrame | None,
    reference_name: str | None,
) -> list[GateResult]:
    import pandera.pandas as pa

    gate = f"schema ({dataset})"
    if checks.schema == "off":
        return []
    if checks.schema == "infer":
        if reference is None:
            return [
                GateResult(
                    gate,
                    "data",
                    "skip",
                    f"{reference_name or 'there is no champion yet'}: no reference to infer "
                    "a schema from",
                )
            ]
        inferred = pa.infer_schema(reference)
        assert isinstance(inferred, pa.DataFrameSchema)
        columns = {
            name: pa.Column(col.dtype, nullable=col.nullable)
            for name, col in inferred.columns.items()
            if name in frame.columns or name in reference.columns
        }
        source = f"inferred from {reference_name}"
    else:
        columns = {name: pa.Column(dtype) for name, dtype in checks.schema.items()}
        source = "declared in mlgate.yaml"
    schema = pa.DataFrameSchema(columns)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        shown = "; ".join(
            f"{row['column']}: {row['check']} (e.g. {row['failure_case']!r})"
            for _, row in cases.drop_duplicates(["column", "check"]).head(5).iterrows()
        )
        return [
            GateResult(gate, "data", "fail", f"schema {source}: {len(cases)} failure(s): {shown}")
        ]
    except pa.errors.SchemaError as exc:
        return [GateResult(gate, "data", "fail", f"schema {source}: {exc}")]
    return [GateResult(gate, "data", "pass", f"{len(columns)} columns match the schema {source}")]


def _nulls(checks: DataChecks, dataset: str, frame: pd.DataFrame) -> GateResult:
    assert checks.nulls is not None
    columns = checks.nulls.columns or list(frame.columns)
    for col in columns:
        if col not in frame.columns:
            raise _missing_column(dataset, col, frame)
    shares = {col: float(frame[col].isna().mean()) for col in columns}
    worst = max(shares, key=lambda c: shares[c]) if shares else None
    limit = checks.nulls.max_fraction
    bad = {c: s for c, s in shares.items() if s > limit}
    gate = f"nulls ({dataset})"
    if bad:
        shown = ", ".join(f"{c} {s:.1%}" for c, s in sorted(bad.items(), key=lambda i: -i[1])[:5])
        return GateResult(
            gate,
            "data",
            "fail",
            f"missing values above {limit:.1%}: {shown}",
            value=max(bad.values()),
            threshold=limit,
        )
    top = shares[worst] if worst is not None else 0.0
    return GateResult(
        gate,
        "data",
        "pass",
        f"at most {top:.1%} missing per column (limit {limit:.1%})",
        value=top,
        threshold=limit,
    )


def _range(dataset: str, frame: pd.DataFrame, column: str, bounds: list[float]) -> GateResult:
    if column not in frame.columns:
        raise _missing_column(dataset, column, frame)
    if len(bounds) != 2:
        raise EvaluationError(f"ranges.{column} must be [low, high], not {bounds}")
    low, high = bounds
    values = frame[column].dropna()
    try:
        outside = int(((values < low) | (values > high)).sum())
    except TypeError:
        raise EvaluationError(f"ranges.{column}: the column is not numeric") from None
    gate = f"range {column} ({dataset})"
    if outside:
        return GateResult(
            gate,
            "data",
            "fail",
            f"{outside} value(s) outside [{low:g}, {high:g}] "
            f"(seen {values.min():g} to {values.max():g})",
            value=float(outside),
        )
    return GateResult(gate, "data", "pass", f"all values within [{low:g}, {high:g}]", value=0.0)


def _categories(
    dataset: str, frame: pd.DataFrame, column: str, allowed: list[str | int | bool]
) -> GateResult:
    if column not in frame.columns:
        raise _missing_column(dataset, column, frame)
    values = frame[column].dropna()
    unknown = sorted({str(v) for v in values.unique()} - {str(a) for a in allowed})
    gate = f"categories {column} ({dataset})"
    if unknown:
        count = int((~values.astype(str).isin([str(a) for a in allowed])).sum())
        return GateResult(
            gate,
            "data",
            "fail",
            f"{count} row(s) with values outside the allowed set: {', '.join(unknown[:10])}",
            value=float(count),
        )
    return GateResult(
        gate, "data", "pass", f"every value is one of {len(allowed)} allowed", value=0.0
    )


def _drift(
    drift: DriftCheck,
    dataset: str,
    frame: pd.DataFrame,
    reference: pd.DataFrame | None,
    reference_name: str | None,
) -> list[GateResult]:
    gate = f"drift {drift.method} ({dataset})"
    if reference is None:
        return [
            GateResult(
                gate,
                "data",
                "skip",
                f"{reference_name or 'there is no champion yet'} and no `reference:` is set, so "
                "drift is not checked",
            )
        ]
    columns = drift.columns or [c for c in frame.columns if c in reference.columns]
    values: dict[str, float] = {}
    for col in columns:
        if col not in frame.columns:
            raise _missing_column(dataset, col, frame)
        if col not in reference.columns:
            raise _missing_column(f"reference ({reference_name})", col, reference)
        values[col] = drift_statistic(drift.method, frame[col], reference[col])
    chi2 = drift.method == "chi2"
    drifted = {
        c: v for c, v in values.items() if (v < drift.threshold if chi2 else v > drift.threshold)
    }
    what = "chi-square p-value" if chi2 else drift.method.upper()
    ranked = sorted(values.items(), key=lambda item: item[1], reverse=not chi2)
    worst = ranked[0][1] if ranked else None
    if drifted:
        shown = ", ".join(f"{c} {v:.3f}" for c, v in ranked if c in drifted)
        side = "below" if chi2 else "above"
        message = (
            f"{len(drifted)} of {len(values)} column(s) drifted from {reference_name} "
            f"({what} {side} {drift.threshold:g}): {shown}"
        )
    else:
        top = ", ".join(f"{c} {v:.3f}" for c, v in ranked[:3])
        message = (
            f"no drift from {reference_name} in {len(values)} column(s) "
            f"({what} threshold {drift.threshold:g}; most: {top})"
        )
    return [
        GateResult(
            gate,
            "data",
            "fail" if drifted else "pass",
            message,
            metric=drift.method,
            value=worst,
            threshold=drift.threshold,
        )
    ]


def drift_statistic(method: str, current: pd.Series, reference: pd.Series) -> float:
    """PSI, KS statistic, Jensen-Shannon distance (base 2) or chi-square p-value between
    one column of the current data and of the reference."""
    import pandas as pd

    cur, ref = current.dropna(), reference.dropna()
    if len(cur) == 0 or len(ref) == 0:
        raise EvaluationError(f"column '{current.name}' has no values to compare for drift")
    numeric = (
        pd.api.types.is_numeric_dtype(ref)
        and pd.api.types.is_numeric_dtype(cur)
        and not pd.api.types.is_bool_dtype(ref)
    )
    if method == "ks":
        if not numeric:
            raise EvaluationError(
                f"KS drift needs a numeric column; '{current.name}' is not (use chi2, psi or js)"
            )
        from scipy.stats import ks_2samp

        return float(ks_2samp(cur.to_numpy(float), ref.to_numpy(float)).statistic)
    p, q = _histograms(cur, ref, numeric)
    if method == "chi2":
        from scipy.stats import chi2_contingency

        table = np.vstack([p * len(cur), q * len(ref)])
        table = table[:, table.sum(0) > 0]
        if table.shape[1] < 2:
            return 1.0
        return float(chi2_contingency(table).pvalue)
    if method == "js":
        from scipy.spatial.distance import jensenshannon

        return float(jensenshannon(p, q, base=2))
    p, q = np.maximum(p, _EPS), np.maximum(q, _EPS)
    return float(((p - q) * np.log(p / q)).sum())


def _histograms(cur: pd.Series, ref: pd.Series, numeric: bool) -> tuple[np.ndarray, np.ndarray]:
    """Shares of the current and reference values in the same bins: deciles of the
    reference for numbers, the union of values for categories."""
    if numeric:
        edges = np.unique(np.quantile(ref.to_numpy(float), np.linspace(0, 1, _BINS + 1)))
        if len(edges) < 2:
            edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
        inner = edges[1:-1]
        c = np.bincount(
            np.searchsorted(inner, cur.to_numpy(float), side="right"), minlength=len(edges) - 1
        )
        r = np.bincount(
            np.searchsorted(inner, ref.to_numpy(float), side="right"), minlength=len(edges) - 1
        )
    else:
        levels = sorted(set(map(str, ref.unique())) | set(map(str, cur.unique())))
        c = cur.astype(str).value_counts().reindex(levels, fill_value=0).to_numpy()
        r = ref.astype(str).value_counts().reindex(levels, fill_value=0).to_numpy()
    return c / c.sum(), r / r.sum()


def latency_result(gate: LatencyGate, milliseconds: list[float]) -> GateResult:
    """The latency budget against measured per-call times."""
    p50, p99 = (float(v) for v in np.percentile(milliseconds, [50, 99]))
    over = [
        f"p{q} {v:.2f} ms > {b:g} ms"
        for q, v, b in ((50, p50, gate.p50_ms), (99, p99, gate.p99_ms))
        if b is not None and v > b
    ]
    what = (
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms over {len(milliseconds)} calls of {gate.batch} row(s)"
    )
    if over:
        return GateResult(
            "latency",
            "latency",
            "fail",
            f"{what}: over budget ({'; '.join(over)})",
            value=p99,
            threshold=gate.p99_ms,
        )
    return GateResult(
        "latency", "latency", "pass", f"{what}: within budget", value=p99, threshold=gate.p99_ms
    )


def size_result(gate: SizeGate, size_bytes: int) -> GateResult:
    """The model size budget."""
    mb = size_bytes / 1e6
    ok = mb <= gate.max_mb
    verdict = "within" if ok else "over"
    return GateResult(
        "size",
        "size",
        "pass" if ok else "fail",
        f"{mb:.2f} MB, {verdict} the budget of {gate.max_mb:g} MB",
        value=mb,
        threshold=gate.max_mb,
    )
