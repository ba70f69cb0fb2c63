"""Rollouts against a real server under live traffic: a broken canary is aborted by
itself, an equal one is promoted, a shadow reports how far it disagrees."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from mlgate._errors import GateFailed, RegistryError
from mlgate.deploy import RolloutPlan, promote, rollback, run_rollout
from mlgate.registry import Registry
from tests.serve.conftest import Server, cli, wait_for


class Traffic:
    """Requests of ``rows`` rows in a loop, each with its own request key."""

    def __init__(self, server: Server, project: Path, rows: int = 1) -> None:
        frame = pd.read_csv(project / "data" / "test.csv").drop(columns=["target"])
        self.records = frame.to_dict(orient="records")
        self.rows = rows
        self.url = f"{server.url}/invocations"
        self.stop = threading.Event()
        self.statuses: list[int] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            i = 0
            while not self.stop.is_set():
                start = (i * self.rows) % len(self.records)
                batch = self.records[start : start + self.rows]
                r = client.post(
                    self.url,
                    json={"dataframe_records": batch},
                    headers={"X-Request-Key": str(i)},
                )
                self.statuses.append(r.status_code)
                i += 1

    def __enter__(self) -> Traffic:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


@pytest.fixture
def registry(project: Path) -> Iterator[Registry]:
    with Registry("sqlite:///.mlgate/registry.db", root=str(project)) as reg:
        yield reg


# Few requests per step: a loaded CI machine may serve only tens per second.
PLAN = RolloutPlan(steps=(10, 50, 100), step_seconds=2.0, min_requests=5, poll=0.3)


def test_a_broken_canary_is_aborted_by_itself(
    server: Server, project: Path, registry: Registry
) -> None:
    said: list[str] = []
    with Traffic(server, project) as traffic:
        done = run_rollout(registry, "cancer", 3, "production", PLAN, actor="test", say=said.append)
    assert done.status == "aborted", said
    assert "canary error rate" in done.reason and "mSPRT" in done.reason
    assert registry.alias("cancer", "production") == 1
    kinds = [e.kind for e in registry.deploy_events("cancer")]
    assert kinds[0] == "rollout-started" and kinds[-1] == "rollout-aborted"
    assert 500 in traffic.statuses  # the canary really failed requests
    wait_for(lambda: registry.active_rollout("cancer", "production") is None)


def test_an_equal_canary_is_promoted(server: Server, project: Path, registry: Registry) -> None:
    with Traffic(server, project) as traffic:
        done = run_rollout(registry, "cancer", 2, "production", PLAN, actor="test")
    assert done.status == "promoted", done.reason
    assert registry.alias("cancer", "production") == 2
    shares = [dict(s.predictions) for s in registry.rollout_stats(done.id)]
    assert all(set(p) == {"0", "1"} for p in shares), shares  # both classes, both versions
    assert registry.history("cancer")[-1].reason.startswith(f"rollout {done.id} promoted")
    assert set(traffic.statuses) == {200}
    wait_for(lambda: server.version() == "2")
    stats = registry.rollout_stats(done.id)
    assert {s.version for s in stats} == {1, 2} and all(s.errors == 0 for s in stats)


SKEWED = """\
import numpy as np
import skops.io as sio


class Skewed:
    # Version 1's model, but it calls every tumour benign: it never fails and it is
    # fast, so only its predictions give it away.

    def __init__(self, path):
        self.inner = sio.load(path)
        self.classes_ = self.inner.classes_
        self.feature_names_in_ = self.inner.feature_names_in_

    def predict_proba(self, x):
        p = np.zeros((len(x), 2))
        p[:, 1] = 1.0
        return p

    def predict(self, x):
        return np.ones(len(x), dtype=int)


def load(path):
    return Skewed(path)
"""


def test_a_canary_whose_predictions_shift_is_aborted(
    server: Server, project: Path, registry: Registry
) -> None:
    (project / "skewed.py").write_text(SKEWED)
    cli(project, "register", "cancer", "models/v1.skops", "--flavor", "python:skewed:load")
    plan = RolloutPlan(
        steps=(50, 100), step_seconds=3.0, min_requests=5, poll=0.3, max_prediction_shift=0.1
    )
    said: list[str] = []
    with Traffic(server, project, rows=50) as traffic:
        done = run_rollout(registry, "cancer", 5, "production", plan, actor="test", say=said.append)
    assert done.status == "aborted", said
    assert "canary predicts '0' for 0.0% of" in done.reason, done.reason
    assert "more than the 10% allowed" in done.reason
    assert set(traffic.statuses) == {200}  # no errors, no latency: only the predictions
    assert registry.alias("cancer", "production") == 1
    canary = [dict(s.predictions) for s in registry.rollout_stats(done.id) if s.version == 5]
    assert canary and all(set(p) == {"1"} for p in canary)


def test_no_traffic_is_inconclusive_never_a_pass(server: Server, registry: Registry) -> None:
    plan = RolloutPlan(steps=(50, 100), step_seconds=0.6, min_requests=5, poll=0.2)
    done = run_rollout(registry, "cancer", 2, "production", plan, actor="test")
    assert done.status == "inconclusive" and "no data is not a pass" in done.reason
    assert registry.alias("cancer", "production") == 1


def test_shadow_mirrors_without_answering(
    server: Server, project: Path, registry: Registry
) -> None:
    plan = RolloutPlan(steps=(100,), step_seconds=1.5, min_requests=10, poll=0.3, shadow=True)
    with Traffic(server, project) as traffic:
        done = run_rollout(registry, "cancer", 2, "production", plan, actor="test")
    assert done.status == "inconclusive" and done.reason.startswith("shadow finished")
    [report] = [e for e in registry.deploy_events("cancer") if e.kind == "shadow-report"]
    assert "answers differed on" in report.message
    assert registry.alias("cancer", "production") == 1
    assert set(traffic.statuses) == {200}


def test_promote_needs_a_passing_gate_and_rollback_aborts_a_rollout(
    project: Path, registry: Registry
) -> None:
    with pytest.raises(GateFailed, match="has no gate report"):
        promote(registry, "cancer", 2, "production", force=False, reason=None, actor="t")
    with pytest.raises(RegistryError, match="--force needs --reason"):
        promote(registry, "cancer", 2, "production", force=True, reason=None, actor="t")
    registry.save_gate_report(
        "cancer", 2, {"passed": False}, passed=False, champion=None, actor="t"
    )
    with pytest.raises(GateFailed, match="failed its gates"):
        promote(registry, "cancer", 2, "production", force=False, reason=None, actor="t")
    registry.save_gate_report("cancer", 2, {"passed": True}, passed=True, champion=None, actor="t")
    event = promote(registry, "cancer", 2, "production", force=False, reason=None, actor="t")
    assert event.to_version == 2 and "gate report" in event.reason
    forced = promote(registry, "cancer", 3, "production", force=True, reason="hotfix", actor="t")
    assert forced.to_version == 3
    assert [e.kind for e in registry.deploy_events("cancer")] == ["promote-forced"]
    running = registry.start_rollout("cancer", "production", 1, weight=0.1, shadow=False, actor="t")
    back = rollback(registry, "cancer", "production", to=None, reason="bad", actor="t")
    assert back.to_version == 2
    assert registry.rollout(running.id).status == "aborted"
    with pytest.raises(RegistryError, match="already is version 2"):
        rollback(registry, "cancer", "production", to=2, reason="again", actor="t")


def test_rollout_cli_exit_codes(project: Path) -> None:
    from tests.conftest import run_mlgate

    done = run_mlgate("rollout", "cancer", "2", "--steps", "50,10", cwd=project)
    assert done.code == 2 and "increasing percentages" in done.err
    done = run_mlgate("rollout", "cancer", "2", "--steps", "x", cwd=project)
    assert done.code == 2 and "not a list of percentages" in done.err
    done = run_mlgate("rollout", "cancer", "2", "--max-prediction-shift", "2", cwd=project)
    assert done.code == 2 and "--max-prediction-shift" in done.err
    done = run_mlgate(
        "rollout",
        "cancer",
        "2",
        "--steps",
        "100",
        "--step-seconds",
        "0.5",
        "--min-requests",
        "5",
        cwd=project,
    )
    assert done.code == 1 and "was not promoted (inconclusive)" in done.err
    # For the project's own model, what the flags leave out comes from `deploy:`.
    with (project / "mlgate.yaml").open("a") as fh:
        fh.write(
            "model: {name: cancer, path: models/v1.skops, flavor: sklearn}\n"
            "deploy: {steps: [100], step_seconds: 0.5, min_requests: 5}\n"
        )
    done = run_mlgate("rollout", "cancer", "2", cwd=project)
    assert done.code == 1 and "was not promoted (inconclusive)" in done.err
    assert "step 1/1: canary at 100%" in done.out and "cancer@2 against cancer@1" in done.out
    done = run_mlgate("rollout", "cancer", "2", "--steps", "50", cwd=project)  # flags win
    assert done.code == 1 and "step 1/2: canary at 50%" in done.out
    done = run_mlgate("promote", "cancer", "2", cwd=project)
    assert done.code == 1 and "has no gate report" in done.err
    done = run_mlgate("promote", "cancer", "2", "--force", "--reason", "trust me", cwd=project)
    assert done.code == 0 and "version 1 -> version 2" in done.out
    done = run_mlgate("rollback", "cancer", cwd=project)
    assert done.code == 0 and "version 2 -> version 1" in done.out
    history = run_mlgate("history", "cancer", cwd=project).out
    assert (
        "rollout-inconclusive" in history
        and "promote-forced (v2): promoted without a passing gate: trust me" in history
    )
    import json

    kinds = [
        e["kind"] for e in json.loads(run_mlgate("history", "cancer", "--json", cwd=project).out)
    ]
    assert kinds.count("alias-move") == 3 and "rollout-started" in kinds
