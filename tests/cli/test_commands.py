"""Every command through the real CLI entry point: output, exit codes, bad input."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result, run_mlgate, write

Cli = Callable[..., Result]


def test_version_and_help(cli: Cli) -> None:
    assert cli("--version").out.startswith("mlgate, version")
    result = cli("--help")
    assert result.code == 0 and "add" in result.out and "demo" in result.out
    unknown = cli("frobnicate")
    assert unknown.code == 2 and "No such command" in unknown.err


def test_init_then_data_lifecycle(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = cli("init")
    assert first.code == 0 and "Wrote" in first.out and "/.mlgate/" in first.out
    assert "Kept the existing" in cli("init").out
    write(tmp_path / "data" / "raw.csv", "a\n1\n")
    write(tmp_path / "data" / "imgs" / "1.bin", "1")
    added = cli("add", "data/raw.csv", "data/imgs", "-q")
    assert added.code == 0
    assert "updated: data/raw.csv" in added.out and "data/imgs (1 files" in added.out
    assert "Up to date: 2 tracked path(s)" in cli("status").out

    write(tmp_path / "data" / "imgs" / "2.bin", "2")
    (tmp_path / "data" / "raw.csv").unlink()
    shown = cli("status")
    assert "modified:" in shown.out and "added: 2.bin" in shown.out and "missing:" in shown.out
    doc = json.loads(cli("status", "--json").out)["paths"]
    assert {d["path"]: d["state"] for d in doc} == {
        "data/imgs": "modified",
        "data/raw.csv": "missing",
    }
    conflict = cli("checkout")
    assert conflict.code == 2 and "data/imgs/2.bin" in conflict.err and "--force" in conflict.err
    restored = cli("checkout", "data/raw.csv")
    assert "restored: data/raw.csv" in restored.out
    assert "restored: data/imgs" in cli("checkout", "--force", "-q").out
    assert "Nothing to do" in cli("checkout").out

    remote = (tmp_path / "remote").as_uri()
    assert "pushed 3 object(s)" in cli("push", "--remote", remote, "-j", "4").out
    assert "fetched 0 object(s)" in cli("fetch", "--remote", remote).out
    assert "checked out 2 path(s)" in cli("pull", "--remote", remote).out
    assert "removed 0 object(s)" in cli("gc").out
    assert "would remove 0" in cli("gc", "--dry-run").out
    assert "untracked: data/imgs" in cli("remove", "data/imgs").out
    assert "removed 2 object(s)" in cli("gc").out


def test_remote_from_config_with_jobs_default(cli: Cli, repo: Path, tmp_path: Path) -> None:
    (repo / "mlgate.yaml").write_text(f"remote: {(tmp_path / 'r').as_uri()}\n")
    write(repo / "x", "x")
    cli("add", "x")
    assert "pushed 1 object(s)" in cli("push").out


@pytest.mark.parametrize(
    ("args", "setup", "message"),
    [
        (("status",), "", "no mlgate.yaml in"),
        (("add", "missing.csv"), "init", "'missing.csv' does not exist"),
        (("add", "../escape"), "init", "is outside the repository"),
        (("add",), "init", "no path given"),
        (("push",), "init", "no remote is configured"),
        (("push", "--remote", "ftp://x/y"), "init", "unsupported remote URL"),
        (("status",), "bad-yaml", "mlgate.yaml:3: malformed YAML"),
        (("status",), "bad-type", "mlgate.yaml:1: track: Expected `array`, got `str`"),
        (("status", "nope"), "init", "'nope' is not tracked"),
        (("gc", "--all-commits"), "init", "needs a git repository"),
    ],
)
def test_errors_exit_2_with_a_message_and_no_traceback(
    args: tuple[str, ...], setup: str, message: str, tmp_path: Path
) -> None:
    if setup:
        run_mlgate("init", cwd=tmp_path)
    if setup == "bad-yaml":
        (tmp_path / "mlgate.yaml").write_text("stages:\n  train: {cmd: [unclosed\n")
        assert "a flow sequence that starts at line 2" in run_mlgate("status", cwd=tmp_path).err
    if setup == "bad-type":
        (tmp_path / "mlgate.yaml").write_text("track: data.csv\n")
    result = run_mlgate(*args, cwd=tmp_path)
    assert result.code == 2, result
    assert message in result.err
    assert result.err.startswith("error: ") and "Traceback" not in result.err


def test_bad_option_values_are_usage_errors(cli: Cli, repo: Path) -> None:
    result = cli("push", "-j", "0")
    assert result.code == 2 and "-j" in result.err


def test_progress_bars_render_on_a_terminal() -> None:
    from io import StringIO

    from rich.console import Console

    from mlgate.cli._output import RichProgress, human_bytes, progress_for
    from mlgate.store import NO_PROGRESS

    progress = RichProgress()
    progress.console = Console(file=StringIO(), force_terminal=True, width=80)
    with progress.task("add data", 2048, "bytes") as advance:
        advance(1024)
    with progress.task("push", 3, "objects") as advance:
        advance(3)
    assert progress_for(quiet=True) is NO_PROGRESS
    assert progress_for(quiet=False) is NO_PROGRESS  # stderr is not a terminal under pytest
    assert [human_bytes(n) for n in (5, 2048, 3 << 20, 5 << 30)] == [
        "5 B",
        "2.0 KiB",
        "3.0 MiB",
        "5.0 GiB",
    ]


@pytest.mark.slow
def test_demo_runs_end_to_end_and_keeps_its_project(tmp_path: Path) -> None:
    keep = tmp_path / "demo"
    result = run_mlgate("demo", "--keep", str(keep), cwd=tmp_path, timeout=300)
    assert result.code == 0, result.err + result.out
    assert "Done" in result.out and "`mlgate ui` there shows it" in result.out
    assert (keep / "churn" / "mlgate.lock" / "paths" / "data" / "customers.csv.json").exists()
    from mlgate.registry import Registry

    with Registry("sqlite:///.mlgate/registry.db", root=str(keep / "churn")) as reg:
        assert [v.version for v in reg.versions("churn")] == [1, 2, 3]
        assert reg.alias("churn", "production") == 1  # rolled back at the end
        events = {e.kind: e for e in reg.deploy_events("churn")}
        assert events["rollout-promoted"].version == 2
        aborted = events["rollout-aborted"]  # the forced v3: no errors, shifted predictions
        assert aborted.version == 3 and "a shift of at least" in aborted.message, aborted.message
        assert reg.gate_reports("churn", 3)[0].passed is False
        assert [e.to_version for e in reg.history("churn")] == [1, 2, 1]
    servers = subprocess.run(
        ["pgrep", "-f", "mlgate serve churn"], capture_output=True, text=True, check=False
    )
    assert servers.stdout.strip() == ""  # it stopped its server
    again = run_mlgate("demo", "--keep", str(keep), cwd=tmp_path)
    assert again.code == 2 and "is not empty" in again.err
