"""Logging from training code: start_run, buffered log_metrics, runs inside stages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import mlgate
from mlgate import RegistryError
from mlgate.registry import Registry


@pytest.fixture
def registry_url(repo: Path) -> str:
    url = f"sqlite:///{repo / '.mlgate' / 'registry.db'}"
    with Registry(url, check=False) as reg:
        reg.upgrade()
    return url


def test_a_training_loop_logs_in_batches(registry_url: str) -> None:
    with mlgate.start_run("train", params={"lr": 0.1}) as run:
        for step in range(10_000):
            mlgate.log_metrics({"loss": 1.0 / (step + 1)}, step=step)
        mlgate.log_params({"epochs": 3})
        run_id = run.run_id
    with Registry(registry_url) as reg:
        recorded = reg.run(run_id)
        assert recorded.status == "finished" and recorded.params == {"lr": 0.1, "epochs": 3}
        assert len(reg.metric_history(run_id, "loss")) == 10_000


def test_a_failing_block_keeps_its_values_and_is_marked_failed(registry_url: str) -> None:
    with pytest.raises(ZeroDivisionError), mlgate.start_run("train") as run:
        run.log_metric("loss", 0.5, step=1)
        _ = 1 / 0
    with Registry(registry_url) as reg:
        assert reg.run(run.run_id).status == "failed"
        assert reg.metric_history(run.run_id, "loss") == [(1, 0.5)]


def test_logging_without_a_run_says_how_to_start_one(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLGATE_RUN_ID", raising=False)
    with pytest.raises(RegistryError, match=r"with mlgate.start_run\(\)"):
        mlgate.log_metrics({"loss": 1.0})


def test_a_stage_logs_to_the_run_named_in_its_environment(registry_url: str, repo: Path) -> None:
    with Registry(registry_url) as reg:
        run_id = reg.start_run("pipeline")
    code = "import mlgate\nfor s in range(3):\n    mlgate.log_metrics({'acc': s / 10}, step=s)\n"
    env = {**os.environ, "MLGATE_RUN_ID": str(run_id), "MLGATE_REGISTRY": registry_url}
    subprocess.run([sys.executable, "-c", code], cwd=repo, env=env, check=True)
    with Registry(registry_url) as reg:
        assert reg.metric_history(run_id, "acc") == [(0, 0.0), (1, 0.1), (2, 0.2)]
        assert reg.run(run_id).status == "running"  # the pipeline, not the stage, ends it


def test_the_python_api_is_lazy() -> None:
    assert mlgate.Registry is Registry
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = mlgate.nope  # type: ignore[attr-defined]
    code = "import sys, mlgate; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
