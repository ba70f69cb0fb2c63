from __future__ import annotations

from pathlib import Path

import pytest

from mlgate import ConfigError, NotARepository
from mlgate.config import (
    RemoteConfig,
    find_root,
    init_project,
    load_config,
    load_project,
    parse_config,
)

VALID = """\
registry: sqlite:///.mlgate/registry.db
remote: {url: s3://bucket/prefix, endpoint: http://127.0.0.1:9000, jobs: 8}
cache: {link: hardlink}
track: [data/raw.csv]
stages:
  prepare:
    cmd: python src/prepare.py
    deps: [data/raw.csv, src/prepare.py]
    outs: [data/train.parquet]
    params: [params.yaml, {params/train.yaml: [lr, epochs]}]
    env: [SEED]
"""


def test_valid_config_parses_into_typed_records() -> None:
    config = parse_config(VALID)
    assert config.cache.link == "hardlink"
    assert config.remote_config == RemoteConfig(
        url="s3://bucket/prefix", endpoint="http://127.0.0.1:9000", jobs=8
    )
    stage = config.stages["prepare"]
    assert stage.deps == ["data/raw.csv", "src/prepare.py"]
    assert stage.params == ["params.yaml", {"params/train.yaml": ["lr", "epochs"]}]
    assert stage.always_run is False


def test_empty_file_gives_defaults() -> None:
    config = parse_config("")
    assert config.registry.startswith("sqlite:///")
    assert config.remote_config is None and config.stages == {}


def test_string_remote_becomes_remote_config() -> None:
    assert parse_config("remote: s3://b/p").remote_config == RemoteConfig(url="s3://b/p")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "stages:\n  train:\n    cmd: 5\n",
            "mlgate.yaml:3: stages.train.cmd: Expected `str`, got `int`",
        ),
        (
            "stages:\n  train:\n    deps: [a]\n",
            "mlgate.yaml:2: stages.train: a stage needs either `cmd` (a command) or `tune` (a study)",
        ),
        (
            "stages:\n  train:\n    cmd: x\n    depz: [a]\n",
            "mlgate.yaml:4: stages.train.depz: unknown key",
        ),
        (
            "cache:\n  link: symlink\n",
            "mlgate.yaml:2: cache.link: Invalid enum value 'symlink'; "
            "expected one of: auto, copy, hardlink",
        ),
        (
            "track:\n  - ok.csv\n  - ../outside.csv\n",
            "mlgate.yaml:3: track[1]: '../outside.csv' contains '..'",
        ),
        ("track: [/etc/passwd]\n", "mlgate.yaml:1: track[0]: '/etc/passwd' is absolute"),
        ("remote: not-a-url\n", "mlgate.yaml:1: remote: 'not-a-url' is not a URL"),
        ("remote: {url: s3://b, jobs: 0}\n", "mlgate.yaml:1: remote.jobs: must be at least 1"),
        ("stages:\n  'bad name!': {cmd: x}\n", "stages.bad name!: stage name"),
        ("stages:\n  t: {cmd: x, outs: [../x]}\n", "mlgate.yaml:2: stages.t.outs[0]"),
        ("- just\n- a list\n", "mlgate.yaml:1: the file must be a mapping"),
        ("cache: {dir: /abs}\n", "cache.dir: '/abs' is absolute"),
        ("deploy: {steps: [50, 10]}\n", "mlgate.yaml:1: deploy.steps: must be increasing"),
        ("deploy: {steps: [0, 150]}\n", "deploy.steps: must be increasing percentages"),
        ("deploy: {step_seconds: 0}\n", "deploy.step_seconds: must be more than 0"),
        ("deploy: {min_requests: 0}\n", "deploy.min_requests: must be at least 1"),
        ("deploy: {p99_ms: -1}\n", "deploy.p99_ms: must be more than 0"),
        ("deploy: {max_prediction_shift: 1.5}\n", "deploy.max_prediction_shift: must lie"),
        ("deploy: {max_prediction_shift: ten}\n", "deploy.max_prediction_shift"),
    ],
)
def test_invalid_config_names_line_key_and_expectation(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("text", "line"),
    [("stages:\n  train: {cmd: x\n", ":3"), ("a: b\n  c: d\n", ":2"), ("key: [unclosed\n", ":2")],
)
def test_malformed_yaml_reports_the_line(text: str, line: str) -> None:
    with pytest.raises(ConfigError, match=f"mlgate.yaml{line}: malformed YAML"):
        parse_config(text)


def test_missing_and_unreadable_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist; run `mlgate init`"):
        load_config(str(tmp_path / "mlgate.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(str(bad))


def test_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mlgate.yaml"
    path.write_text("remote: {url: s3://old/p, endpoint: http://127.0.0.1:1}\n")
    monkeypatch.setenv("MLGATE_REMOTE", "s3://new/p")
    monkeypatch.setenv("MLGATE_REGISTRY", "postgresql+psycopg://u@127.0.0.1/test")
    config = load_config(str(path))
    assert config.remote_config == RemoteConfig(url="s3://new/p", endpoint="http://127.0.0.1:1")
    assert config.registry == "postgresql+psycopg://u@127.0.0.1/test"
    path.write_text("")
    assert load_config(str(path)).remote_config == RemoteConfig(url="s3://new/p")


def test_find_root_walks_up_and_fails_clearly(tmp_path: Path) -> None:
    init_project(str(tmp_path))
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_root(str(deep)) == str(tmp_path)
    assert load_project(str(deep)).root == str(tmp_path)
    outside = tmp_path.parent / "elsewhere"
    outside.mkdir()
    with pytest.raises(NotARepository, match="run `mlgate init`"):
        find_root(str(outside))


def test_init_is_idempotent_and_keeps_user_config(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.pyc")  # no trailing newline
    first = init_project(str(tmp_path))
    assert first.wrote_config and first.gitignore_added == ("/.mlgate/",)
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n/.mlgate/\n"
    (tmp_path / "mlgate.yaml").write_text("track: [x]\n")
    again = init_project(str(tmp_path))
    assert not again.wrote_config and again.gitignore_added == ()
    assert (tmp_path / "mlgate.yaml").read_text() == "track: [x]\n"
    assert init_project(str(tmp_path), force=True).wrote_config
    assert parse_config((tmp_path / "mlgate.yaml").read_text()).track == []
    assert (tmp_path / ".mlgate").is_dir()


def test_init_on_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a directory"):
        init_project(str(tmp_path / "nope"))


def _age(path: Path) -> None:
    """Make a file look old, so the config cache does not treat it as racy."""
    import os

    old = path.stat().st_mtime_ns - 10**10
    os.utime(path, ns=(old, old))


def test_parsed_config_is_cached_until_the_file_changes(tmp_path: Path) -> None:
    init_project(str(tmp_path))
    config_file = tmp_path / "mlgate.yaml"
    config_file.write_text("track: [a.csv]\n")
    _age(config_file)
    assert load_project(str(tmp_path)).config.track == ["a.csv"]
    cache = tmp_path / ".mlgate" / "config.cache"
    assert cache.exists()
    assert load_project(str(tmp_path)).config.track == ["a.csv"]  # from the cache
    config_file.write_text("track: [b.csv]\n")
    assert load_project(str(tmp_path)).config.track == ["b.csv"]
    config_file.write_text("track: oops\n")
    with pytest.raises(ConfigError, match="track: Expected `array`"):
        load_project(str(tmp_path))
    config_file.write_text("track: [c.csv]\n")
    _age(config_file)
    cache.write_bytes(b"\x00garbage")
    assert load_project(str(tmp_path)).config.track == ["c.csv"]


def test_cached_config_still_takes_environment_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_project(str(tmp_path))
    _age(tmp_path / "mlgate.yaml")
    load_project(str(tmp_path))
    monkeypatch.setenv("MLGATE_REMOTE", "s3://env/p")
    assert load_project(str(tmp_path)).config.remote_config == RemoteConfig(url="s3://env/p")
