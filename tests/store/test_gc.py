from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlgate import PathError
from mlgate.config import load_project
from mlgate.store import Workspace, checkout, gc, hash_bytes
from tests.conftest import git, write


def test_gc_keeps_the_workspace_and_optionally_history(repo: Path) -> None:
    ws = Workspace.for_project(load_project(str(repo)))
    git(repo, "init", "-q")
    write(repo / "d" / "a", "a1")
    write(repo / "d" / "b", "b")
    ws.add(["d"])
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "v1")
    write(repo / "d" / "a", "a2")
    ws.add(["d"])
    git(repo, "commit", "-qam", "v2")
    write(repo / "d" / "a", "a3")  # v3 recorded but never committed
    ws.add(["d"])
    before = set(ws.cache.iter_digests())
    assert len(before) == 7  # a1 a2 a3 b + 3 manifests

    historical = gc(ws, all_commits=True)
    assert historical.removed == 0 and historical.kept == 7
    dry = gc(ws, dry_run=True)
    assert dry.removed == 4 and dry.freed > 0
    assert set(ws.cache.iter_digests()) == before
    os.makedirs(ws.cache.tmp_dir, exist_ok=True)
    Path(ws.cache.tmp_dir, ".mlgate-tmp-leftover").write_bytes(b"partial")
    done = gc(ws)
    assert (done.removed, done.kept) == (4, 3)
    assert ws.cache.has(hash_bytes(b"a3")) and not ws.cache.has(hash_bytes(b"a1"))
    assert os.listdir(ws.cache.tmp_dir) == []
    checkout(ws)  # the current version is intact


def test_gc_all_commits_needsgit(repo: Path) -> None:
    ws = Workspace.for_project(load_project(str(repo)))
    with pytest.raises(PathError, match="needs a git repository"):
        gc(ws, all_commits=True)


def test_gc_counts_unreadable_historical_pointers(repo: Path) -> None:
    ws = Workspace.for_project(load_project(str(repo)))
    git(repo, "init", "-q")
    write(repo / "mlgate.lock" / "paths" / "bad.json", "{broken")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "bad pointer")
    (repo / "mlgate.lock" / "paths" / "bad.json").unlink()
    assert gc(ws, all_commits=True).unreadable == 1
