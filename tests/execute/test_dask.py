"""Stages on a Dask cluster produce what a local run produces, through the remote store
and without a shared disk."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from mlgate.config import RemoteConfig, init_project
from tests.conftest import Result, free_port

PREPARE = """\
import yaml
scale = yaml.safe_load(open("params.yaml"))["prepare"]["scale"]
rows = [line.strip().split(",") for line in open("data/raw.csv")][1:]
with open("work/clean.csv", "w") as out:
    for name, value in rows:
        out.write(f"{name},{int(value) * scale}\\n")
print("prepared", len(rows), "rows")
"""

COMBINE = """\
import json, os
left = open("left.txt").read().splitlines()
parts = sorted(os.listdir("right"))
with open("model.bin", "wb") as out:
    out.write("\\n".join(left).encode() + b"|" + b",".join(p.encode() for p in parts))
json.dump({"rows": len(left), "parts": len(parts)}, open("metrics.json", "w"))
"""

PIPELINE = """\
stages:
  prepare:
    cmd: python prepare.py
    deps: [prepare.py, data/raw.csv]
    params: [{params.yaml: [prepare.scale]}]
    outs: [work/clean.csv]
  left:
    cmd: sort -t, -k2 -n work/clean.csv > work/left.txt && echo left sorted
    deps: [work/clean.csv]
    outs: [work/left.txt]
  right:
    cmd: mkdir -p work/right && head -n 2 work/clean.csv > work/right/a && tail -n 1 work/clean.csv > work/right/b && echo "seed=$SEED"
    deps: [work/clean.csv]
    env: [SEED]
    outs: [work/right/]
  combine:
    cmd: python ../combine.py
    wdir: work
    deps: [combine.py, work/left.txt, work/right/]
    outs: [work/model.bin]
    metrics: [work/metrics.json]
"""


def make_project(root: Path, extra: str = "") -> Path:
    root.mkdir()
    init_project(str(root))
    (root / "mlgate.yaml").write_text(extra + PIPELINE)
    (root / "prepare.py").write_text(PREPARE)
    (root / "combine.py").write_text(COMBINE)
    (root / "params.yaml").write_text("prepare:\n  scale: 3\nunused: 1\n")
    (root / "data").mkdir()
    (root / "data" / "raw.csv").write_text("name,value\nb,2\na,5\nc,1\n")
    (root / "work").mkdir()
    return root


def remote_block(remote: RemoteConfig) -> str:
    return (
        f"remote:\n  url: {remote.url}\n  endpoint: {remote.endpoint}\n  region: us-east-1\n"
        "  timeout: 10\n"
    )


def outputs(root: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for top in ("work", "mlgate.lock/stages"):
        for path in sorted((root / top).rglob("*")):
            if path.is_file() and path.name != ".gitignore":  # its order is the finishing order
                found[str(path.relative_to(root))] = path.read_bytes()
    return found


def test_a_diamond_on_two_dask_workers_matches_a_local_run(
    cli: Callable[..., Result],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    s3_remote: RemoteConfig,
    dask_scheduler: str,
) -> None:
    monkeypatch.setenv("SEED", "7")
    local = make_project(tmp_path / "local")
    monkeypatch.chdir(local)
    assert cli("add", "data/raw.csv").code == 0
    done = cli("run", "-j", "2")
    assert done.code == 0, done.err

    remote = make_project(
        tmp_path / "remote", remote_block(s3_remote) + f"executor:\n  dask: {dask_scheduler}\n"
    )
    monkeypatch.chdir(remote)
    assert cli("add", "data/raw.csv").code == 0
    done = cli("run", "-j", "2")
    assert done.code == 0, done.out + done.err
    # Output streams back from the workers, prefixed with the stage.
    assert "[prepare] prepared 3 rows" in done.out
    assert "[right] seed=7" in done.out
    assert "[left] left sorted" in done.out
    assert outputs(remote) == outputs(local)
    assert len(outputs(local)) == 10  # 6 output files (work/right/ holds 2) and 4 lock records
    ignored = [set((root / "work" / ".gitignore").read_text().split()) for root in (local, remote)]
    assert ignored[0] == ignored[1] == {"/clean.csv", "/left.txt", "/right", "/model.bin"}

    # Everything is up to date now, and the pipeline's records say so.
    again = cli("run", "--dry")
    assert again.out.count("skip") == 4

    # The workers really worked elsewhere: each keeps objects in its own cache.
    from distributed import Client

    def cached_objects(dask_worker: object) -> int:
        base = os.path.join(dask_worker.local_directory, "mlgate", "cache")  # type: ignore[attr-defined]
        return sum(len(files) for _, _, files in os.walk(base))

    with Client(dask_scheduler, set_as_default=False) as client:
        counts = client.run(cached_objects)
    assert len(counts) == 2 and sum(counts.values()) > 0


def test_a_stage_on_dask_sees_only_what_it_declares(
    cli: Callable[..., Result],
    repo: Path,
    s3_remote: RemoteConfig,
    dask_scheduler: str,
) -> None:
    (repo / "mlgate.yaml").write_text(
        remote_block(s3_remote)
        + "stages:\n  peek:\n    cmd: cat secret.txt > out.txt\n    outs: [out.txt]\n"
    )
    (repo / "secret.txt").write_text("only here\n")
    done = cli("run", "--executor", dask_scheduler)
    assert done.code == 2
    assert "stage 'peek' failed: `cat secret.txt > out.txt` exited with 1" in done.err
    assert "[peek]" in done.out and "secret.txt" in done.out
    assert not (repo / "mlgate.lock" / "stages" / "peek.json").exists()

    (repo / "mlgate.yaml").write_text(
        remote_block(s3_remote)
        + "stages:\n  peek:\n    cmd: cat secret.txt > out.txt\n    deps: [secret.txt]\n    outs: [out.txt]\n"
    )
    done = cli("run", "--executor", dask_scheduler)
    assert done.code == 0, done.err
    assert (repo / "out.txt").read_text() == "only here\n"


@pytest.mark.parametrize(
    ("cmd", "message"),
    [
        ("kill -9 $$", "stage 'bad' was killed by SIGKILL"),
        ("echo nothing", "stage 'bad' declares output 'out.txt', which it did not write"),
        ("exit 3", "`exit 3` exited with 3"),
    ],
)
def test_a_failing_stage_on_dask_changes_nothing(
    cli: Callable[..., Result],
    repo: Path,
    s3_remote: RemoteConfig,
    dask_scheduler: str,
    cmd: str,
    message: str,
) -> None:
    (repo / "mlgate.yaml").write_text(
        remote_block(s3_remote) + f"stages:\n  bad:\n    cmd: {cmd}\n    outs: [out.txt]\n"
    )
    (repo / "out.txt").write_text("previous\n")
    done = cli("run", "--executor", dask_scheduler)
    assert done.code == 2
    assert message in done.err
    assert not (repo / "mlgate.lock" / "stages" / "bad.json").exists()
    # The previous output went into the cache before the stage ran.
    assert cli("status").code == 0


def test_an_unreachable_scheduler_is_a_clear_error(
    cli: Callable[..., Result], repo: Path, file_remote: RemoteConfig
) -> None:
    port = free_port()
    (repo / "mlgate.yaml").write_text(
        f"remote: {file_remote.url}\nexecutor:\n  dask: tcp://127.0.0.1:{port}\n"
        "  connect_timeout: 1\nstages:\n  s:\n    cmd: echo hi > out.txt\n    outs: [out.txt]\n"
    )
    done = cli("run")
    assert done.code == 2
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in done.err
    assert "--executor local" in done.err
    assert not (repo / "mlgate.lock" / "stages" / "s.json").exists()
    # Planning needs no scheduler, and `--executor local` overrides the config.
    assert cli("run", "--dry").code == 0
    done = cli("run", "--executor", "local")
    assert done.code == 0, done.err


def test_dask_needs_a_remote_and_a_valid_executor(
    cli: Callable[..., Result], repo: Path, dask_scheduler: str
) -> None:
    (repo / "mlgate.yaml").write_text(
        "stages:\n  s:\n    cmd: echo hi > out.txt\n    outs: [out.txt]\n"
    )
    done = cli("run", "--executor", dask_scheduler)
    assert done.code == 2
    assert "needs a remote store that its workers can reach" in done.err
    done = cli("run", "--executor", "bogus")
    assert done.code == 2
    assert "unknown executor 'bogus'" in done.err
    (repo / "mlgate.yaml").write_text("executor:\n  dask: 5\n")
    done = cli("status")
    assert done.code == 2
    assert "mlgate.yaml:2: executor.dask: Expected `str`, got `int`" in done.err
    (repo / "mlgate.yaml").write_text("executor: remote\n")
    done = cli("status")
    assert done.code == 2
    assert (
        "mlgate.yaml:1: executor: Invalid enum value 'remote'; expected one of: local, {dask: ..., connect_timeout: ...}"
        in done.err
    )
