"""Deployment: promote, roll back, and roll out with automatic canary analysis.

Works through the registry and never serves; :mod:`mlgate.serve` serves and never
moves an alias.
"""

from __future__ import annotations

from mlgate.deploy._actions import RolloutPlan, promote, rollback, run_rollout
from mlgate.deploy._analysis import Totals, Verdict, analyse, prediction_shift, totals
from mlgate.deploy._sequential import Evidence, bernoulli_cs, msprt_harm

__all__ = [
    "Evidence",
    "RolloutPlan",
    "Totals",
    "Verdict",
    "analyse",
    "bernoulli_cs",
    "msprt_harm",
    "prediction_shift",
    "promote",
    "rollback",
    "run_rollout",
    "totals",
]
