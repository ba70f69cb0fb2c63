"""Hyperparameter tuning as a pipeline stage: one Optuna ask/tell coordinator with a
JournalStorage file under .mlgate/tune/, trials in processes of their own."""

from __future__ import annotations

from mlgate.tune._space import PRUNERS, SAMPLERS, distributions, pruner, sampler
from mlgate.tune._stage import run_tune_stage
from mlgate.tune._study import TuneResult, journal_path, open_study, run_study, study_name
from mlgate.tune._trial import Outcome, TrialProxy, TrialPruned

__all__ = [
    "PRUNERS",
    "SAMPLERS",
    "Outcome",
    "TrialProxy",
    "TrialPruned",
    "TuneResult",
    "distributions",
    "journal_path",
    "open_study",
    "pruner",
    "run_study",
    "run_tune_stage",
    "sampler",
    "study_name",
]
