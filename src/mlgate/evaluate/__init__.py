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
from mlgate.evaluate._metrics import METRICS, Metric, Predictions, get_metric
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
