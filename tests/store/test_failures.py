"""A full disk, a read-only cache and a killed `mlgate add`: clear errors, nothing lost."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlgate import StoreError
from mlgate.config import load_project
from mlgate.store import Workspace, hash_file, status
from mlgate.store._digest import LARGE_FILE
from tests.conftest import run_mlgate, write
from tests.store.conftest import tmpfs


@pytest.fixture
def full_cache(repo: Path) -> Iterator[Path]:
    """The repository's cache directory on a 1 MiB tmpfs."""
    with tmpfs(repo / ".mlgate" / "cache") as cache:
        yield cache


@pytest.mark.parametrize("size", [2 << 20, LARGE_FILE + 1])
def test_disk_full_during_add_keeps_the_previous_version(
    repo: Path, full_cache: Path, size: int
) -> None:
    ws = Workspace.for_project(load_project(str(repo)))
    f = write(repo / "model.bin", b"v1")
    ws.add(["model.bin"])
    pointer_file = repo / "mlgate.lock" / "paths" / "model.bin.json"
    before = pointer_file.read_bytes()
    write(f, os.urandom(size))
    with pytest.raises(StoreError, match="disk is full.*Nothing was recorded"):
        ws.add(["model.bin"])
    assert pointer_file.read_bytes() == before
    for digest in ws.cache.iter_digests():
        assert ws.cache.verify(digest)
    assert os.listdir(full_cache / "tmp") == []


def test_read_only_cache_is_reported_with_the_fix(repo: Path) -> None:
    write(repo / "a.csv", "a")
    cache = repo / ".mlgate" / "cache"
    cache.mkdir(parents=True)
    subprocess.run(["chattr", "+i", str(cache)], check=True)
    try:
        result = run_mlgate("add", "a.csv", cwd=repo)
    finally:
        subprocess.run(["chattr", "-i", str(cache)], check=True)
    assert result.code == 2
    assert "permission denied" in result.err and "make the directory writable" in result.err
    assert "Traceback" not in result.err
    assert not (repo / "mlgate.lock").exists()


def _write_gib(path: Path) -> str:
    """1 GiB of incompressible data, fast: a random MiB, varied per block."""
    block = bytearray(os.urandom(1 << 20))
    digest = hashlib.sha256()
    with path.open("wb") as fh:
        for i in range(1024):
            block[:8] = i.to_bytes(8, "little")
            fh.write(block)
            digest.update(block)
    return digest.hexdigest()


@pytest.mark.slow
def test_sigkill_during_add_of_a_1_gib_file(repo: Path) -> None:
    big = repo / "big.bin"
    expected = _write_gib(big)
    ws = Workspace.for_project(load_project(str(repo)))
    cmd = [sys.executable, "-m", "mlgate", "add", "big.bin", "-q"]
    for delay in (0.2, 0.6, 1.5, 3.0):
        proc = subprocess.Popen(cmd, cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # only whole, correct objects; the pointer (if any) names a good object
        for digest in ws.cache.iter_digests():
            assert hash_file(ws.cache.path(digest)) == digest
        pointer = ws.pointers.get("big.bin")
        if pointer is not None:
            assert ws.cache.verify(pointer.digest)  # type: ignore[arg-type]
        # the user's file is untouched, whatever the moment of the kill
        with big.open("rb") as fh:
            assert hashlib.file_digest(fh, "sha256").hexdigest() == expected
    result = run_mlgate("add", "big.bin", "-q", cwd=repo, timeout=300)
    assert result.code == 0, result.err
    assert [s.state for s in status(ws)] == ["ok"]
    obj = ws.cache.path(ws.pointers.get("big.bin").digest)  # type: ignore[union-attr,arg-type]
    assert os.stat(obj).st_ino != os.stat(big).st_ino
    shutil.rmtree(repo)  # 2 GiB; pytest would keep it for three sessions


def test_a_held_lock_times_out_with_a_clear_message(repo: Path) -> None:
    import fcntl

    from mlgate import LockTimeout
    from mlgate.store._lock import repo_lock

    state = repo / ".mlgate"
    holder = os.open(state / "lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # as a running `mlgate gc` would
    try:
        with pytest.raises(LockTimeout, match="another mlgate process"):
            with repo_lock(str(state), exclusive=False, timeout=0.2):
                pass
    finally:
        os.close(holder)
    with repo_lock(str(state), exclusive=True, timeout=0.2):
        pass


def test_large_file_with_the_cache_on_another_filesystem(repo: Path) -> None:
    with tmpfs(repo / ".mlgate" / "cache", size="64m"):
        ws = Workspace.for_project(load_project(str(repo)))
        payload = os.urandom(LARGE_FILE + 5)
        big = write(repo / "big.bin", payload)
        [r] = ws.add(["big.bin"])  # no hard link across filesystems: copy, fsync, verify
        assert ws.cache.verify(r.pointer.digest)  # type: ignore[arg-type]
        assert os.stat(ws.cache.path(r.pointer.digest)).st_ino != os.stat(big).st_ino  # type: ignore[arg-type]
        big.unlink()
        from mlgate.store import checkout

        checkout(ws)
        assert big.read_bytes() == payload
