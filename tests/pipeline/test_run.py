"""Planning and running real stages (shell commands) in a real repository."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from mlgate import PipelineError
from mlgate.config import load_project
from mlgate.pipeline import Pipeline, Runner, StageResult, plan, read_lock
from mlgate.store import Workspace
from tests.conftest import Result, git, write

Cli = Callable[..., Result]
PY = "python -c"

CONFIG = """
stages:
  prepare: {cmd: "cp data/raw.csv data/clean.csv && echo prepared", deps: [data/raw.csv], outs: [data/clean.csv]}
  train:
    cmd: "python -c \\"import yaml; s = yaml.safe_load(open('params.yaml'))['scale']; open('model.txt', 'w').write(str(s) * 3)\\""
    deps: [data/clean.csv]
    params: [{params.yaml: [scale]}]
    env: [SEED]
    outs: [model.txt]
  report: {cmd: "cp model.txt report.md", deps: [model.txt], outs: [report.md]}
"""


@pytest.fixture
def project(repo: Path) -> Path:
    (repo / "mlgate.yaml").write_text(CONFIG)
    write(repo / "data" / "raw.csv", "a,b\n1,2\n")
    (repo / "params.yaml").write_text("scale: 2\n")
    return repo


def _run(
    repo: Path,
    *names: str,
    jobs: int = 1,
    keep_going: bool = False,
    force: bool = False,
    environ: dict[str, str] | None = None,
) -> list[StageResult]:
    project = load_project(str(repo))
    pipeline = Pipeline.build(project.config.stages)
    with Workspace.for_project(project) as ws:
        plans = plan(ws, pipeline, project.lock_dir, names, force=force, environ=environ)
        return Runner(ws, pipeline, project.lock_dir, environ=environ).execute(
            plans, jobs=jobs, keep_going=keep_going
        )


def _plan(repo: Path, environ: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    project = load_project(str(repo))
    with Workspace.for_project(project) as ws:
        plans = plan(ws, Pipeline.build(project.config.stages), project.lock_dir, environ=environ)
    return {p.stage: (p.action, p.reason) for p in plans}


def test_rebuild_only_what_changed_and_restore_what_ran_before(project: Path) -> None:
    assert [r.status for r in _run(project)] == ["succeeded"] * 3
    assert (project / "report.md").read_text() == "222"
    assert {a for a, _ in _plan(project).values()} == {"skip"}
    (project / "params.yaml").write_text("scale: 3\n")
    planned = _plan(project)
    assert planned["prepare"][0] == "skip"
    assert planned["train"] == ("run", "parameter 'params.yaml:scale' changed from 2 to 3")
    assert planned["report"] == ("run", "upstream stage 'train' changes first")
    _run(project)
    assert (project / "report.md").read_text() == "333"
    (project / "params.yaml").write_text("scale: 2\n")
    assert [r.status for r in _run(project)] == ["skipped", "restored", "restored"]
    assert (project / "report.md").read_text() == "222"
    assert _plan(project, {"SEED": "7"})["train"] == ("run", "environment variable SEED changed")
    lock = read_lock(str(project / "mlgate.lock"), "train")
    assert lock is not None and lock.params == {"params.yaml:scale": 2}
    assert lock.deps["data/clean.csv"] and [o.path for o in lock.outs] == ["model.txt"]
    (project / "report.md").unlink()
    assert _plan(project)["report"] == ("restore", "output 'report.md' was modified or deleted")
    assert [r.status for r in _run(project, force=True)][0] == "succeeded"


def test_independent_stages_run_in_parallel(repo: Path) -> None:
    stamp = "python -c \\\"import time, sys; a = time.time(); time.sleep(0.5); open(sys.argv[1], 'w').write(f'{a} {time.time()}')\\\""
    (repo / "mlgate.yaml").write_text(
        textwrap.dedent(f"""
        stages:
          a: {{cmd: "{stamp} a.txt", outs: [a.txt]}}
          b: {{cmd: "{stamp} b.txt", outs: [b.txt]}}
    """)
    )
    _run(repo, jobs=2)
    a0, a1 = map(float, (repo / "a.txt").read_text().split())
    b0, b1 = map(float, (repo / "b.txt").read_text().split())
    assert a0 < b1 and b0 < a1  # the two intervals overlap


@pytest.mark.parametrize(
    ("cmd", "message"),
    [
        ("exit 3", "`exit 3` exited with 3"),
        ("kill -9 $$", "was killed by SIGKILL"),
        ("echo no output", "declares output 'out.txt', which it did not write"),
    ],
)
def test_failures_leave_the_lock_and_outputs_alone(repo: Path, cmd: str, message: str) -> None:
    (repo / "mlgate.yaml").write_text(
        f'stages:\n  bad: {{cmd: "{cmd}", outs: [out.txt]}}\n'
        '  after: {cmd: "cp out.txt after.txt", deps: [out.txt], outs: [after.txt]}\n'
        '  other: {cmd: "echo hi > other.txt", outs: [other.txt]}\n'
    )
    by_stage = {r.stage: r for r in _run(repo)}
    bad, after, other = by_stage["bad"], by_stage["after"], by_stage["other"]
    assert bad.status == "failed" and message in bad.detail
    assert after.status == "not-run" and "upstream stage 'bad'" in after.detail
    assert other.status == "not-run" and "--keep-going" in other.detail
    assert read_lock(str(repo / "mlgate.lock"), "bad") is None
    again = {r.stage: r.status for r in _run(repo, keep_going=True)}
    assert again == {"bad": "failed", "after": "not-run", "other": "succeeded"}


def test_outputs_a_stage_overwrites_are_kept_in_the_cache(repo: Path) -> None:
    (repo / "mlgate.yaml").write_text(
        'stages:\n  s: {cmd: "echo new > out.txt", outs: [out.txt]}\n'
    )
    write(repo / "out.txt", "hand-made, never recorded")
    _run(repo)
    with Workspace.for_project(load_project(str(repo))) as ws:
        from mlgate.store import hash_bytes

        assert ws.cache.has(hash_bytes(b"hand-made, never recorded"))


def test_a_missing_dependency_names_the_stage_and_the_fix(repo: Path) -> None:
    (repo / "mlgate.yaml").write_text(
        'stages:\n  s: {cmd: "true", deps: [data/x.csv], outs: [o]}\n'
    )
    with pytest.raises(
        PipelineError, match="stage 's' depends on 'data/x.csv', which does not exist"
    ):
        _plan(repo)


def test_lock_records_of_different_stages_merge_in_git(project: Path) -> None:
    (project / "mlgate.yaml").write_text(
        CONFIG + '  docs: {cmd: "echo v1 > docs.txt", outs: [docs.txt]}\n'
    )
    _run(project)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "v1")
    git(project, "checkout", "-qb", "feature")
    (project / "params.yaml").write_text("scale: 4\n")
    _run(project)
    git(project, "commit", "-qam", "scale 4")
    git(project, "checkout", "-q", "main")
    (project / "mlgate.yaml").write_text(
        CONFIG + '  docs: {cmd: "echo v2 > docs.txt", outs: [docs.txt]}\n'
    )
    _run(project)
    git(project, "commit", "-qam", "docs v2")
    git(project, "merge", "-q", "--no-edit", "feature")  # raises on a conflict
    lock = json.loads((project / "mlgate.lock" / "stages" / "train.json").read_text())
    assert lock["params"] == {"params.yaml:scale": 4}


def test_run_command(cli: Cli, project: Path) -> None:
    dry = cli("run", "--dry")
    assert "run      prepare              never run" in dry.out
    done = cli("run", "-j", "2")
    assert done.code == 0 and "[prepare] prepared" in done.out and "succeeded  report" in done.out
    assert "skipped    train" in cli("run", "train").out
    (project / "mlgate.yaml").write_text('stages:\n  s: {cmd: "exit 5", outs: [o]}\n')
    failed = cli("run")
    assert failed.code == 2 and "exited with 5" in failed.err
    (project / "mlgate.yaml").write_text("stages: {}\n")
    assert "No stages yet" in cli("run").out
    assert os.path.exists(project / "mlgate.lock" / "stages" / "report.json")


def test_a_pipeline_run_is_recorded_in_the_registry(cli: Cli, repo: Path) -> None:
    from mlgate.registry import Registry

    train = (
        "python -c \\\"import json, mlgate; mlgate.log_metrics({'loss': 0.5}, step=1); "
        "json.dump({'auc': 0.9, 'per_class': {'a': 0.8}}, open('metrics.json', 'w')); "
        "open('model.txt', 'w').write('m')\\\""
    )
    (repo / "mlgate.yaml").write_text(
        f'stages:\n  train: {{cmd: "{train}", deps: [params.yaml], params: [params.yaml], '
        "outs: [model.txt], metrics: [metrics.json]}\n"
    )
    (repo / "params.yaml").write_text("C: 1.5\n")
    done = cli("run")
    assert done.code == 0, done.err
    assert "run 1 recorded in the registry" in done.out
    with Registry("sqlite:///.mlgate/registry.db", root=str(repo)) as reg:
        run = reg.run(1)
    assert run.status == "finished" and run.params == {"params.yaml:C": 1.5}
    assert run.metrics == {"loss": 0.5, "auc": 0.9, "per_class.a": 0.8}
    assert {(io.stage, io.role, io.path) for io in run.io} == {
        ("train", "dep", "params.yaml"),
        ("train", "out", "model.txt"),
        ("train", "out", "metrics.json"),
    }
    registered = cli("register", "churn", "model.txt", "--flavor", "python")
    assert registered.code == 0, registered.err
    assert "run      1 'pipeline' finished" in cli("lineage", "churn@1").out  # found by digest
    (repo / "model.txt").unlink()
    restored = cli("run")  # a restore re-uses run 1's result: no new run is recorded
    assert "restored" in restored.out and "recorded in the registry" not in restored.out
    from mlgate.pipeline._records import read_cache

    lock = read_lock(str(repo / "mlgate.lock"), "train")
    assert lock is not None
    entry = read_cache(str(repo / ".mlgate"), lock.key)
    assert entry is not None and entry.run_id == 1
    (repo / "mlgate.yaml").write_text(
        'stages:\n  s: {cmd: "echo", outs: [], metrics: [missing.json]}\n'
    )
    failed = cli("run")
    assert (
        failed.code == 2
        and "declares metrics file 'missing.json', which it did not write" in failed.err
    )
    with Registry("sqlite:///.mlgate/registry.db", root=str(repo)) as reg:
        assert reg.run(2).status == "failed"


def test_a_fresh_runner_restores_from_the_shared_run_cache(
    cli: Cli, project: Path, tmp_path: Path, s3_remote: object
) -> None:
    """CI on a new machine: pull the run cache, and nothing is recomputed."""
    from mlgate.config import RemoteConfig

    assert isinstance(s3_remote, RemoteConfig)
    remote_yaml = (
        f"remote: {{url: {s3_remote.url}, endpoint: '{s3_remote.endpoint}', region: us-east-1}}\n"
    )
    (project / "mlgate.yaml").write_text(remote_yaml + CONFIG)
    assert cli("add", "data/raw.csv").code == 0
    assert cli("run").code == 0
    pushed = cli("push", "--run-cache")
    assert pushed.code == 0 and "pushed 3 run-cache entries" in pushed.out
    assert "pushed 0 run-cache entries" in cli("push", "--run-cache").out
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "pipeline")
    clone = tmp_path / "ci-runner"
    git(tmp_path, "clone", "-q", str(project), str(clone))
    os.chdir(clone)
    (clone / ".mlgate").mkdir()
    pulled = cli("pull", "--run-cache")
    assert pulled.code == 0 and "fetched 3 run-cache entries" in pulled.out, pulled.err
    planned = cli("run", "--dry").out
    assert planned.count("restore") == 3 and "run " not in planned  # predicted from digests
    restored = cli("run")
    assert restored.out.count("restored") == 3 and "succeeded" not in restored.out
    assert (clone / "report.md").read_text() == "222"


def test_status_shows_stages_that_are_not_up_to_date(cli: Cli, project: Path) -> None:
    assert "stage run:    prepare  (never run)" in cli("status").out
    cli("run")
    assert "3 stage(s) up to date" in cli("status").out
    (project / "params.yaml").write_text("scale: 5\n")
    doc = json.loads(cli("status", "--json").out)
    assert doc["stages"][0] == {
        "stage": "train",
        "action": "run",
        "reason": "parameter 'params.yaml:scale' changed from 2 to 5",
    }
    (project / "data" / "raw.csv").unlink()
    assert "pipeline:" in cli("status").out and "does not exist" in cli("status").out


def test_params_and_metrics_against_a_revision(cli: Cli, repo: Path) -> None:
    (repo / "mlgate.yaml").write_text(
        'stages:\n  train: {cmd: "python -c \\"import json, yaml; '
        "s = yaml.safe_load(open('params.yaml'))['lr']; "
        "json.dump({'auc': 0.8 + s, 'n': 10}, open('metrics.json', 'w'))\\\"\", "
        "params: [params.yaml], outs: [], metrics: [metrics.json]}\n"
    )
    (repo / "params.yaml").write_text("lr: 0.1\nbatch: 32\n")
    cli("run")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "baseline")
    assert "No differences." in cli("params", "diff").out
    (repo / "params.yaml").write_text("lr: 0.15\nbatch: 32\n")
    diff = cli("params", "diff", "HEAD").out
    assert "train: params.yaml:lr" in diff and "0.1 -> 0.15" in diff and "(+0.05)" in diff
    cli("run")
    shown = json.loads(cli("metrics", "show", "--json").out)
    assert {m["name"]: m["new"] for m in shown} == pytest.approx(
        {
            "metrics.json:auc": 0.95,
            "metrics.json:n": 10.0,
        }
    )
    md = cli("metrics", "diff", "--md").out
    assert "| metrics.json:auc | 0.9 | 0.95 | +0.05 |" in md
    bad = cli("metrics", "diff", "no-such-rev")
    assert bad.code == 2 and "'no-such-rev' is not a git revision" in bad.err


def test_gc_keeps_pipeline_outputs_and_the_run_cache(cli: Cli, project: Path) -> None:
    assert cli("run").code == 0
    (project / "params.yaml").write_text("scale: 3\n")
    assert cli("run").code == 0
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "scale 3")
    assert "removed 0 object(s)" in cli("gc").out
    assert "removed 0 object(s)" in cli("gc", "--all-commits").out
    (project / "params.yaml").write_text("scale: 2\n")
    restored = cli("run").out  # the scale-2 results survived gc: restored, not recomputed
    assert "restored   train" in restored and "succeeded" not in restored
    assert (project / "report.md").read_text() == "222"
