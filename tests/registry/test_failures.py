"""Bad input for the registry: unreachable or refusing databases, foreign schemas,
and 8 processes moving one alias at once."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlgate import AliasConflict, RegistryUnavailable, SchemaMismatch
from mlgate.registry import Registry
from tests.conftest import free_port


def _sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    with Registry(url, check=False) as reg:
        reg.upgrade()
    return url


def test_unreachable_database() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    with pytest.raises(RegistryUnavailable, match="cannot reach the registry .*database server"):
        Registry(url)


def test_wrong_credentials(postgres: None) -> None:
    url = "postgresql+psycopg://no_such_user:secret@127.0.0.1:5432/test"
    with pytest.raises(RegistryUnavailable, match="refused the credentials") as info:
        Registry(url)
    assert "secret" not in str(info.value)  # passwords never reach messages


@pytest.mark.parametrize(
    ("url", "message"),
    [("mysql://x@y/z", "not supported"), ("postgresql+nosuchdriver://x@y/z", "not valid")],
)
def test_unsupported_or_malformed_urls(url: str, message: str) -> None:
    with pytest.raises(RegistryUnavailable, match=message):
        Registry(url)


def test_a_schema_from_a_newer_mlgate(tmp_path: Path) -> None:
    url = _sqlite_url(tmp_path)
    with sqlite3.connect(tmp_path / "registry.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
    with pytest.raises(SchemaMismatch, match="written by a newer mlgate. Upgrade mlgate"):
        Registry(url)
    with pytest.raises(SchemaMismatch, match="newer mlgate"), Registry(url, check=False) as reg:
        reg.upgrade()


def test_a_schema_older_than_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _sqlite_url(tmp_path)
    with sqlite3.connect(tmp_path / "registry.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0000_previous'")
    from mlgate.registry import _engine

    monkeypatch.setattr(_engine, "known_revisions", lambda: ["0000_previous", "0002_runs"])
    with pytest.raises(SchemaMismatch, match="older than this mlgate's.*`mlgate registry upgrade`"):
        Registry(url)


def test_an_unopenable_sqlite_path(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(RegistryUnavailable, match="cannot create .*file for the registry"):
        Registry(f"sqlite:///{tmp_path / 'file' / 'registry.db'}")


def _mover(url: str, seed: int | str, attempts: int | str) -> int:
    """Move the alias `attempts` times by compare-and-set; returns the moves that won."""
    rng = random.Random(int(seed))
    won = 0
    with Registry(url) as reg:
        for _ in range(int(attempts)):
            current = reg.alias("m", "production")
            target = rng.choice([v for v in (1, 2, 3) if v != current])
            try:
                reg.set_alias("m", "production", target, expected=current, reason=f"p{seed}")
                won += 1
            except AliasConflict:
                pass
    return won


def _race(url: str) -> None:
    with Registry(url) as reg:
        for _ in range(3):
            reg.register("m", artifact_digest="a" * 64, flavor="sklearn")
        reg.set_alias("m", "production", 1, expected=None, reason="start")
    wins = _run_movers(url, processes=8, attempts=12)
    with Registry(url) as reg:
        events = reg.history("m", "production")
        assert len(events) == 1 + sum(wins)  # exactly the moves that won
        for before, after in zip(events, events[1:], strict=False):
            assert after.from_version == before.to_version  # no lost update
        assert reg.alias("m", "production") == events[-1].to_version
    assert sum(wins) >= 8  # every process got some moves in


def _run_movers(url: str, *, processes: int, attempts: int, timeout: float = 180.0) -> list[int]:
    """Start ``processes`` separate interpreters running :func:`_mover` at once.

    Plain processes rather than a multiprocessing pool: a pool waits forever for the
    result of a worker that died or hung, while these are killed after ``timeout``
    seconds and their output is shown.
    """
    code = (
        "import faulthandler, sys;"  # a hung mover prints where it hangs, then exits
        f"faulthandler.dump_traceback_later({timeout - 15}, exit=True);"
        "from tests.registry.test_failures import _mover; print(_mover(*sys.argv[1:]))"
    )
    root = Path(__file__).resolve().parents[2]
    movers = [
        subprocess.Popen(
            [sys.executable, "-c", code, url, str(seed), str(attempts)],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(processes)
    ]
    deadline = time.monotonic() + timeout
    outputs: list[tuple[int | None, str, str]] = []
    try:
        for mover in movers:
            try:
                out, err = mover.communicate(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                mover.kill()
                out, err = mover.communicate()
            outputs.append((mover.returncode, out, err))
    finally:
        for mover in movers:
            mover.kill()
            mover.wait()
    failed = [f"exit {rc}:\n{err}" for rc, _, err in outputs if rc != 0]
    assert not failed, f"{len(failed)} of {processes} movers failed or hung:\n" + "\n".join(failed)
    return [int(out.split()[-1]) for _, out, _ in outputs]


def test_eight_processes_move_one_alias_on_sqlite(tmp_path: Path) -> None:
    _race(_sqlite_url(tmp_path))


def test_eight_processes_move_one_alias_on_postgres(pg_database: str) -> None:
    with Registry(pg_database, check=False) as reg:
        reg.upgrade()
    _race(pg_database)
