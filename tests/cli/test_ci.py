"""`mlgate ci` from commit to verdict, `--deploy`, and the CI templates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.cli.gate_project import make_gate_project
from tests.conftest import Result

Cli = Callable[..., Result]

PIPELINE = """\
stages:
  train:
    cmd: python train.py {c}
    deps: [train.py, data/train.csv]
    outs: [models/model.skops]
"""


def configure(repo: Path, c: float, remote: str) -> None:
    text = (repo / "mlgate.yaml").read_text().split("stages:")[0]
    (repo / "mlgate.yaml").write_text(
        f"remote: {remote}\n" * ("remote:" not in text) + text + PIPELINE.format(c=c)
    )


def test_ci_gates_registers_reports_reuses_and_deploys(
    cli: Cli, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_gate_project(repo)
    (repo / "models").rmdir()
    configure(repo, 1.0, (tmp_path / "remote").as_uri())
    assert cli("add", "data/train.csv", "data/test.csv").code == 0
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    first = cli("ci")
    assert first.code == 0, first.out + first.err
    assert "::group::run the pipeline" in first.out and "registered cancer@1" in first.out
    report = (repo / "mlgate-report.md").read_text()
    assert report.startswith("## ✅ mlgate: `cancer@1` passed")
    assert "No model has the alias 'production' yet" in report
    assert summary.read_text().startswith("## ✅ mlgate")
    assert (repo / "junit.xml").read_text().startswith("<?xml")

    deployed = cli("ci", "--deploy")
    assert deployed.code == 0, deployed.out + deployed.err
    assert "cancer@production: None -> 1" in deployed.out
    assert (
        "### Deploy\n\n✅ cancer@production: None -> 1" in (repo / "mlgate-report.md").read_text()
    )
    assert summary.read_text().rstrip().endswith("✅ cancer@production: None -> 1")

    # Nothing changed: nothing trains, nothing is registered, the stored report is reused.
    again = cli("ci")
    assert again.code == 0, again.out + again.err
    assert "skipped    train" in again.out and "unchanged: cancer@1" in again.out
    assert "re-using the gate report stored with cancer@1" in again.out

    configure(repo, 0.0005, "")
    worse = cli("ci", "--deploy")
    assert worse.code == 1, worse.out + worse.err
    assert "registered cancer@2" in worse.out and "cancer@2 failed" in worse.err
    assert (repo / "mlgate-report.md").read_text().startswith("## ❌ mlgate: `cancer@2` failed")
    assert cli("models", "show", "cancer@production").out.count("cancer@1") >= 1


def test_ci_without_a_model_section_is_an_error(cli: Cli, repo: Path) -> None:
    done = cli("ci")
    assert done.code == 2 and "needs `model:` and `evaluation:`" in done.err
    report = (repo / "mlgate-report.md").read_text()
    assert report.startswith("## ⚠️ mlgate: error in step “read mlgate.yaml”")
    assert "needs `model:` and `evaluation:`" in report


def test_ci_warns_and_goes_on_when_it_may_not_push(
    cli: Cli, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pull-request jobs often get read-only credentials: the verdict still counts."""
    make_gate_project(repo)
    remote = tmp_path / "remote"
    configure(repo, 1.0, remote.as_uri())
    assert cli("add", "data/train.csv", "data/test.csv").code == 0
    assert cli("push", "-q").code == 0
    # The remote reads fine but refuses the run cache's uploads: a file stands where
    # its directory would be.
    (remote / "runcache").write_text("not a directory")

    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    done = cli("ci")
    assert done.code == 0, done.out + done.err
    assert "::warning::could not push to the remote" in done.err and "--no-push" in done.err
    assert "registered cancer@1" in done.out
    assert (repo / "mlgate-report.md").read_text().startswith("## ✅")

    skipped = cli("ci", "--no-push")
    assert skipped.code == 0 and "push outputs" not in skipped.out


@pytest.mark.parametrize(
    ("config", "step", "says"),
    [
        ("model: [unclosed\n", "read mlgate.yaml", "mlgate.yaml"),
        (None, "run the pipeline", "stage 'train' failed"),
        (
            "remote: {url: 's3://bucket/x', endpoint: 'http://127.0.0.1:9'}\n",
            "pull data",
            "cannot reach the remote",
        ),
    ],
)
def test_ci_errors_still_write_the_report_and_junit(
    cli: Cli,
    repo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: str | None,
    step: str,
    says: str,
) -> None:
    """A stale report would be posted to the pull request by the workflow's comment
    step, which runs always: an error replaces it with one that names the step."""
    make_gate_project(repo)
    configure(repo, 1.0, "")
    if config is None:
        (repo / "train.py").write_text("raise SystemExit('no GPU here')\n")
    else:
        text = (repo / "mlgate.yaml").read_text().replace("remote: \n", "")
        (repo / "mlgate.yaml").write_text(config + text if "remote" in config else config)
    (repo / "mlgate-report.md").write_text("## ✅ an old report\n")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    done = cli("ci")
    assert done.code == 2, done.out + done.err
    report = (repo / "mlgate-report.md").read_text()
    assert report.startswith(f"## ⚠️ mlgate: error in step “{step}") and says in report
    assert summary.read_text() == report + "\n"
    junit = (repo / "junit.xml").read_text()
    assert '<error message="' in junit and 'errors="1"' in junit


@pytest.mark.parametrize(
    ("platform", "path"), [("github", ".github/workflows/mlgate.yml"), ("gitlab", ".gitlab-ci.yml")]
)
def test_ci_templates_parse_and_run_the_documented_commands(
    cli: Cli, repo: Path, platform: str, path: str
) -> None:
    done = cli("ci", "init", platform)
    assert done.code == 0 and f"wrote {path}" in done.out
    workflow = yaml.safe_load((repo / path).read_text())
    text = (repo / path).read_text()
    assert "AWS_ACCESS_KEY_ID" in text and "MLGATE_REGISTRY" in text  # the secrets, named
    if platform == "github":
        gate, deploy = workflow["jobs"]["gate"], workflow["jobs"]["deploy"]
        assert [s.get("run") for s in gate["steps"] if "run" in s][:2] == [
            "pip install mlgate",
            "mlgate ci",
        ]
        upload = next(s for s in gate["steps"] if "upload-artifact" in s.get("uses", ""))
        assert upload["if"] == "always()" and "junit.xml" in upload["with"]["path"].split()
        assert (
            "gh pr comment" in gate["steps"][-1]["run"]
            and "--body-file mlgate-report.md" in gate["steps"][-1]["run"]
        )
        assert [s["run"] for s in deploy["steps"] if "run" in s] == [
            "pip install mlgate",
            "mlgate ci --deploy",  # it pushes outputs and the run cache itself
        ]
        assert deploy["concurrency"] == {"group": "mlgate-deploy", "cancel-in-progress": False}
        assert deploy["steps"][-1]["if"] == "always()"  # the deploy report is kept too
        assert any(
            s.get("uses", "").startswith("actions/cache") and s["with"]["path"] == ".mlgate/cache"
            for s in gate["steps"]
        )
    else:
        assert workflow["mlgate-gate"]["script"] == ["mlgate ci"]
        assert workflow["mlgate-deploy"]["script"] == ["mlgate ci --deploy"]
        assert workflow["mlgate-deploy"]["resource_group"] == "mlgate-deploy"
        assert workflow["mlgate-deploy"]["artifacts"]["when"] == "always"
        assert workflow["default"]["cache"]["paths"] == [".mlgate/cache"]
        assert workflow["mlgate-gate"]["artifacts"]["reports"]["junit"] == "junit.xml"
    again = cli("ci", "init", platform)
    assert again.code == 2 and "pass --force" in again.err
    assert cli("ci", "init", platform, "--force").code == 0
