"""The churn example, end to end through `mlgate ci`: a first model is promoted, data
with drift is retrained and gated against it, and a degraded model is blocked."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result, git

Cli = Callable[..., Result]
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "churn"


@pytest.mark.slow
def test_the_churn_example_gates_and_deploys(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "churn"
    shutil.copytree(EXAMPLE, project)
    monkeypatch.chdir(project)
    git(project, "init", "-q")
    assert cli("init").code == 0
    subprocess.run([sys.executable, "generate.py", "--version", "1"], check=True)
    assert cli("add", "data/customers.csv").code == 0

    first = cli("ci", "--deploy")
    assert first.code == 0, first.out + first.err
    assert "registered churn@1" in first.out and "churn@production: None -> 1" in first.out

    subprocess.run([sys.executable, "generate.py", "--version", "2"], check=True)
    assert cli("add", "data/customers.csv").code == 0
    second = cli("ci")
    assert second.code == 0, second.out + second.err
    report = (project / "mlgate-report.md").read_text()
    assert "against `churn@1`" in report and "monthly_spend" in report  # the drift is reported
    assert "accuracy_by_segment[segment=smb]" in report

    assert "[evaluate] test AUC" in second.out

    # A commit that changes nothing the pipeline depends on trains nothing.
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "data v2")
    unchanged = cli("ci")
    assert unchanged.code == 0, unchanged.out + unchanged.err
    assert "[train]" not in unchanged.out and "[tune]" not in unchanged.out
    assert "re-using the gate report stored with churn@2" in unchanged.out

    (project / "params.yaml").write_text("degrade: true\n")
    third = cli("ci")
    assert third.code == 1
    assert "churn@3 failed" in third.err


@pytest.mark.slow
def test_the_digits_example_gates_an_onnx_model(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "digits"
    shutil.copytree(EXAMPLE.parent / "digits", project)
    monkeypatch.chdir(project)
    git(project, "init", "-q")
    assert cli("init").code == 0
    first = cli("ci", "--deploy")
    assert first.code == 0, first.out + first.err
    assert "registered digits@1 (onnx" in first.out
    (project / "params.yaml").write_text("C: 0.0005\n")  # starved of signal: clearly worse
    worse = cli("ci")
    assert worse.code == 1, worse.out + worse.err
    assert "accuracy_not_worse" in (project / "mlgate-report.md").read_text()
