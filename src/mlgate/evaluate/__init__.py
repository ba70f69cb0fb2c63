"""Evaluation: metrics, paired statistical tests, gates, data checks and reports.

Pure: it takes labels, predictions and gate specifications and returns values. Models
are loaded by :mod:`mlgate.models`, by the caller.
"""

from __future__ import annotations

from mlgate.evaluate._bootstrap import (
    PairedAucStatistic,
    Statistic,
    SumStatistic,
    bootstrap_test,
)
from mlgate.evaluate._data import data_checks, drift_statistic, latency_result, size_result
from mlgate.evaluate._gates import Baseline, metric_gates
from mlgate.evaluate._metrics import METRICS, Metric, Predictions, get_metric
from mlgate.evaluate._render import comparison_plot, to_json, to_junit, to_markdown
from mlgate.evaluate._report_types import GateReport, GateResult
from mlgate.evaluate._tests import (
    DeLong,
    McNemarTable,
    TestResult,
    benjamini_hochberg,
    delong,
    delong_test,
    holm,
    mcnemar,
    mcnemar_table,
    paired_t,
    wilcoxon,
)

__all__ = [
    "Baseline",
    "GateReport",
    "GateResult",
    "comparison_plot",
    "data_checks",
    "drift_statistic",
    "latency_result",
    "metric_gates",
    "size_result",
    "to_json",
    "to_junit",
    "to_markdown",
    "METRICS",
    "DeLong",
    "McNemarTable",
    "Metric",
    "PairedAucStatistic",
    "Predictions",
    "Statistic",
    "SumStatistic",
    "TestResult",
    "benjamini_hochberg",
    "bootstrap_test",
    "delong",
    "delong_test",
    "get_metric",
    "holm",
    "mcnemar",
    "mcnemar_table",
    "paired_t",
    "wilcoxon",
]
