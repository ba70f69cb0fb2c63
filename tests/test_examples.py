"""The examples, end to end through `mlgate ci`: churn in pull-request and main-branch
jobs sharing a remote and a registry, and digits with an ONNX model."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest

from mlgate.config import RemoteConfig
from tests.conftest import Result, git, run_mlgate

Cli = Callable[..., Result]
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "churn"


class Team:
    """The churn example as a team runs it: a developer's clone, a bare origin, a shared
    S3 remote and PostgreSQL registry, and a fresh CI checkout for every job."""

    def __init__(self, base: Path, remote: RemoteConfig, registry: str) -> None:
        self.base = base
        self.origin = base / "origin.git"
        self.dev = base / "dev"
        self.jobs = 0
        # Every `python` a stage runs goes through this shim, which logs its arguments:
        # the proof that a restored stage did not run its command.
        shims = base / "shims"
        shims.mkdir()
        self.calls = base / "python-calls.log"
        shim = shims / "python"
        shim.write_text(f'#!/bin/sh\necho "$*" >> {self.calls}\nexec {sys.executable} "$@"\n')
        shim.chmod(0o755)
        self.env = {
            "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}",
            "MLGATE_REGISTRY": registry,
        }
        git(base, "init", "-q", "--bare", "-b", "main", str(self.origin))
        shutil.copytree(EXAMPLE, self.dev, ignore=shutil.ignore_patterns("__pycache__"))
        git(self.dev, "init", "-q", "-b", "main")
        git(self.dev, "remote", "add", "origin", str(self.origin))
        config = (self.dev / "mlgate.yaml").read_text()
        deploy = config.index("deploy:")
        (self.dev / "mlgate.yaml").write_text(
            config[:deploy] + "deploy: {steps: []}  # no servers here: promote directly\n"
            f"remote: {{url: '{remote.url}', endpoint: '{remote.endpoint}', region: us-east-1}}\n"
        )
        self.mlgate("init", cwd=self.dev)

    def mlgate(self, *args: str, cwd: Path, env: dict[str, str] | None = None) -> Result:
        return run_mlgate(*args, cwd=cwd, env={**self.env, **(env or {})}, timeout=600)

    def commit(self, branch: str, message: str, change: Callable[[], None]) -> None:
        """The developer changes something on BRANCH, pushes its data and the commit."""
        git(self.dev, "checkout", "-q", "-B", branch)
        change()
        assert self.mlgate("push", "-q", cwd=self.dev).code == 0
        git(self.dev, "add", "-A")
        git(self.dev, "commit", "-q", "-m", message)
        git(self.dev, "push", "-q", "-f", "origin", branch)

    def ci(self, branch: str, *args: str, env: dict[str, str] | None = None) -> Result:
        """`mlgate ci` in a fresh clone of BRANCH, as a CI runner does."""
        self.jobs += 1
        checkout = self.base / f"job{self.jobs}-{branch}"
        git(self.base, "clone", "-q", "-b", branch, str(self.origin), str(checkout))
        self.calls.write_text("")
        return self.mlgate("ci", *args, cwd=checkout, env=env)

    def trained(self) -> bool:
        return "src/train.py" in self.calls.read_text()

    def generate(self, version: int) -> Callable[[], None]:
        def change() -> None:
            subprocess.run(
                [sys.executable, "generate.py", "--version", str(version)], cwd=self.dev, check=True
            )
            assert self.mlgate("add", "-q", "data/customers.csv", cwd=self.dev).code == 0

        return change


@pytest.mark.slow
def test_the_churn_example_in_pull_request_and_main_branch_jobs(
    tmp_path: Path, s3_remote: RemoteConfig, pg_database: str
) -> None:
    team = Team(tmp_path, s3_remote, pg_database)

    # main: data v1; the main-branch job trains, gates on floors and deploys.
    team.commit("main", "data v1", team.generate(1))
    first = team.ci("main", "--deploy")
    assert first.code == 0, first.out + first.err
    assert team.trained()
    assert "registered churn@1" in first.out and "churn@production: None -> 1" in first.out

    # A pull request with data v2 (drift, more churn among high spenders): the retrained
    # model keeps significantly more value, so the superiority gate passes.
    team.commit("data-v2", "data v2", team.generate(2))
    summary = tmp_path / "step-summary.md"
    github = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    improve = team.ci("data-v2", env=github)
    assert improve.code == 0, improve.out + improve.err
    assert team.trained() and "[evaluate] test AUC" in improve.out
    assert "::group::gate the candidate" in improve.out and "::endgroup::" in improve.out
    report = summary.read_text()
    assert report.startswith("## ✅ mlgate: `churn@2` passed") and "against `churn@1`" in report
    assert "retained_value" in report and "accuracy_by_segment[segment=smb]" in report
    assert "monthly_spend" in report  # the drift is reported, below its blocking threshold

    # Merged: the main-branch job's fresh checkout restores every stage from the run
    # cache the pull request's job pushed, trains nothing, re-uses the gate report and
    # deploys.
    git(team.dev, "checkout", "-q", "main")
    git(team.dev, "merge", "-q", "--ff-only", "data-v2")
    git(team.dev, "push", "-q", "origin", "main")
    merged = team.ci("main", "--deploy")
    assert merged.code == 0, merged.out + merged.err
    assert not team.trained(), team.calls.read_text()
    for stage in ("prepare", "tune", "train", "evaluate"):
        assert f"[{stage}]" not in merged.out
    assert "unchanged: churn@2 is this model" in merged.out
    assert "re-using the gate report stored with churn@2" in merged.out
    assert "churn@production: 1 -> 2" in merged.out

    # A pull request that degrades the model (support calls per week in its training
    # data, per month when it is evaluated and served) fails.
    def degrade() -> None:
        (team.dev / "params.yaml").write_text("degrade: true\n")

    team.commit("degrade", "count support calls per week", degrade)
    worse = team.ci("degrade")
    assert worse.code == 1, worse.out + worse.err
    assert team.trained() and "churn@3 failed" in worse.err
    checkout = tmp_path / f"job{team.jobs}-degrade"
    failed = (checkout / "mlgate-report.md").read_text()
    assert failed.startswith("## ❌ mlgate: `churn@3` failed") and "against `churn@2`" in failed
    suite = ElementTree.parse(checkout / "junit.xml").getroot()
    failed = {
        case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None
    }
    assert {"auc_not_worse", "retained_value"} <= failed, failed
    registry = team.mlgate("models", "show", "churn@production", cwd=team.dev)
    assert "churn@2" in registry.out
    history = team.mlgate("history", "churn", cwd=team.dev).out
    assert history.count("[mlgate ci --deploy]") == 2, history  # who moved it, and how


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
