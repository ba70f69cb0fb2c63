"""The tuning coordinator: one process runs Optuna's ask/tell against a JournalStorage
file under .mlgate/tune/, and sends each trial to a process of its own. A killed run
resumes where it stopped: finished trials stay finished, and trials that were running
are marked failed."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from mlgate._errors import PipelineError
from mlgate.config import TuneConfig
from mlgate.tune._pools import LocalPool, TrialPool
from mlgate.tune._space import distributions, pruner, sampler
from mlgate.tune._trial import Objective, Outcome

if TYPE_CHECKING:
    import optuna

Say = Callable[[str], None]


def journal_path(root: str, stage: str) -> str:
    return os.path.join(root, ".mlgate", "tune", f"{stage}.journal")


def study_name(stage: str, tune: TuneConfig, inputs: str = "") -> str:
    """Changing the space, sampler, seed, direction, pruner, objective or the content of
    the stage's dependencies (``inputs``, a digest) starts a new study; the same ones
    resume it (more trials or time only extend it)."""
    import blake3

    what = msgspec.structs.replace(tune, n_trials=None, timeout=None, jobs=1)
    doc = msgspec.json.encode(what, order="sorted") + inputs.encode()
    return f"{stage}-{blake3.blake3(doc).hexdigest()[:12]}"


def open_study(
    root: str, stage: str, tune: TuneConfig, *, create: bool, inputs: str = ""
) -> optuna.Study:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = journal_path(root, stage)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    storage = JournalStorage(JournalFileBackend(path))
    directions = [tune.direction] if isinstance(tune.direction, str) else list(tune.direction)
    name = study_name(stage, tune, inputs)
    if not create:
        return optuna.load_study(study_name=name, storage=storage)
    return optuna.create_study(
        storage=storage,
        study_name=name,
        sampler=sampler(stage, tune),
        pruner=pruner(tune),
        directions=directions,
        load_if_exists=True,
    )


@dataclass(frozen=True)
class TuneResult:
    best_params: dict[str, Any]
    best_values: tuple[float, ...]
    complete: int
    pruned: int
    failed: int


def run_study(
    root: str,
    stage: str,
    tune: TuneConfig,
    *,
    say: Say,
    pool_factory: Callable[[Any, Any], TrialPool] | None = None,
    inputs: str = "",
) -> TuneResult:
    """Run the study until ``n_trials`` trials have finished or ``timeout`` passed.

    Args:
        pool_factory: Builds the trial pool from the pruning queue and answers (default:
            local processes, ``tune.jobs`` at a time).
        inputs: A digest of the stage's dependencies: new data means a new study.

    Raises:
        ConfigError: the space, sampler or pruner is invalid.
        PipelineError: every trial failed (the message gives the first error).
    """
    import multiprocessing

    from optuna.trial import TrialState

    if tune.n_trials is None and tune.timeout is None:
        raise PipelineError(f"stage '{stage}': give tune.n_trials, tune.timeout, or both")
    if (tune.objective is None) == (tune.cmd is None):
        raise PipelineError(
            f"stage '{stage}': give tune.objective (module:function) or tune.cmd, not both"
        )
    dists = distributions(stage, tune)
    study = open_study(root, stage, tune, create=True, inputs=inputs)
    for stale in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study._storage.set_trial_state_values(stale._trial_id, TrialState.FAIL)  # noqa: SLF001
        say(f"trial {stale.number}: was running when an earlier run stopped; marked failed")
    ended = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    finished = len(study.get_trials(deepcopy=False, states=ended))
    remaining = (tune.n_trials - finished) if tune.n_trials is not None else None
    if finished:
        say(f"resuming study {study.study_name}: {finished} trial(s) already finished")
    deadline = time.monotonic() + tune.timeout if tune.timeout is not None else None
    first_error = ""
    jobs = max(1, tune.jobs)
    with multiprocessing.get_context("spawn").Manager() as manager:
        reports = manager.Queue()
        decisions = manager.dict()
        running: dict[int, optuna.trial.Trial] = {}
        stop = threading.Event()
        pump = threading.Thread(
            target=_prune_loop, args=(reports, decisions, running, stop), daemon=True
        )
        pump.start()
        pool = (pool_factory or _local(root, objective_of(tune), jobs))(reports, decisions)
        if not pool.prunes and tune.pruner != "none":
            say("trials on Dask are not pruned: they run to the end")
        try:
            while True:
                while (
                    pool.running() < jobs
                    and (remaining is None or remaining > 0)
                    and (deadline is None or time.monotonic() < deadline)
                ):
                    trial = study.ask(dists)
                    running[trial.number] = trial
                    pool.submit(trial.number, trial.params)
                    if remaining is not None:
                        remaining -= 1
                if not pool.running():
                    break
                for outcome in pool.wait():
                    trial = running.pop(outcome.number)
                    if outcome.state == "fail" and not first_error:
                        first_error = outcome.message
                    _tell(study, trial, outcome, say)
        finally:
            stop.set()
            pool.close()
            pump.join(timeout=2)
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    pruned = sum(1 for t in trials if t.state == TrialState.PRUNED)
    failed = sum(1 for t in trials if t.state == TrialState.FAIL)
    if not complete:
        raise PipelineError(
            f"stage '{stage}': every trial failed, so there are no best parameters; the first "
            f"error: {first_error or 'none recorded'}"
        )
    best = study.best_trial if len(study.directions) == 1 else study.best_trials[0]
    return TuneResult(dict(best.params), tuple(best.values), len(complete), pruned, failed)


def objective_of(tune: TuneConfig) -> Objective:
    return Objective(tune.objective, tune.cmd, tune.metric)


def _local(root: str, objective: Objective, jobs: int) -> Callable[[Any, Any], TrialPool]:
    def make(reports: Any, decisions: Any) -> TrialPool:
        return LocalPool(root, objective, jobs, reports, decisions)

    return make


def _tell(study: optuna.Study, trial: optuna.trial.Trial, outcome: Outcome, say: Say) -> None:
    from optuna.trial import TrialState

    if outcome.state == "complete":
        study.tell(trial, list(outcome.values) if len(outcome.values) > 1 else outcome.values[0])
        shown = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in trial.params.items()
        )
        say(f"trial {trial.number}: {', '.join(f'{v:.5g}' for v in outcome.values)}  ({shown})")
    elif outcome.state == "pruned":
        study.tell(trial, state=TrialState.PRUNED)
        say(f"trial {trial.number}: pruned")
    else:
        trial.set_user_attr("error", outcome.message)
        study.tell(trial, state=TrialState.FAIL)
        say(f"trial {trial.number}: failed: {outcome.message}")


def _prune_loop(
    reports: Any, decisions: Any, running: dict[int, Any], stop: threading.Event
) -> None:
    """Hand each intermediate value to the pruner, and its decision back."""
    import queue

    while not stop.is_set():
        try:
            number, step, value = reports.get(timeout=0.1)
        except queue.Empty:
            continue
        except (EOFError, OSError):
            return
        trial = running.get(number)
        prune = False
        if trial is not None:
            trial.report(value, step)
            prune = trial.should_prune()
        decisions[f"{number}:{step}"] = prune
