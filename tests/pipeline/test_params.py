from __future__ import annotations

from pathlib import Path

import pytest

from mlgate import PipelineError
from mlgate.config import Stage
from mlgate.pipeline import read_params


def _stage(*params: str | dict[str, list[str]]) -> Stage:
    return Stage(cmd="x", params=list(params))


def test_whole_files_and_dotted_keys_in_three_formats(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text("lr: 0.1\ntrain:\n  epochs: 3\n  layers: [64, 32]\n")
    (tmp_path / "best.json").write_text('{"C": 2.5, "kernel": "rbf"}')
    (tmp_path / "cfg.toml").write_text("[model]\ndepth = 4\n")
    values = read_params(
        str(tmp_path),
        "train",
        _stage("best.json", {"params.yaml": ["lr", "train.epochs"]}, {"cfg.toml": ["model.depth"]}),
    )
    assert values == {
        "best.json:C": 2.5,
        "best.json:kernel": "rbf",
        "params.yaml:lr": 0.1,
        "params.yaml:train.epochs": 3,
        "cfg.toml:model.depth": 4,
    }


@pytest.mark.parametrize(
    ("name", "content", "entry", "message"),
    [
        ("p.yaml", None, "p.yaml", "reads parameters from 'p.yaml', which does not exist"),
        ("p.yaml", "a: [1,\n", "p.yaml", "'p.yaml' is not valid YAML"),
        ("p.json", "{oops", "p.json", "'p.json' is not valid JSON"),
        ("p.toml", "= 1", "p.toml", "'p.toml' is not valid TOML"),
        ("p.yaml", "- a list\n", "p.yaml", "must hold a mapping"),
        ("p.ini", "a=1", "p.ini", "unknown format"),
        ("p.yaml", "a: 1\n", {"p.yaml": ["b.c"]}, "selects parameter 'b.c' from 'p.yaml', which"),
        ("p.yaml", "a: 1\n", "../p.yaml", "contains '..'"),
    ],
)
def test_bad_params_files(
    tmp_path: Path, name: str, content: str | None, entry: str | dict[str, list[str]], message: str
) -> None:
    if content is not None:
        (tmp_path / name).write_text(content)
    with pytest.raises(PipelineError, match="stage 'train'") as info:
        read_params(str(tmp_path), "train", _stage(entry))
    assert message in str(info.value)


def test_parsed_yaml_params_are_cached_until_the_file_changes(tmp_path: Path) -> None:
    import os

    params = tmp_path / "params.yaml"
    params.write_text("lr: 0.1\nwhen: 2026-01-02\n")
    old = params.stat().st_mtime_ns - 10**10
    os.utime(params, ns=(old, old))
    first = read_params(str(tmp_path), "train", _stage("params.yaml"))
    assert not (tmp_path / ".mlgate" / "params-cache").exists()  # a date does not round-trip
    params.write_text("lr: 0.1\nbatch: 32\n")
    os.utime(params, ns=(old, old))
    assert read_params(str(tmp_path), "train", _stage("params.yaml")) == {
        "params.yaml:lr": 0.1,
        "params.yaml:batch": 32,
    }
    assert len(list((tmp_path / ".mlgate" / "params-cache").iterdir())) == 1
    assert read_params(str(tmp_path), "train", _stage("params.yaml"))["params.yaml:batch"] == 32
    params.write_text("lr: 0.2\nbatch: 64\n")  # new stat: parsed again
    assert read_params(str(tmp_path), "train", _stage("params.yaml"))["params.yaml:batch"] == 64
    assert first["params.yaml:when"] is not None
