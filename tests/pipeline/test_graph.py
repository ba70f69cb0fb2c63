from __future__ import annotations

import pytest

from mlgate import PipelineError
from mlgate.config import parse_config
from mlgate.pipeline import Pipeline

DIAMOND = """
stages:
  prepare: {cmd: p, deps: [data/raw.csv], outs: [data/clean]}
  features: {cmd: f, deps: [data/clean/a.csv], outs: [data/features.parquet]}
  stats: {cmd: s, deps: [data/clean], outs: [reports/stats.json]}
  train: {cmd: t, deps: [data/features.parquet, reports/stats.json], outs: [models/m.bin]}
  docs: {cmd: d, deps: [README.md], outs: [site]}
"""


def _pipeline(text: str) -> Pipeline:
    return Pipeline.build(parse_config(text).stages)


def test_a_diamond_is_ordered_and_connected_through_paths() -> None:
    p = _pipeline(DIAMOND)
    assert p.order == ("prepare", "docs", "features", "stats", "train")
    assert p.upstream["features"] == {"prepare"}  # a file inside the output directory
    assert p.upstream["train"] == {"features", "stats"}
    assert p.downstream["prepare"] == {"features", "stats"}
    assert p.select(["train"]) == ("prepare", "features", "stats", "train")
    assert p.select(["stats"], downstream=True) == ("prepare", "stats", "train")
    assert p.select() == p.order


def test_unknown_stage_names_list_the_known_ones() -> None:
    with pytest.raises(PipelineError, match="no stage named 'trian'; stages: prepare, features"):
        _pipeline(DIAMOND).select(["trian"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "stages:\n  a: {cmd: x, outs: [o.csv]}\n  b: {cmd: y, outs: [o.csv]}\n",
            "stages 'a' and 'b' both write 'o.csv'",
        ),
        (
            "stages:\n  a: {cmd: x, outs: [data]}\n  b: {cmd: y, outs: [data/x.csv]}\n",
            "stages 'a' and 'b' both write 'data' (and 'data/x.csv')",
        ),
        (
            "stages:\n  a: {cmd: x, deps: [m.bin], outs: [m.bin]}\n",
            "stage 'a' lists 'm.bin' as an output and 'm.bin' as a dependency",
        ),
        (
            "stages:\n  a: {cmd: x, deps: [b.out], outs: [a.out]}\n"
            "  b: {cmd: y, deps: [c.out], outs: [b.out]}\n  c: {cmd: z, deps: [a.out], outs: [c.out]}\n",
            "the stages form a cycle: 'a' -> 'b' -> 'c' -> 'a'",
        ),
    ],
)
def test_invalid_graphs_name_the_stages_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(PipelineError) as info:
        _pipeline(text)
    assert message in str(info.value)
    assert "mlgate.yaml" in str(info.value) or "Split it into two stages" in str(info.value)
