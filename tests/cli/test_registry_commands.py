"""The registry commands through the CLI, on the repository's SQLite registry."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from mlgate.registry import Registry
from tests.conftest import Result

Cli = Callable[..., Result]


def _register(repo: Path, n: int) -> None:
    with Registry("sqlite:///.mlgate/registry.db", root=str(repo)) as reg:
        for _ in range(n):
            reg.register(
                "churn",
                artifact_digest="a" * 64,
                flavor="sklearn",
                params={"C": 0.5},
                metrics={"auc": 0.91},
                git_commit="c" * 40,
            )


def test_registry_lifecycle(cli: Cli, repo: Path) -> None:
    # A new, empty registry gets the schema on first use; nothing can be lost.
    before = cli("models", "list")
    assert before.code == 0 and "No models yet." in before.out
    assert "up to date" in cli("registry", "upgrade").out
    _register(repo, 3)
    assert "churn" in cli("models", "list").out
    first = cli("alias", "set", "churn", "production", "1", "--reason", "first release")
    assert first.code == 0 and "churn@production: unset -> version 1" in first.out
    assert (
        "version 1 -> version 2"
        in cli("alias", "set", "churn", "production", "2", "--reason", "better auc").out
    )
    stale = cli("alias", "set", "churn", "production", "3", "--reason", "x", "--expect", "1")
    assert stale.code == 2 and "is version 2, not version 1" in stale.err
    listed = json.loads(cli("models", "list", "--json").out)
    assert listed == [{"name": "churn", "latest_version": 3, "aliases": {"production": 2}}]
    shown = cli("models", "show", "churn@production").out
    assert "churn@2" in shown and "params: C=0.5" in shown and "commit " + "c" * 40 in shown
    assert cli("models", "show", "churn").out.count("churn@") == 3
    history = cli("history", "churn")
    assert "first release" in history.out and "better auc" in history.out
    assert "mlgate alias set churn production 2" in history.out
    events = json.loads(cli("history", "churn", "--alias", "production", "--json").out)
    assert [(e["from"], e["to"]) for e in events] == [(None, 1), (1, 2)]
    assert (
        "version 2 -> deleted"
        in cli("alias", "delete", "churn", "production", "--reason", "retired").out
    )
    assert cli("alias", "delete", "churn", "production", "--reason", "again").code == 1


def test_registry_errors_exit_2_with_a_message(cli: Cli, repo: Path) -> None:
    cli("registry", "upgrade")
    assert "No alias of 'churn' has moved yet" not in cli("history", "churn").out
    unknown = cli("history", "churn")
    assert unknown.code == 2 and "no model named 'churn'" in unknown.err
    _register(repo, 1)
    assert "No alias of 'churn' has moved yet." in cli("history", "churn").out
    bad = cli("alias", "set", "churn", "latest", "1", "--reason", "r")
    assert bad.code == 2 and "reserved" in bad.err
    missing = cli("alias", "set", "churn", "production", "9", "--reason", "r")
    assert missing.code == 2 and "has no version 9" in missing.err
    expect = cli("alias", "set", "churn", "production", "1", "--reason", "r", "--expect", "x")
    assert expect.code == 2 and "--expect" in expect.err
    assert (
        cli("alias", "set", "churn", "production", "1", "--reason", "r", "--expect", "none").code
        == 0
    )
    assert cli("alias", "set", "churn", "production", "1").code == 2  # --reason is required


def test_register_lineage_and_runs(cli: Cli, repo: Path) -> None:
    from tests.conftest import git, write

    cli("registry", "upgrade")
    git(repo, "init", "-q")
    write(repo / "data" / "train.csv", "x,y\n1,0\n")
    cli("add", "data/train.csv")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "data")
    with Registry("sqlite:///.mlgate/registry.db", root=str(repo)) as reg:
        run_id = reg.start_run("train", params={"C": 0.5})
        reg.log_metrics(run_id, {"auc": 0.9})
        reg.record_io(run_id, "train", "dep", {"data/train.csv": "d" * 64})
        reg.finish_run(run_id)
    write(repo / "models" / "model.bin", b"weights")
    write(repo / "metrics.json", '{"accuracy": 0.8}')
    done = cli(
        "register",
        "churn",
        "models/model.bin",
        "--flavor",
        "sklearn",
        "--run",
        str(run_id),
        "--metrics",
        "metrics.json",
    )
    assert done.code == 0 and "registered churn@1" in done.out and "1 dataset(s)" in done.out
    shown = cli("lineage", "churn@1").out
    assert "data     data/train.csv" in shown and f"run      {run_id} 'train' finished" in shown
    assert "train        dep data/train.csv" in shown and "params  C=0.5" in shown
    with Registry("sqlite:///.mlgate/registry.db", root=str(repo)) as reg:
        version = reg.get("churn", 1)
    assert version.metrics == {"auc": 0.9, "accuracy": 0.8} and version.git_commit
    assert f"{run_id}" in cli("runs").out and "metric  auc = 0.9" in cli("runs", str(run_id)).out
    write(repo / "bad.json", '{"accuracy": "high"}')
    bad = cli(
        "register", "churn", "models/model.bin", "--flavor", "sklearn", "--metrics", "bad.json"
    )
    assert bad.code == 2 and "metric 'accuracy' must be a number" in bad.err
    missing = cli("register", "churn", "models/nope.bin", "--flavor", "sklearn")
    assert missing.code == 2 and "does not exist" in missing.err
    assert (
        "registered churn@2" in cli("register", "churn", "models/model.bin", "--flavor", "onnx").out
    )
    assert "run      (none recorded)" in cli("lineage", "churn@2").out


def test_registry_upgrade_creates_the_schema(cli: Cli, repo: Path) -> None:
    done = cli("registry", "upgrade")
    assert "Migrated the registry schema from nothing to 0005_predictions" in done.out
    assert "up to date" in cli("registry", "upgrade").out
