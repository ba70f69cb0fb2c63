from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result

Cli = Callable[..., Result]

STAGES = """
stages:
  prepare: {cmd: p, deps: [data/raw.csv], outs: [data/clean.csv]}
  train: {cmd: t, deps: [data/clean.csv], outs: [models/m.bin]}
  report: {cmd: r, deps: [models/m.bin], outs: [report.md]}
"""


def test_dag_in_three_forms(cli: Cli, repo: Path) -> None:
    assert "No stages yet" in cli("dag").out
    (repo / "mlgate.yaml").write_text(STAGES)
    assert cli("dag").out.splitlines() == ["prepare", "train  <- prepare", "report  <- train"]
    assert json.loads(cli("dag", "train", "--json").out) == {"prepare": [], "train": ["prepare"]}
    assert '"train" -> "report";' in cli("dag", "--dot").out
    assert "report" in cli("dag", "train", "--downstream").out


def test_dag_errors(cli: Cli, repo: Path) -> None:
    (repo / "mlgate.yaml").write_text(STAGES)
    unknown = cli("dag", "trian")
    assert unknown.code == 2 and "no stage named 'trian'" in unknown.err
    (repo / "mlgate.yaml").write_text(
        "stages:\n  a: {cmd: x, deps: [b.out], outs: [a.out]}\n  b: {cmd: y, deps: [a.out], outs: [b.out]}\n"
    )
    cycle = cli("dag")
    assert cycle.code == 2 and "the stages form a cycle" in cycle.err
